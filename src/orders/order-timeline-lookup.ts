// The order timeline as one use case, so the admin REST route and the operator console answer the
// same question the same way: the shop's trace hops with the order's dead letters in time order.
import { NotFoundError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import type { OrderRepository } from './order-repository.js';
import { deadLetterEvents, inTimeOrder, traceHops, type OrderDeadLetter, type TimelineEvent } from './order-timeline.js';

export type OrderTimeline = {
  orderId: string;
  sellerId: string | null;
  /** not_stored: the business step never stored it; its dead letters say why. */
  status: string;
  traceId: string | null;
  deadLetters: number;
  events: TimelineEvent[];
};

export type OrderTimelineLookup = (orderId: string) => Promise<OrderTimeline>;

export function createOrderTimelineLookup(deps: {
  db: Db;
  orders: Pick<OrderRepository, 'find'>;
  /** The order's failed messages, oldest first (what the dead-letters feature exports for this). */
  deadLettersOf: (orderId: string) => Promise<readonly OrderDeadLetter[]>;
}): OrderTimelineLookup {
  return async (orderId) => {
    const [view, letters] = await Promise.all([deps.orders.find(deps.db, orderId), deps.deadLettersOf(orderId)]);
    if (!view && letters.length === 0) {
      throw new NotFoundError(`No order ${orderId} is recorded and no failed message names it; check the id, or whether its message is still queued`);
    }
    return {
      orderId,
      sellerId: view?.sellerId ?? null,
      status: view?.status ?? 'not_stored',
      traceId: view?.traceId ?? letters.find((l) => l.traceId)?.traceId ?? null,
      deadLetters: letters.length,
      events: inTimeOrder(view ? traceHops(view) : [], letters.flatMap(deadLetterEvents)),
    };
  };
}
