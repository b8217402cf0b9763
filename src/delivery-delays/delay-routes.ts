// POST /delivery-delays answers at once with how many orders are concerned; the fan-out to their
// buyers runs behind it. GET /delivery-delays/:delayId shows its progress.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, retryLaterResponse } from '../http/error-responses.js';
import { NotFoundError, TooManyRequestsError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import { continueTrace } from '../platform/tracing.js';
import type { SellerAuth } from '../sellers/seller-auth.js';
import type { SellerRateLimits } from '../sellers/seller-rate-limits.js';
import { shopRateLimit } from '../sellers/shop-rate-limit.js';
import type { DelayFanout } from './delay-fanout.js';
import type { DelayRepository } from './delay-repository.js';
import { delayIdOf, DeliveryDelayRequestSchema } from './delay-schema.js';

// 10,000 order ids of up to 64 characters, quoted and separated: under 1 MiB.
const DELAY_BODY_LIMIT = 1024 * 1024;

const DelayIdParams = z.object({ delayId: z.string().regex(/^dly_[A-Za-z0-9_-]{1,40}$/, 'a delay id such as dly_…') });

const createRoute = {
  summary: "Tell every buyer of the seller's orders due that day about a delay",
  tags: ['delivery-delays'],
  body: DeliveryDelayRequestSchema,
  response: {
    202: z
      .object({
        delayId: z.string(),
        orders: z.number().int().min(0),
        status: z.enum(['accepted', 'already_accepted']),
        note: z.string().optional(),
      })
      .describe('accepted, with the number of orders'),
    429: retryLaterResponse(
      'daily_notice_quota: the delay would take the seller past DELAY_NOTICES_PER_DAY buyers told today (UTC); nothing was created; Retry-After is the time to midnight UTC. Or rate_limited: the seller made more than SHOP_DELAYS_PER_MINUTE delay requests to this server in the current minute; Retry-After says when the window renews',
    ),
    ...errorResponses(400, 401, 403, 413, 415, 503),
  },
};

const progressRoute = {
  summary: 'Progress of a delivery delay',
  tags: ['delivery-delays'],
  params: DelayIdParams,
  response: { 200: z.unknown().describe('progress'), ...errorResponses(400, 401, 404) },
};

/** Seconds until the next UTC midnight, when a seller's daily allowance of notices renews. */
function secondsToUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}

export function delayRoutes(deps: {
  db: Db;
  delays: DelayRepository;
  fanout: Pick<DelayFanout, 'run'>;
  admit?: () => void;
  auth: SellerAuth;
  /** Per-seller limit on POST /delivery-delays, apart from the orders' limit. */
  rateLimits: Pick<SellerRateLimits, 'perMinute'>;
  /** Buyers a seller's delays may tell per UTC day. */
  noticesPerDay: number;
}) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    // onRequest, before the body is read: a caller without a valid key cannot make the server
    // parse megabytes, and learns nothing about its body either.
    app.addHook('onRequest', (req, reply) => deps.auth.authenticate(req, reply));
    const limitDelays = await shopRateLimit(app, { kind: 'delays', auth: deps.auth, limits: deps.rateLimits });
    app.post('/delivery-delays', { bodyLimit: DELAY_BODY_LIMIT, onRequest: limitDelays, schema: createRoute }, async (req, reply) => {
      const request = req.body;
      deps.auth.assertMayActFor(req, request.sellerId);
      deps.admit?.();
      const delayId = delayIdOf(request);
      const { traceId } = continueTrace(req.headers.traceparent);
      const { created, total, reason } = await deps.db.transaction().execute(async (trx) => {
        const result = await deps.delays.create(trx, delayId, request, traceId);
        // Over the allowance, the delay is not created at all (the transaction rolls back).
        if (result.created && result.noticesToday > deps.noticesPerDay) {
          throw new TooManyRequestsError(
            'daily_notice_quota',
            `This delay would tell ${result.total} buyers, taking seller ${request.sellerId} to ${result.noticesToday} notices today (UTC), over the allowance of ${deps.noticesPerDay}. ` +
              'Nothing was created. Narrow it (orderIds), wait for the allowance to renew at midnight UTC, or ask the operator to raise DELAY_NOTICES_PER_DAY.',
            secondsToUtcMidnight(),
          );
        }
        return result;
      });
      if (total > 0) void deps.fanout.run(delayId);
      const note =
        !created && reason !== request.reason
          ? {
              note: `These orders were already delayed to ${request.newDeliveryDate}, with the reason "${reason}"; a new reason alone tells no buyer again.`,
            }
          : {};
      return reply
        .code(202)
        .header('location', `/delivery-delays/${delayId}`)
        .send({ delayId, orders: total, status: created ? 'accepted' : 'already_accepted', ...note });
    });

    app.get('/delivery-delays/:delayId', { schema: progressRoute }, async (req) => {
      const { delayId } = req.params;
      const progress = await deps.delays.progress(deps.db, delayId);
      if (!progress || !deps.auth.maySee(req, progress.sellerId)) throw new NotFoundError(`No delivery delay ${delayId}`);
      return progress;
    });
  };
}
