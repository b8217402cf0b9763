// An order as operators look at it, behind the admin token: its whole timeline for any seller, the
// hops the shop's trace shows with its dead letters and their replays and discards in between. An
// order that never got stored (its message failed before the business step) still has a timeline
// when a dead letter names it: that is when an operator most needs one.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminAuth } from '../http/admin-auth.js';
import { NotFoundError, toIssues, ValidationError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import type { OrderRepository } from './order-repository.js';
import { IdSchema } from './order-schema.js';
import { deadLetterEvents, inTimeOrder, traceHops, type OrderDeadLetter } from './order-timeline.js';

const OrderIdParams = z.strictObject({ orderId: IdSchema });

export function orderAdminRoutes(deps: {
  db: Db;
  orders: Pick<OrderRepository, 'find'>;
  /** The order's failed messages, oldest first (what the dead-letters feature exports for this). */
  deadLettersOf: (orderId: string) => Promise<readonly OrderDeadLetter[]>;
  adminToken: string | undefined;
}) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', adminAuth(deps.adminToken));

    app.get('/admin/orders/:orderId/timeline', async (req) => {
      const params = OrderIdParams.safeParse(req.params);
      if (!params.success) throw new ValidationError(toIssues(params.error));
      const { orderId } = params.data;
      const [view, letters] = await Promise.all([deps.orders.find(deps.db, orderId), deps.deadLettersOf(orderId)]);
      if (!view && letters.length === 0) {
        throw new NotFoundError(`No order ${orderId} is recorded and no failed message names it; check the id, or whether its message is still queued`);
      }
      return {
        orderId,
        sellerId: view?.sellerId ?? null,
        /** not_stored: the business step never stored it; its dead letters say why. */
        status: view?.status ?? 'not_stored',
        traceId: view?.traceId ?? letters.find((l) => l.traceId)?.traceId ?? null,
        deadLetters: letters.length,
        events: inTimeOrder(view ? traceHops(view) : [], letters.flatMap(deadLetterEvents)),
      };
    });
  };
}
