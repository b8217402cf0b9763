// An order as operators look at it, behind the admin token: its whole timeline for any seller, the
// hops the shop's trace shows with its dead letters and their replays and discards in between. An
// order that never got stored (its message failed before the business step) still has a timeline
// when a dead letter names it: that is when an operator most needs one.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminAuth } from '../http/admin-auth.js';
import { IdSchema } from './order-schema.js';
import type { OrderTimelineLookup } from './order-timeline-lookup.js';

const OrderIdParams = z.strictObject({ orderId: IdSchema });

export function orderAdminRoutes(deps: { timeline: OrderTimelineLookup; adminToken: string | undefined }) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.addHook('onRequest', adminAuth(deps.adminToken));

    app.get('/admin/orders/:orderId/timeline', { schema: { params: OrderIdParams } }, async (req) => deps.timeline(req.params.orderId));
  };
}
