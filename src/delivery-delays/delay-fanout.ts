// Applies one delivery delay and tells its buyers, in slices. Each slice is one transaction: claim
// the slice's orders, move their dates set-based (once per order and delay), publish one
// notice per buyer straight to the notification queue with confirms, mark what was confirmed, commit.
// A process that dies half-way leaves unmarked rows that any intake process resumes; a slice done
// twice is harmless (applying is idempotent, and a notice is sent once per idempotency key). The
// notices take the notification actor's retries and dead letters like any other.
import pLimit from 'p-limit';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import { HEADERS } from '../platform/amqp/message-headers.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { spanIn } from '../platform/tracing.js';
import { delayNotice } from './delay-notice.js';
import type { DelayRepository } from './delay-repository.js';
import type { DeliveryDelayed } from './delay-schema.js';

export type DelayFanout = ReturnType<typeof createDelayFanout>;

/**
 * How much work may wait ahead of the actors before the fan-out slows down: `depth` is what waits in
 * the business and notification queues (undefined while unknown), `max` the most it lets build up.
 */
export type FanoutBacklog = { depth(): number | undefined; max: number };

// Past the backlog limit a slice still goes out at least this often, so a queue kept deep by other
// work (a rush of orders) slows a delay down but never stops it.
const MAX_PAUSE_MS = 1_000;
const PAUSE_POLL_MS = 100;

