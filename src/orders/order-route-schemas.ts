// What the shop's order routes take and answer. The routes declare these: fastify validates each
// request against them before the handler runs, and the OpenAPI document is generated from them
// (answers are documented, not checked: build-http-app.ts says why).
import { z } from 'zod';
import { ErrorBodySchema, errorResponses } from '../http/error-responses.js';
import { rateLimitedResponse } from '../sellers/shop-rate-limit.js';
import { IdSchema } from './order-schema.js';

export const MAX_BATCH_ORDERS = 1_000;

const ORDERS_LIMIT = 'SHOP_ORDERS_PER_MINUTE (POST /orders and POST /orders/batch together; a batch counts as one)';

export const OrderIdParams = z.object({ orderId: IdSchema });

/**
 * The batch's orders are judged one by one in the handler, so that a bad one is rejected alone
 * instead of failing the batch; the document shows them as the Order component (as a request takes
 * it, which the type provider names OrderInput).
 */
export const BatchBody = z.strictObject({
  orders: z
    .array(z.unknown().meta({ $ref: '#/components/schemas/OrderInput' }))
    .min(1)
    .max(MAX_BATCH_ORDERS),
});

const IssueSchema = z.object({ path: z.string(), message: z.string() });

/** A position in the batch, or a count of its orders. */
const Index = z.number().int().min(0).max(MAX_BATCH_ORDERS);

export const BatchResultSchema = z.discriminatedUnion('status', [
  z.object({ index: Index, orderId: z.string(), status: z.literal('accepted') }),
  z.object({ index: Index, orderId: z.string().optional(), status: z.literal('rejected'), issues: z.array(IssueSchema) }),
  z.object({
    index: Index,
    orderId: z.string(),
    status: z.literal('unavailable'),
    error: z.enum(['unavailable', 'unconfirmed']),
    message: z.string(),
  }),
]);
export type BatchResult = z.infer<typeof BatchResultSchema>;

const BatchAnswer = z.object({ accepted: Index, rejected: Index, unavailable: Index, results: z.array(BatchResultSchema) }).meta({ id: 'OrderBatchResults' });

export const submitResponses = {
  202: z
    .object({ orderId: IdSchema, status: z.literal('accepted'), traceId: z.string() })
    .describe('accepted: RabbitMQ confirmed the order; the Location header is where to follow it'),
  409: ErrorBodySchema.describe('order_id_taken: another seller already uses this orderId; nothing was queued (nothing else of that order is told)'),
  429: rateLimitedResponse(ORDERS_LIMIT),
  ...errorResponses(400, 401, 403, 413, 415, 503),
};

export const batchResponses = {
  200: BatchAnswer.describe('per-order results in input order; an order whose orderId another seller uses is rejected with an issue on orderId'),
  429: rateLimitedResponse(ORDERS_LIMIT),
  503: z
    .union([BatchAnswer, ErrorBodySchema])
    .describe('every order unavailable (the same body as 200, with Retry-After), or the intake refusing work for now (the error envelope)'),
  ...errorResponses(400, 401, 413, 415),
};

export const orderViewResponses = {
  200: z.unknown().describe('the order, its totals, status and journal'),
  ...errorResponses(400, 401, 404),
};

export const traceResponses = {
  200: z.unknown().describe('every hop of the order, in time order'),
  ...errorResponses(400, 401, 404),
};
