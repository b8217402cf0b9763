// Shops' API keys: `oak_<keyId>_<secret>`. The key id finds the row; only a SHA-256 of the secret
// is stored and it is compared in constant time. Verified keys are cached for a short while
// (SELLER_KEY_CACHE_TTL_MS), so a revocation made elsewhere takes effect within that time without a
// database query on every request.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../platform/db.js';

const KEY_FORMAT = /^oak_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

export type SellerKeys = ReturnType<typeof createSellerKeys>;

export function createSellerKeys(deps: { db: Db; cacheTtlMs?: number }) {
  const { db } = deps;
  // Keyed by key id and the secret's hash, so no plaintext secret lives in the heap. A repeated
  // wrong key is answered from here too; new guesses still cost one indexed lookup each.
  const cache = new LRUCache<string, { sellerId: string } | 'invalid'>({ max: 10_000, ttl: deps.cacheTtlMs ?? 30_000 });

  return {
    async create(sellerId: string): Promise<{ keyId: string; apiKey: string }> {
      const keyId = randomBytes(6).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      await db
        .insertInto('seller_api_keys')
        .values({ key_id: keyId, seller_id: sellerId, secret_hash: hash(secret) })
        .execute();
      return { keyId, apiKey: `oak_${keyId}_${secret}` };
    },

    /** Revokes a key; returns false when there is no such active key. */
    async revoke(keyId: string): Promise<boolean> {
      const res = await db
        .updateTable('seller_api_keys')
        .set({ revoked_at: new Date().toISOString() })
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      cache.clear();
      return Number(res.numUpdatedRows) > 0;
    },

    async list(sellerId?: string) {
      let q = db.selectFrom('seller_api_keys').select(['key_id', 'seller_id', 'created_at', 'revoked_at']).orderBy('created_at');
      if (sellerId) q = q.where('seller_id', '=', sellerId);
      return (await q.execute()).map((r) => ({
        keyId: r.key_id,
        sellerId: r.seller_id,
        createdAt: r.created_at.toISOString(),
        revokedAt: r.revoked_at?.toISOString() ?? null,
      }));
    },

    /** The seller an API key belongs to, or undefined for a malformed, unknown or revoked key. */
    async verify(apiKey: string): Promise<string | undefined> {
      const m = KEY_FORMAT.exec(apiKey);
      if (!m) return undefined;
      const secretHash = hash(m[2]!);
      const cacheKey = `${m[1]!}:${secretHash}`;
      const cached = cache.get(cacheKey);
      if (cached) return cached === 'invalid' ? undefined : cached.sellerId;
      const row = await db
        .selectFrom('seller_api_keys')
        .select(['seller_id', 'secret_hash'])
        .where('key_id', '=', m[1]!)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const ok = row !== undefined && timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), Buffer.from(secretHash, 'hex'));
      cache.set(cacheKey, ok ? { sellerId: row.seller_id } : 'invalid');
      return ok ? row.seller_id : undefined;
    },
  };
}
