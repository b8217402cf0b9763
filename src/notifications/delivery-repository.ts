// All SQL about notification deliveries: which idempotency keys the messaging API already accepted.
import { sql, type Kysely } from 'kysely';
import { anyText, jsonRecordset } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';

type Q = Kysely<Database>;

export type Delivery = { idempotencyKey: string; orderId: string; kind: string; template: string; providerMessageId: string };

export function createDeliveryRepository() {
  return {
    async deliveredKeys(q: Q, keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await q.selectFrom('deliveries').select('idempotency_key').where('idempotency_key', '=', anyText(keys)).execute();
      return new Set(rows.map((r) => r.idempotency_key));
    },

    /** Records deliveries; returns the keys that were new (a concurrent duplicate is not counted twice). */
    async record(q: Q, deliveries: readonly Delivery[]): Promise<Set<string>> {
      if (deliveries.length === 0) return new Set();
      const rows = await q
        .insertInto('deliveries')
        .columns(['idempotency_key', 'order_id', 'kind', 'template', 'provider_message_id'])
        .expression(
          sql`select idempotency_key, order_id, kind, template, provider_message_id
              from ${jsonRecordset(
                deliveries.map((d) => ({ idempotency_key: d.idempotencyKey, order_id: d.orderId, kind: d.kind, template: d.template, provider_message_id: d.providerMessageId })),
                'idempotency_key text, order_id text, kind text, template text, provider_message_id text',
              )}`,
        )
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('idempotency_key')
        .execute();
      return new Set(rows.map((r) => r.idempotency_key));
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;
