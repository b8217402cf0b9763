// The per-seller rate limit on shop requests, with @fastify/rate-limit counting in this process's
// memory. Per process is enough here: behind a balancer each intake process sees about 1/N of a
// shop's requests, so a shop gets at most N times the setting across N processes, and the operator
// sizes the setting per process. A shared store would mean Redis, a moving part the service has
// nowhere else, or PostgreSQL on every request, which costs per-order CPU the intake was made lean
// to save (docs/configuration.md).
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { retryLaterResponse } from '../http/error-responses.js';
import { TooManyRequestsError } from '../http/http-errors.js';
import type { SellerAuth } from './seller-auth.js';
import type { SellerRateLimits } from './seller-rate-limits.js';
import { RATE_LIMIT_WINDOW_MS, rateLimitedMessage, retryAfterSeconds, type RateLimitKind } from './shop-rate-limit-rules.js';

// Sellers whose counters one process keeps; past it the least recently seen seller's count restarts.
const TRACKED_SELLERS = 10_000;

export type ShopRateLimitHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Registers the plugin in `app`'s scope and returns one counter for `kind`, to be put on every route
 * it covers as a route-level onRequest hook: route hooks run after the scope's own, so the seller's
 * key has been checked (a caller without one got 401) and the body is not read yet (a shop over its
 * limit cannot make the server parse megabytes). Requests of no seller (SELLER_AUTH=off) and
 * sellers whose limit is 0 are not counted.
 */
export async function shopRateLimit(
  app: FastifyInstance,
  deps: { kind: RateLimitKind; auth: Pick<SellerAuth, 'sellerOf'>; limits: Pick<SellerRateLimits, 'perMinute'> },
): Promise<ShopRateLimitHook> {
  const { kind, auth, limits } = deps;
  await app.register(rateLimit, { global: false });
  const check = app.rateLimit({
    timeWindow: RATE_LIMIT_WINDOW_MS,
    cache: TRACKED_SELLERS,
    keyGenerator: (req) => auth.sellerOf(req) ?? '',
    allowList: (_req, sellerId) => sellerId === '' || limits.perMinute(sellerId, kind) === 0,
    max: (_req, sellerId) => limits.perMinute(sellerId, kind),
    errorResponseBuilder: (req, context) => {
      const retryAfterS = retryAfterSeconds(context.ttl);
      const sellerId = auth.sellerOf(req) ?? '?';
      return new TooManyRequestsError('rate_limited', rateLimitedMessage({ sellerId, kind, limit: context.max, retryAfterS }), retryAfterS);
    },
  });
  return async (req, reply) => {
    await check.call(app, req, reply);
  };
}

/** The 429 of a limited route, for its schema's `response`; `limit` names the setting and what it counts. */
export function rateLimitedResponse(limit: string) {
  return retryLaterResponse(
    `rate_limited: the seller made more than ${limit} requests to this server in the current minute; nothing was accepted. Retry-After is the seconds until the window renews`,
  );
}
