// The failure batch job: moves messages from the dead-letter queue into failed_messages. Each batch
// is inserted (one statement, committed) and only then acked, and a redelivered dead letter hits the
// dedup key, so a crash at any point loses nothing and stores nothing twice. A PostgreSQL advisory
// lock keeps it to one runner at a time across every process that drains this queue.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../platform/amqp/connection.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { repeatEvery } from '../platform/repeat-every.js';
import { rawDeadLetter, readDeadLetter } from './dead-letter-record.js';
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

/**
 * PostgreSQL refused a row's values (SQLSTATE class 22, data exception; 23, a constraint such as a
 * check; 54, a limit such as a too-deep jsonb): the fault of one letter in the batch, not of the
 * database, so it must not fail the drain. A duplicate never gets here (ON CONFLICT DO NOTHING).
 */
function isRefusedValue(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/** How long a batch waits for more deliveries before it is stored as it is. */
const IDLE_MS = 50;

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms; is RabbitMQ reachable?`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * The batch job's single-runner lock, named by the queue, so drains of different deployments
 * sharing a database do not exclude each other.
 */
export const drainLockName = (queue: string) => `order-actors dead-letter drain ${queue}`;

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
  const lockName = drainLockName(queue);
  let running: Promise<DrainReport> | null = null;

  /**
   * A consumer bounded by prefetch: the broker pushes messages (far faster than one basic.get
   * round trip each), at most two batches ahead, so the next batch arrives while one is stored.
   */
  async function boundedConsumer(ch: Channel) {
    await ch.prefetch(batchSize * 2);
    let buffer: ConsumeMessage[] = [];
    let cancelled = false;
    let wake: (() => void) | null = null;
    const { consumerTag } = await ch.consume(
      queue,
      (msg) => {
        if (msg === null) cancelled = true;
        else buffer.push(msg);
        wake?.();
      },
      { noAck: false },
    );
    return {
      /** Up to batchSize messages: as soon as that many are here, or once none arrived for IDLE_MS. */
      async next(): Promise<ConsumeMessage[]> {
        for (;;) {
          const before = buffer.length;
          if (before >= batchSize || cancelled) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, IDLE_MS);
            wake = () => {
              if (buffer.length >= batchSize || cancelled) {
                clearTimeout(timer);
                resolve();
              }
            };
          });
          wake = null;
          if (buffer.length === before) break;
        }
        const batch = buffer.slice(0, batchSize);
        buffer = buffer.slice(batch.length);
        return batch;
      },
      isCancelled: () => cancelled,
      /** Stops deliveries; the broker's cancel-ok comes after every delivery it sent, so what is left is in hand. */
      async cancel(): Promise<ConsumeMessage[]> {
        if (!cancelled) await ch.cancel(consumerTag);
        const rest = buffer;
        buffer = [];
        return rest;
      },
    };
  }

  async function drainQueue(db: Db): Promise<DrainReport> {
    const ch = await withDeadline(deps.connection.model.createChannel(), deps.openTimeoutMs ?? 10_000, 'opening a RabbitMQ channel');
    ch.on('error', (err: Error) => logger.warn({ err }, 'dead-letter channel error'));
    const stored: Array<{ actor: string; errorCode: string }> = [];
    let alreadyStored = 0;
    let taken = 0;

    /** One insert for the batch; if PostgreSQL refuses a value in it, one per letter, and a letter it still refuses goes in raw. */
    async function insert(batch: readonly ConsumeMessage[]) {
      const letters = batch.map((m) => readOrRaw(m));
      try {
        return await deps.repository.insertMany(db, letters);
      } catch (err) {
        if (!isRefusedValue(err)) throw err;
      }
      const inserted = [];
      for (const [i, letter] of letters.entries()) {
        try {
          inserted.push(...(await deps.repository.insertMany(db, [letter])));
        } catch (err) {
          if (!isRefusedValue(err)) throw err;
          logger.warn({ err, messageId: letter.messageId }, 'a dead letter PostgreSQL refuses is stored raw');
          inserted.push(...(await deps.repository.insertMany(db, [rawDeadLetter(batch[i]!, err)])));
        }
      }
      return inserted;
    }

    function readOrRaw(msg: ConsumeMessage) {
      try {
        return readDeadLetter(msg, deps.topology);
      } catch (err) {
        logger.warn({ err, messageId: msg.properties.messageId }, 'a dead letter that cannot be read is stored raw');
        return rawDeadLetter(msg, err);
      }
    }

    async function store(batch: readonly ConsumeMessage[]): Promise<void> {
      const last = batch[batch.length - 1]!;
      let inserted;
      try {
        inserted = await insert(batch);
      } catch (err) {
        // Not stored (PostgreSQL unreachable, or refusing even the raw row): back to the queue for
        // the next run; rows stored one by one before the failure dedup on redelivery.
        ch.nack(last, true, true);
        throw err;
      }
      // Acked only once the rows are committed (each insert is one auto-committed statement);
      // `multiple` acks this batch only, as later deliveries have higher tags.
      ch.ack(last, true);
      taken += batch.length;
      stored.push(...inserted);
      alreadyStored += batch.length - inserted.length;
    }

    try {
      // A missing queue fails here, with the broker's 404, before anything is consumed.
      await ch.checkQueue(queue);
      const consumer = await boundedConsumer(ch);
      while (taken < maxPerRun) {
        const batch = await consumer.next();
        if (batch.length > 0) await store(batch);
        // Nothing arrived for a while: done if the queue is empty too, else wait for the broker.
        else if ((await ch.checkQueue(queue)).messageCount === 0 || consumer.isCancelled()) break;
      }
      // Deliveries that arrived meanwhile are stored too rather than handed back.
      const rest = await consumer.cancel();
      for (let i = 0; i < rest.length; i += batchSize) await store(rest.slice(i, i + batchSize));
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
    /** The single-runner lock of the batch job; steps run beside the drain (retention) take it too. */
    lockName,
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

/** A step of the batch job run after each scheduled drain (e.g. retention); it takes the drain's lock itself. */
export type BatchJobStep = { name: string; run: () => Promise<unknown> };

/**
 * Runs the drainer, then each step, every `intervalMs` (never overlapping itself) until stopped; 0
 * disables it. A step runs even when the drain failed: a broker outage must not stop the database
 * work, nor one failing step the next.
 */
export function startDrainSchedule(deps: { drainer: Pick<DeadLetterDrainer, 'drain'>; steps?: readonly BatchJobStep[]; intervalMs: number; logger: Logger }) {
  const logger = deps.logger.child({ module: 'dead-letter-drainer' });
  /** One run: the drain, then each step. */
  async function run(): Promise<void> {
    await deps.drainer.drain().catch((err: unknown) => logger.error({ err }, 'the dead-letter batch job failed; it runs again at the next interval'));
    for (const step of deps.steps ?? []) {
      await step
        .run()
        .catch((err: unknown) =>
          logger.error({ err, step: step.name }, `the ${step.name} step of the dead-letter batch job failed; it runs again at the next interval`),
        );
    }
  }
  if (deps.intervalMs === 0) return { stop: async (): Promise<void> => undefined };
  const repeating = repeatEvery(deps.intervalMs, run, (err) => logger.error({ err }, 'the dead-letter batch job failed'));
  logger.info({ intervalMs: deps.intervalMs }, 'dead-letter batch job scheduled');

  return {
    /** Stops scheduling and waits for a run in progress to finish. */
    stop: () => repeating.stop(),
  };
}
