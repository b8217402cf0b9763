// Intake: POST /orders answers 202 only once RabbitMQ has confirmed and routed the order message;
// GET /orders/:orderId shows what the actors have recorded.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { publishFailureBody, RETRY_AFTER_S } from '../http/error-handler.js';
import { ConflictError, NotFoundError, toIssues, ValidationError } from '../http/http-errors.js';
import { HEADERS } from '../platform/amqp/message-headers.js';
import { PublishError, type Publisher } from '../platform/amqp/publisher.js';
import type { Db } from '../platform/db.js';
import { continueTrace } from '../platform/tracing.js';
import type { SellerAuth } from '../sellers/seller-auth.js';
import type { SellerRateLimits } from '../sellers/seller-rate-limits.js';
import { shopRateLimit } from '../sellers/shop-rate-limit.js';
import { orderSubmitted } from './order-messages.js';
import type { OrderOwners } from './order-owners.js';
import type { OrderRepository } from './order-repository.js';
import { BatchBody, batchResponses, OrderIdParams, orderViewResponses, submitResponses, traceResponses, type BatchResult } from './order-route-schemas.js';
import { OrderSchema, type Order } from './order-schema.js';
import { traceHops } from './order-timeline.js';
import type { PhoneCountryPolicy } from './phone-country-policy.js';

export type OrderRoutesDeps = {
  db: Db;
  orders: OrderRepository;
  publisher: Pick<Publisher, 'publish'>;
  businessQueue: string;
  /** Throws an 'overloaded' AppError when intake must refuse work (backpressure). */
  admit?: () => void;
  auth: SellerAuth;
  /** Per-seller limits on POST /orders and POST /orders/batch, counted together. */
  rateLimits: Pick<SellerRateLimits, 'perMinute'>;
  phoneCountry: PhoneCountryPolicy;
  owners: OrderOwners;
};

// A batch of 1,000 realistic orders is about 600 KiB; 2 MiB leaves room without inviting abuse.
const BATCH_BODY_LIMIT = 2 * 1024 * 1024;

/** Says only that the id is in use: not by whom, nor anything of that order. */
const orderIdTaken = (orderId: string) =>
  new ConflictError('order_id_taken', `orderId ${orderId} is already in use. Choose another orderId; nothing was queued.`);

