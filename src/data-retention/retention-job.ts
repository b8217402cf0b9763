// Keeps data no longer than it is needed, as a step of the failure batch job: deletes dead letters
// past DEAD_LETTER_RETENTION_DAYS, masks the buyers' personal data in those past
// DEAD_LETTER_PII_DAYS, and deletes order journal entries past ORDER_JOURNAL_RETENTION_DAYS. It runs
// under the drain's advisory lock, so one process at a time does it and never beside a drain, and
// in bounded batches (each its own short statement), so it holds no long locks and a run under a
// backlog stops at its limit and leaves the rest to the next. Every step that changed anything is
// recorded in data_retention_runs and logged.
import type { Config } from '../config.js';
import type { FailedMessageRepository } from '../dead-letters/failed-message-repository.js';
import type { FailedMessageRetention } from '../dead-letters/failed-message-retention.js';
import type { OrderRepository } from '../orders/order-repository.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { RetentionRun, RetentionRunRepository, RetentionStep } from './retention-run-repository.js';

const DAY_MS = 86_400_000;

/** Days each kind of data is kept; 0 keeps it forever (masking always happens). */
export type RetentionSettings = { piiDays: number; deadLetterDays: number; journalDays: number };

export function retentionSettings(
  config: Pick<Config, 'DEAD_LETTER_PII_DAYS' | 'DEAD_LETTER_RETENTION_DAYS' | 'ORDER_JOURNAL_RETENTION_DAYS'>,
): RetentionSettings {
  return { piiDays: config.DEAD_LETTER_PII_DAYS, deadLetterDays: config.DEAD_LETTER_RETENTION_DAYS, journalDays: config.ORDER_JOURNAL_RETENTION_DAYS };
}

export type RetentionReport = {
  /** False when another process held the lock (it is draining or doing this): nothing was touched. */
  ran: boolean;
  steps: RetentionRun[];
};

export type RetentionJob = ReturnType<typeof createRetentionJob>;

type Batch = (q: Db, cutoff: Date, limit: number) => Promise<number>;

const DESCRIBE: Record<RetentionStep, string> = {
  dead_letter_pii_masked: 'masked the personal data of failed messages',
  dead_letters_deleted: 'deleted failed messages',
  order_journal_deleted: 'deleted order journal entries',
};

export function createRetentionJob(deps: {
  db: Db;
  /** The drain's lock (see the drainer), taken through the failed-message repository. */
  lockName: string;
  locks: Pick<FailedMessageRepository, 'tryDrainLock' | 'releaseDrainLock'>;
  failedMessages: Pick<FailedMessageRetention, 'maskBefore' | 'deleteBefore'>;
  orders: Pick<OrderRepository, 'deleteJournalEntriesBefore'>;
  runs: Pick<RetentionRunRepository, 'record'>;
  settings: RetentionSettings;
  logger: Logger;
  /** Rows per masking batch: each is read, rewritten in JavaScript and written back. */
  maskBatch?: number;
  /** Rows per delete. Dead letters carry bodies up to MESSAGE_MAX_BYTES, so they go in smaller batches. */
  journalDeleteBatch?: number;
  deadLetterDeleteBatch?: number;
  /** Batches per step and run, so a first run over years of rows still releases the lock every interval. */
  maxBatchesPerStep?: number;
}) {
  const logger = deps.logger.child({ module: 'data-retention' });
  const maxBatches = deps.maxBatchesPerStep ?? 50;

  async function step(q: Db, name: RetentionStep, cutoff: Date, batchSize: number, batch: Batch): Promise<RetentionRun> {
    let rows = 0;
    let batches = 0;
    let finished = false;
    while (!finished && batches < maxBatches) {
      const done = await batch(q, cutoff, batchSize);
      rows += done;
      batches += 1;
      finished = done < batchSize;
    }
    const run: RetentionRun = { step: name, cutoff: cutoff.toISOString(), rows, batches, finished };
    if (rows > 0) {
      await deps.runs.record(q, run);
      logger.info(run, `${DESCRIBE[name]} older than ${run.cutoff}: ${rows}${finished ? '' : ' (more left for the next run)'}`);
    }
    return run;
  }

  async function steps(q: Db, now: Date): Promise<RetentionRun[]> {
    const { piiDays, deadLetterDays, journalDays } = deps.settings;
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const done: RetentionRun[] = [];
    // Deleting first spares masking rows about to go anyway.
    if (deadLetterDays > 0) {
      done.push(
        await step(q, 'dead_letters_deleted', before(deadLetterDays), deps.deadLetterDeleteBatch ?? 1_000, (q, c, n) =>
          deps.failedMessages.deleteBefore(q, c, n),
        ),
      );
    }
    done.push(await step(q, 'dead_letter_pii_masked', before(piiDays), deps.maskBatch ?? 500, (q, c, n) => deps.failedMessages.maskBefore(q, c, n)));
    if (journalDays > 0) {
      done.push(
        await step(q, 'order_journal_deleted', before(journalDays), deps.journalDeleteBatch ?? 5_000, (q, c, n) =>
          deps.orders.deleteJournalEntriesBefore(q, c, n),
        ),
      );
    }
    return done;
  }

  return {
    name: 'data retention',
    /** One run, as of `now` (the batch job passes the clock; tests pass a later one). */
    async run(now: Date = new Date()): Promise<RetentionReport> {
      return deps.db.connection().execute(async (q) => {
        if (!(await deps.locks.tryDrainLock(q, deps.lockName))) {
          logger.debug('another runner holds the batch job lock; retention runs next time');
          return { ran: false, steps: [] };
        }
        try {
          return { ran: true, steps: await steps(q, now) };
        } finally {
          await deps.locks.releaseDrainLock(q, deps.lockName).catch((err: unknown) => logger.warn({ err }, 'could not release the batch job lock'));
        }
      });
    },
  };
}
