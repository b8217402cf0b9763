// What an operator can do with a seller's rate limits, shared by the admin routes and the CLI: look
// at the limits in force with the override and its history, set an override, clear it. Every
// change is audited in the same transaction as the change itself.
import { NotFoundError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import type { RateLimitChangeEntry, RateLimitChangeSource, SellerRateLimitRepository, StoredOverride } from './seller-rate-limit-repository.js';
import type { RateLimitOverrideInput } from './seller-rate-limit-schema.js';
import { effectiveLimits, type ShopRateLimits } from './shop-rate-limit-rules.js';

export type SellerRateLimitView = {
  sellerId: string;
  /** The limits in force (0: none), per minute and per intake process. */
  limits: ShopRateLimits;
  defaults: ShopRateLimits;
  override: StoredOverride | null;
  changes: RateLimitChangeEntry[];
};

export type ChangedBy = { actor: string; source: RateLimitChangeSource };

export type SellerRateLimitAdmin = ReturnType<typeof createSellerRateLimitAdmin>;

export function createSellerRateLimitAdmin(deps: { db: Db; limits: SellerRateLimitRepository; defaults: ShopRateLimits }) {
  const { db, limits, defaults } = deps;

  const show = async (sellerId: string): Promise<SellerRateLimitView> => {
    const [override, changes] = await Promise.all([limits.find(db, sellerId), limits.history(db, sellerId)]);
    return { sellerId, limits: effectiveLimits(defaults, override), defaults, override: override ?? null, changes };
  };

  return {
    show,

    /** Replaces the seller's override: a limit left out follows the default again. */
    async set(sellerId: string, input: RateLimitOverrideInput, by: ChangedBy): Promise<SellerRateLimitView> {
      const next = { ordersPerMinute: input.ordersPerMinute ?? null, delaysPerMinute: input.delaysPerMinute ?? null };
      await db.transaction().execute(async (trx) => {
        const previous = await limits.find(trx, sellerId, { forUpdate: true });
        await limits.upsert(trx, sellerId, next, { reason: input.reason, actor: by.actor });
        await limits.recordChange(trx, { sellerId, action: 'set', previous: previous ?? null, next, reason: input.reason, ...by });
      });
      return show(sellerId);
    },

    /** Removes the seller's override, so the defaults apply again. */
    async clear(sellerId: string, reason: string | undefined, by: ChangedBy): Promise<SellerRateLimitView> {
      await db.transaction().execute(async (trx) => {
        const previous = await limits.find(trx, sellerId, { forUpdate: true });
        if (!previous) throw new NotFoundError(`Seller ${sellerId} has no rate-limit override; it already follows the defaults`);
        await limits.remove(trx, sellerId);
        await limits.recordChange(trx, { sellerId, action: 'clear', previous, next: null, reason: reason ?? null, ...by });
      });
      return show(sellerId);
    },
  };
}