/** Long by design: the plugin holding the order routes (single, batch, view, trace), which share its auth hook and helpers. */
export function orderRoutes(deps: OrderRoutesDeps) {
  /** True when another seller's order holds this id; resubmitting one's own order is fine. */
  const isTakenByAnother = async (order: Order): Promise<boolean> => {
    const owner = await deps.owners.sellerOf(order.orderId);
    return owner !== undefined && owner !== order.sellerId;
  };

  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    // onRequest, before the body is read: a caller without a valid key cannot make the server
    // parse megabytes, and learns nothing about its body either.
    app.addHook('onRequest', (req, reply) => deps.auth.authenticate(req, reply));
    // One counter for both submitting routes. @fastify/rate-limit counts requests and has no cost
    // per request, so a batch counts as one; its own cap (1,000 orders) bounds what one can carry.
    const limitOrders = await shopRateLimit(app, { kind: 'orders', auth: deps.auth, limits: deps.rateLimits });
    const publishOrder = async (order: Order, traceparent: string): Promise<void> => {
      const message = orderSubmitted(order);
      await deps.publisher.publish(deps.businessQueue, Buffer.from(JSON.stringify(message)), {
        type: message.type,
        headers: { [HEADERS.traceparent]: traceparent, [HEADERS.orderId]: order.orderId },
      });
    };

    // Which countries' phones this deployment takes is its setting, so the document says it here.
    const phones = `buyer.phone must be in a country this deployment delivers to: country code ${deps.phoneCountry.countryCodes} (PHONE_COUNTRY_CODES).`;

    const submitSchema = {
      summary: 'Submit an order; 202 once RabbitMQ confirmed it',
      description: phones,
      tags: ['orders'],
      body: OrderSchema,
      response: submitResponses,
    };
    app.post('/orders', { onRequest: limitOrders, schema: submitSchema }, async (req, reply) => {
      const order = req.body;
      const phoneIssue = deps.phoneCountry(order.buyer.phone);
      if (phoneIssue) throw new ValidationError([phoneIssue]);
      deps.auth.assertMayActFor(req, order.sellerId);
      deps.admit?.();
      if (await isTakenByAnother(order)) throw orderIdTaken(order.orderId);
      const trace = continueTrace(req.headers.traceparent);
      await publishOrder(order, trace.traceparent);
      return reply
        .code(202)
        .header('location', `/orders/${encodeURIComponent(order.orderId)}`)
        .send({ orderId: order.orderId, status: 'accepted', traceId: trace.traceId });
    });

    // Bulk upload: every order is judged on its own; the answer lists each one's fate in input order.
    const batchSchema = {
      summary: 'Submit up to 1,000 orders; each is judged on its own',
      description: phones,
      tags: ['orders'],
      body: BatchBody,
      response: batchResponses,
    };
    app.post('/orders/batch', { bodyLimit: BATCH_BODY_LIMIT, onRequest: limitOrders, schema: batchSchema }, async (req, reply) => {
      deps.admit?.();
      const trace = continueTrace(req.headers.traceparent);
      const results = await Promise.all(
        req.body.orders.map(async (raw, index): Promise<BatchResult> => {
          const parsed = OrderSchema.safeParse(raw);
          if (!parsed.success) {
            const id = (raw as { orderId?: unknown } | null)?.orderId;
            return { index, ...(typeof id === 'string' && id.length <= 64 ? { orderId: id } : {}), status: 'rejected', issues: toIssues(parsed.error) };
          }
          const phoneIssue = deps.phoneCountry(parsed.data.buyer.phone);
          if (phoneIssue) return { index, orderId: parsed.data.orderId, status: 'rejected', issues: [phoneIssue] };
          if (!deps.auth.maySee(req, parsed.data.sellerId)) {
            return {
              index,
              orderId: parsed.data.orderId,
              status: 'rejected',
              issues: [{ path: 'sellerId', message: 'this API key cannot submit orders for that seller' }],
            };
          }
          if (await isTakenByAnother(parsed.data)) {
            return {
              index,
              orderId: parsed.data.orderId,
              status: 'rejected',
              issues: [{ path: 'orderId', message: orderIdTaken(parsed.data.orderId).message }],
            };
          }
          try {
            await publishOrder(parsed.data, trace.traceparent);
            return { index, orderId: parsed.data.orderId, status: 'accepted' };
          } catch (err) {
            if (!(err instanceof PublishError)) throw err;
            return { index, orderId: parsed.data.orderId, status: 'unavailable', ...publishFailureBody(err) };
          }
        }),
      );
      const count = (status: BatchResult['status']) => results.filter((r) => r.status === status).length;
      const summary = { accepted: count('accepted'), rejected: count('rejected'), unavailable: count('unavailable') };
      const allUnavailable = summary.unavailable > 0 && summary.accepted === 0 && summary.rejected === 0;
      if (allUnavailable) void reply.header('retry-after', String(RETRY_AFTER_S));
      return reply.code(allUnavailable ? 503 : 200).send({ ...summary, results });
    });

    // Every hop of one order through the actors, in time order: intake, business, retries,
    // notification and the messaging API's answer (operators see more: order-admin-routes.ts).
    const traceSchema = { summary: 'Every hop of the order in time order', tags: ['orders'], params: OrderIdParams, response: traceResponses };
    app.get('/orders/:orderId/trace', { schema: traceSchema }, async (req) => {
      const { orderId } = req.params;
      const view = await deps.orders.find(deps.db, orderId);
      if (!view || !deps.auth.maySee(req, view.sellerId)) throw new NotFoundError(`No order ${orderId} is recorded yet`);
      return { orderId: view.orderId, traceId: view.traceId, status: view.status, hops: traceHops(view) };
    });

    const viewSchema = { summary: 'The order, its totals, status and journal', tags: ['orders'], params: OrderIdParams, response: orderViewResponses };
    app.get('/orders/:orderId', { schema: viewSchema }, async (req) => {
      const { orderId } = req.params;
      const view = await deps.orders.find(deps.db, orderId);
      if (!view || !deps.auth.maySee(req, view.sellerId)) {
        throw new NotFoundError(
          `No order ${orderId} is recorded. An accepted order (202) appears here once the business actor has stored it, normally within a second.`,
        );
      }
      return view;
    });
  };
}
