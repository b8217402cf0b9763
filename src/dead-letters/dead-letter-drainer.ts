// The failure batch job: moves messages from the dead-letter queue into failed_messages. Each batch
// is inserted (one statement, committed) and only then acked, and a redelivered dead letter hits the
// dedup key, so a crash at any point loses nothing and stores nothing twice. A PostgreSQL advisory
// lock keeps it to one runner at a time across every process that drains this queue.
import type { Channel, GetMessage } from 'amqplib';
import type { AmqpConnection } from '../platform/amqp/connection.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { readDeadLetter } from './dead-letter-record.js';
import type { FailedMessageRepository } from './failed-message-repository.js';
import { countByCause, type FailureAlerts, type FailureCount } from './failure-alerts.js';

export type DrainReport = {
  /** False when another runner held the lock: this call took nothing from the queue. */
  ran: boolean;
  /** Dead letters stored as new rows. */
  stored: number;
  /** Dead letters that were already stored (redelivered after a crash between commit and ack); acked now. */
  alreadyStored: number;
  /** Messages left in the queue when the run ended (0 when it emptied it). */
  remaining: number;
  byCause: FailureCount[];
};

export type DeadLetterDrainer = ReturnType<typeof createDeadLetterDrainer>;

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms; is RabbitMQ reachable?`)), ms);
    promise.then(
      (v) => { clearTimeout(timer); resolve(v); },
      (e: unknown) => { clearTimeout(timer); reject(e as Error); },
    );
  });
}

export function createDeadLetterDrainer(deps: {
  db: Db;
  connection: Pick<AmqpConnection, 'model'>;
  topology: Pick<Topology, 'deadLetters' | 'actors'>;
  repository: Pick<FailedMessageRepository, 'insertMany' | 'tryDrainLock' | 'releaseDrainLock'>;
  alerts: Pick<FailureAlerts, 'notify'>;
  logger: Logger;
  /** Messages per insert (and per ack). */
  batchSize?: number;
  /** A run stops after this many messages so the lock is released even under a flood; the next run continues. */
  maxPerRun?: number;
  openTimeoutMs?: number;
}) {
  const logger = deps.logger.child({ module: 'dead-letter-drainer' });
  const queue = deps.topology.deadLetters;
  const batchSize = deps.batchSize ?? 100;
  const maxPerRun = deps.maxPerRun ?? 50_000;
  // Named by the queue, so drains of different deployments sharing a database do not exclude each other.
  const lockName = `order-actors dead-letter drain ${queue}`;
  let running: Promise<DrainReport> | null = null;

  async function takeBatch(ch: Channel): Promise<GetMessage[]> {
    const batch: GetMessage[] = [];
    while (batch.length < batchSize) {
      const msg = await ch.get(queue, { noAck: false });
      if (msg === false) break;
      batch.push(msg);
    }
    return batch;
  }

  async function drainQueue(db: Db): Promise<DrainReport> {
    const ch = await withDeadline(deps.connection.model.createChannel(), deps.openTimeoutMs ?? 10_000, 'opening a RabbitMQ channel');
    ch.on('error', (err: Error) => logger.warn({ err }, 'dead-letter channel error'));
    const stored: Array<{ actor: string; errorCode: string }> = [];
    let alreadyStored = 0;
    let taken = 0;
    try {
      while (taken < maxPerRun) {
        const batch = await takeBatch(ch);
        if (batch.length === 0) break;
        taken += batch.length;
        const last = batch[batch.length - 1]!;
        let inserted;
        try {
          inserted = await deps.repository.insertMany(db, batch.map((m) => readDeadLetter(m, deps.topology)));
        } catch (err) {
          // Not stored: back to the queue for the next run.
          ch.nack(last, true, true);
          throw err;
        }
        // Acked only once the rows are committed (the insert is one auto-committed statement).
        ch.ack(last, true);
        stored.push(...inserted);
        alreadyStored += batch.length - inserted.length;
      }
      const { messageCount } = await ch.checkQueue(queue);
      return { ran: true, stored: stored.length, alreadyStored, remaining: messageCount, byCause: countByCause(stored) };
    } finally {
      // Closing waits for the broker's close-ok, so every ack above has reached it.
      await ch.close().catch(() => undefined);
    }
  }

  async function runLocked(): Promise<DrainReport> {
    return deps.db.connection().execute(async (db) => {
      if (!(await deps.repository.tryDrainLock(db, lockName))) {
        logger.debug('another runner is draining the dead-letter queue');
        return { ran: false, stored: 0, alreadyStored: 0, remaining: -1, byCause: [] };
      }
      try {
        return await drainQueue(db);
      } finally {
        await deps.repository.releaseDrainLock(db, lockName).catch((err: unknown) => logger.warn({ err }, 'could not release the drain lock'));
      }
    });
  }

  return {
    queue,
    /** One run: drains the queue (up to maxPerRun), then alerts if anything was stored. Concurrent calls share a run. */
    drain(): Promise<DrainReport> {
      running ??= (async () => {
        try {
          const report = await runLocked();
          if (report.stored > 0) {
            logger.info({ stored: report.stored, alreadyStored: report.alreadyStored, remaining: report.remaining }, 'dead letters drained');
            await deps.alerts.notify({ queue, stored: report.stored, byCause: report.byCause });
          }
          return report;
        } finally {
          running = null;
        }
      })();
      return running;
    },
  };
}

/** Runs the drainer every `intervalMs` (never overlapping itself) until stopped; 0 disables it. */
export function startDrainSchedule(deps: { drainer: Pick<DeadLetterDrainer, 'drain'>; intervalMs: number; logger: Logger }) {
  const logger = deps.logger.child({ module: 'dead-letter-drainer' });
  let stopped = deps.intervalMs === 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      current = deps.drainer
        .drain()
        .catch((err: unknown) => logger.error({ err }, 'the dead-letter batch job failed; it runs again at the next interval'))
        .finally(schedule);
    }, deps.intervalMs);
  }
  schedule();
  if (!stopped) logger.info({ intervalMs: deps.intervalMs }, 'dead-letter batch job scheduled');

  return {
    /** Stops scheduling and waits for a run in progress to finish. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
