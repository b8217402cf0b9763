// All SQL on the per-seller rate-limit overrides and their audit.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { RateLimitOverride } from './shop-rate-limit-rules.js';

type Q = Kysely<Database>;

export type StoredOverride = RateLimitOverride & { reason: string; updatedBy: string; updatedAt: string };

export type RateLimitChangeSource = 'cli' | 'rest';

export type RateLimitChange = {
  sellerId: string;
  action: 'set' | 'clear';
  previous: RateLimitOverride | null;
  next: RateLimitOverride | null;
  reason: string | null;
  actor: string;
  source: RateLimitChangeSource;
};

export type RateLimitChangeEntry = Omit<RateLimitChange, 'sellerId'> & { at: string };

/** Both limits null is no override at all (an override always names at least one). */
const overrideOf = (orders: number | null, delays: number | null): RateLimitOverride | null =>
  orders === null && delays === null ? null : { ordersPerMinute: orders, delaysPerMinute: delays };

/** Long by design: one factory returning the rate-limit override queries as short methods. */
export function createSellerRateLimitRepository() {
  return {
    /** Every override, for the periodic reload; there are few (operators set them one by one). */
    async all(q: Q): Promise<Map<string, RateLimitOverride>> {
      const rows = await q.selectFrom('seller_rate_limits').select(['seller_id', 'orders_per_minute', 'delays_per_minute']).execute();
      return new Map(rows.map((r) => [r.seller_id, { ordersPerMinute: r.orders_per_minute, delaysPerMinute: r.delays_per_minute }]));
    },

    /** One seller's override; `forUpdate` holds its row until the transaction ends. */
    async find(q: Q, sellerId: string, options: { forUpdate?: boolean } = {}): Promise<StoredOverride | undefined> {
      let query = q.selectFrom('seller_rate_limits').selectAll().where('seller_id', '=', sellerId);
      if (options.forUpdate) query = query.forUpdate();
      const r = await query.executeTakeFirst();
      return (
        r && {
          ordersPerMinute: r.orders_per_minute,
          delaysPerMinute: r.delays_per_minute,
          reason: r.reason,
          updatedBy: r.updated_by,
          updatedAt: r.updated_at.toISOString(),
        }
      );
    },

    async upsert(q: Q, sellerId: string, override: RateLimitOverride, by: { reason: string; actor: string }): Promise<void> {
      const values = {
        orders_per_minute: override.ordersPerMinute,
        delays_per_minute: override.delaysPerMinute,
        reason: by.reason,
        updated_by: by.actor,
        updated_at: new Date().toISOString(),
      };
      await q
        .insertInto('seller_rate_limits')
        .values({ seller_id: sellerId, ...values })
        .onConflict((oc) => oc.column('seller_id').doUpdateSet(values))
        .execute();
    },

    async remove(q: Q, sellerId: string): Promise<void> {
      await q.deleteFrom('seller_rate_limits').where('seller_id', '=', sellerId).execute();
    },

    async recordChange(q: Q, change: RateLimitChange): Promise<void> {
      await q
        .insertInto('seller_rate_limit_changes')
        .values({
          seller_id: change.sellerId,
          action: change.action,
          old_orders_per_minute: change.previous?.ordersPerMinute ?? null,
          old_delays_per_minute: change.previous?.delaysPerMinute ?? null,
          new_orders_per_minute: change.next?.ordersPerMinute ?? null,
          new_delays_per_minute: change.next?.delaysPerMinute ?? null,
          reason: change.reason,
          actor: change.actor,
          source: change.source,
        })
        .execute();
    },

    /** A seller's changes, newest first. */
    async history(q: Q, sellerId: string, limit = 20): Promise<RateLimitChangeEntry[]> {
      const rows = await q
        .selectFrom('seller_rate_limit_changes')
        .selectAll()
        .where('seller_id', '=', sellerId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        at: r.at.toISOString(),
        action: r.action,
        previous: overrideOf(r.old_orders_per_minute, r.old_delays_per_minute),
        next: overrideOf(r.new_orders_per_minute, r.new_delays_per_minute),
        reason: r.reason,
        actor: r.actor,
        source: r.source,
      }));
    },
  };
}

export type SellerRateLimitRepository = ReturnType<typeof createSellerRateLimitRepository>;
