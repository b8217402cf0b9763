// POST /delivery-delays answers at once with how many orders are concerned; the fan-out to their
// buyers runs behind it. GET /delivery-delays/:delayId shows its progress.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, toIssues, TooManyRequestsError, ValidationError } from '../http/http-errors.js';
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
  return async (app: FastifyInstance): Promise<void> => {
    // onRequest, before the body is read: a caller without a valid key cannot make the server
    // parse megabytes, and learns nothing about its body either.
    app.addHook('onRequest', (req, reply) => deps.auth.authenticate(req, reply));
    const limitDelays = await shopRateLimit(app, { kind: 'delays', auth: deps.auth, limits: deps.rateLimits });
    app.post('/delivery-delays', { bodyLimit: DELAY_BODY_LIMIT, onRequest: limitDelays }, async (req, reply) => {
      const parsed = DeliveryDelayRequestSchema.safeParse(req.body);
      if (!parsed.success) throw new ValidationError(toIssues(parsed.error));
      deps.auth.assertMayActFor(req, parsed.data.sellerId);
      deps.admit?.();
      const delayId = delayIdOf(parsed.data);
      const { traceId } = continueTrace(req.headers.traceparent);
      const { created, total, reason } = await deps.db.transaction().execute(async (trx) => {
        const result = await deps.delays.create(trx, delayId, parsed.data, traceId);
        // Over the allowance, the delay is not created at all (the transaction rolls back).
        if (result.created && result.noticesToday > deps.noticesPerDay) {
          throw new TooManyRequestsError(
            'daily_notice_quota',
            `This delay would tell ${result.total} buyers, taking seller ${parsed.data.sellerId} to ${result.noticesToday} notices today (UTC), over the allowance of ${deps.noticesPerDay}. ` +
              'Nothing was created. Narrow it (orderIds), wait for the allowance to renew at midnight UTC, or ask the operator to raise DELAY_NOTICES_PER_DAY.',
            secondsToUtcMidnight(),
          );
        }
        return result;
      });
      if (total > 0) void deps.fanout.run(delayId);
      const note =
        !created && reason !== parsed.data.reason
          ? {
              note: `These orders were already delayed to ${parsed.data.newDeliveryDate}, with the reason "${reason}"; a new reason alone tells no buyer again.`,
            }
          : {};
      return reply
        .code(202)
        .header('location', `/delivery-delays/${delayId}`)
        .send({ delayId, orders: total, status: created ? 'accepted' : 'already_accepted', ...note });
    });

    app.get('/delivery-delays/:delayId', async (req) => {
      const params = DelayIdParams.safeParse(req.params);
      if (!params.success) throw new ValidationError(toIssues(params.error));
      const progress = await deps.delays.progress(deps.db, params.data.delayId);
      if (!progress || !deps.auth.maySee(req, progress.sellerId)) throw new NotFoundError(`No delivery delay ${params.data.delayId}`);
      return progress;
    });
  };
}
