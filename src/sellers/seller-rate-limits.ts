// The limits in force for each seller, read from memory on every shop request. Operators' overrides
// live in PostgreSQL and are re-read every SELLER_RATE_LIMIT_RELOAD_MS, so a change reaches every
// process within that time without a query per request. A failed reload keeps the last overrides.
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { repeatEvery, type Repeating } from '../platform/repeat-every.js';
import type { SellerRateLimitRepository } from './seller-rate-limit-repository.js';
import { effectiveLimits, limitOf, type RateLimitKind, type RateLimitOverride, type ShopRateLimits } from './shop-rate-limit-rules.js';

export type SellerRateLimits = ReturnType<typeof createSellerRateLimits>;

export function createSellerRateLimits(deps: {
  db: Db;
  limits: Pick<SellerRateLimitRepository, 'all'>;
  defaults: ShopRateLimits;
  reloadMs: number;
  logger: Logger;
}) {
  const logger = deps.logger.child({ module: 'seller-rate-limits' });
  let overrides = new Map<string, RateLimitOverride>();
  let reloading: Repeating | undefined;

  const reload = async (): Promise<void> => {
    overrides = await deps.limits.all(deps.db);
  };

  return {
    /** Reads the overrides before the first request, then keeps them current. */
    async start(): Promise<void> {
      await reload();
      reloading = repeatEvery(
        deps.reloadMs,
        reload,
        (err) => logger.warn({ err }, "could not re-read the sellers' rate-limit overrides; the last ones stay in force"),
        { unref: true },
      );
    },
    async stop(): Promise<void> {
      await reloading?.stop();
    },
    /** Requests per minute `sellerId` may make of this kind; 0 means no limit. */
    perMinute(sellerId: string, kind: RateLimitKind): number {
      return limitOf(effectiveLimits(deps.defaults, overrides.get(sellerId)), kind);
    },
  };
}