export function createDelayFanout(deps: {
  db: Db;
  delays: DelayRepository;
  publisher: Pick<Publisher, 'publish'>;
  businessQueue: string;
  notificationQueue: string;
  signer: NotificationSigner;
  logger: Logger;
  sliceSize?: number;
  /** Slices, over every delay of this process, in flight at once (each holds a database connection). */
  concurrentSlices?: number;
  resumeIntervalMs?: number;
  backlog?: FanoutBacklog;
}) {
  const logger = deps.logger.child({ module: 'delay-fanout' });
  const sliceSize = deps.sliceSize ?? 1_000;
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** Applies and publishes one slice; returns how many orders it held and the last one's id. */
  async function publishSlice(delayId: string, after: string, trace: { traceId: string; traceparent: string }): Promise<{ size: number; last: string }> {
    const { size, last, failure } = await deps.db.transaction().execute(async (trx) => {
      const slice = await deps.delays.applySlice(trx, delayId, { limit: sliceSize, after });
      const results = await Promise.allSettled(
        slice.map((pair) => {
          const headers = { [HEADERS.traceparent]: trace.traceparent, [HEADERS.orderId]: pair.orderId };
          if (pair.contact) {
            const notice = delayNotice(deps.signer, delayId, pair.orderId, { ...pair, contact: pair.contact });
            return deps.publisher.publish(deps.notificationQueue, Buffer.from(JSON.stringify(notice)), {
              messageId: notice.idempotencyKey,
              type: notice.type,
              headers,
            });
          }
          // The order is not there to move (a restore in progress): the business step applies this
          // delay once it is, with its own retries and, in the end, a dead letter.
          const message: DeliveryDelayed = {
            type: 'delivery.delayed',
            version: 1,
            delayId,
            orderId: pair.orderId,
            previousDeliveryDate: pair.previousDeliveryDate,
            newDeliveryDate: pair.newDeliveryDate,
            reason: pair.reason,
          };
          return deps.publisher.publish(deps.businessQueue, Buffer.from(JSON.stringify(message)), {
            messageId: `${delayId}:${pair.orderId}`,
            type: message.type,
            headers,
          });
        }),
      );
      // What was confirmed stays marked even when the rest of the slice failed, so a slow or flaky
      // link makes progress instead of sending the whole slice again on every retry. Dates moved
      // for the rest stay moved; their messages go out when the slice is resumed.
      const unconfirmed = slice.filter((_, i) => results[i]!.status === 'rejected').map((p) => p.orderId);
      await deps.delays.unmarkPublished(trx, delayId, unconfirmed);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      return { size: slice.length, last: slice.at(-1)?.orderId ?? after, failure: rejected?.reason as unknown };
    });
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('A fan-out publish failed', { cause: failure });
    return { size, last };
  }

  // Every delay of this process shares these slots: a slice holds a pooled connection across its
  // publishes' confirms, and fifteen delays at once must leave the rest of the process (GETs,
  // intake checks, the actors) connections to work with. Delays beyond them wait their turn.
  const slices = pLimit(deps.concurrentSlices ?? 2);

  // The paced slices of every delay in this process, one after another.
  let pacedTurns: Promise<void> = Promise.resolve();

  /**
   * Waits (up to MAX_PAUSE_MS) while the actors have more queued than the backlog allows, and says
   * whether it had to. Publishing 50,000 messages as fast as the broker takes them leaves the
   * actors, on the same cores, with less CPU while the queues fill up; buyers are told in queue
   * order, so the half told last waited longest. Paced to the actors, the same delay finishes in
   * about the same time, and its first half is told one to three seconds sooner (50,000 buyers,
   * two cores). A depth not known (not sampled yet, or not lately) counts as room.
   *
   * Delays fanning out at once take turns: past the limit the process sends one slice a second in
   * all, not one per delay, and each delay gets its turn in order.
   */
  async function roomInQueues(): Promise<boolean> {
    if (!overBacklog()) return false;
    const turn = pacedTurns.then(waitForRoom);
    pacedTurns = turn;
    await turn;
    return true;
  }

  function overBacklog(): boolean {
    const { backlog } = deps;
    return !stopped && backlog !== undefined && (backlog.depth() ?? 0) > backlog.max;
  }

  async function waitForRoom(): Promise<void> {
    const until = Date.now() + MAX_PAUSE_MS;
    while (Date.now() < until && overBacklog()) await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
  }

  async function fanOut(delayId: string): Promise<void> {
    // The notices continue the trace the delay was requested under.
    const trace = spanIn(await deps.delays.traceOf(deps.db, delayId));
    let published = 0;
    let pacing = false;
    let lastSliceFull = true;
    // Slices are taken in order id order, each after the last: an index range, not a search for
    // what is left. Orders another runner held are found again by the next sweep.
    let after = '';
    for (;;) {
      if (stopped) return;
      // After a short slice the next claim only confirms that nothing is left: no need to wait for it.
      if (lastSliceFull) {
        const waited = await roomInQueues();
        if (waited !== pacing) {
          pacing = waited;
          const queued = deps.backlog?.depth();
          if (waited)
            logger.info(
              { delayId, published, queued, limit: deps.backlog?.max },
              'the actors are behind: publishing this delay a slice a second until they catch up',
            );
          else logger.info({ delayId, published, queued }, 'the actors caught up: publishing this delay at full speed');
        }
      }
      if (stopped) return;
      const from = after;
      const slice = await slices(() => publishSlice(delayId, from, trace));
      published += slice.size;
      if (slice.size === 0) break;
      after = slice.last;
      lastSliceFull = slice.size >= sliceSize;
    }
    await deps.delays.finishPublishing(deps.db, delayId);
    logger.info({ delayId, published }, 'delivery delay fanned out');
  }

  /** Starts (or joins) the fan-out of one delay; failures are logged and resumed by the sweep. */
  function run(delayId: string): Promise<void> {
    const current = running.get(delayId);
    if (current) return current;
    const p = fanOut(delayId)
      .catch((err: unknown) => logger.warn({ err, delayId }, 'delivery delay fan-out interrupted; it resumes on the next sweep'))
      .finally(() => running.delete(delayId));
    running.set(delayId, p);
    return p;
  }

  // One resumed fan-out at a time: each holds a pooled connection across its slice's confirms, and
  // a backlog of delays started together would starve the rest of the process of connections.
  let sweeping = false;
  async function sweep(): Promise<void> {
    if (sweeping) return;
    sweeping = true;
    try {
      for (const delayId of await deps.delays.unpublished(deps.db)) {
        if (stopped) break;
        await run(delayId);
      }
    } catch (err) {
      logger.warn({ err }, 'could not look for unfinished delivery delays');
    } finally {
      sweeping = false;
    }
  }

  return {
    run,
    /** Resumes unfinished fan-outs now and then every resumeIntervalMs. */
    start(): void {
      void sweep();
      timer = setInterval(() => void sweep(), deps.resumeIntervalMs ?? 5_000);
      timer.unref();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await Promise.all(running.values());
    },
  };
}
