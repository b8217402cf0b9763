// The SQL of keeping failed messages no longer than needed: masking the personal data of those past
// DEAD_LETTER_PII_DAYS and deleting those past DEAD_LETTER_RETENTION_DAYS. Each call handles one
// bounded batch picked through an index on the failure time, so a run never scans the table, and
// rows a replay holds locked are skipped (the next run takes them) instead of waited for.
import { sql, type Kysely } from 'kysely';
import { jsonRecordset } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';
import { maskStoredMessage } from './personal-data-mask.js';

type Q = Kysely<Database>;

export type FailedMessageRetention = ReturnType<typeof createFailedMessageRetention>;

export function createFailedMessageRetention() {
  return {
    /**
     * Masks up to `limit` unmasked rows whose last failure is before `cutoff`, oldest first, in one
     * transaction; returns how many. The rows come from the partial index of unmasked rows.
     */
    async maskBefore(q: Q, cutoff: Date, limit: number): Promise<number> {
      return q.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('failed_messages')
          .select(['id', 'body', 'body_json', 'headers'])
          .where('pii_masked_at', 'is', null)
          .where('last_failed_at', '<', cutoff)
          .orderBy('last_failed_at')
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        if (rows.length === 0) return 0;
        const masked = rows.map((r) => {
          const m = maskStoredMessage({ body: r.body, bodyJson: r.body_json, headers: r.headers });
          return { id: Number(r.id), body: m.body.toString('base64'), body_json: m.bodyJson, headers: m.headers };
        });
        const result = await sql`
          update failed_messages f
          set body = decode(r.body, 'base64'), body_json = r.body_json, headers = r.headers, pii_masked_at = now()
          from ${jsonRecordset(masked, 'id bigint, body text, body_json jsonb, headers jsonb')}
          where f.id = r.id`.execute(trx);
        return Number(result.numAffectedRows ?? 0);
      });
    },

    /** Deletes up to `limit` rows whose last failure is before `cutoff`, whatever their status; returns how many. */
    async deleteBefore(q: Q, cutoff: Date, limit: number): Promise<number> {
      const result = await sql`
        delete from failed_messages where id in (
          select id from failed_messages where last_failed_at < ${cutoff} order by last_failed_at limit ${limit} for update skip locked)`.execute(q);
      return Number(result.numAffectedRows ?? 0);
    },
  };
}
