// All SQL about notification deliveries: which idempotency keys the messaging API already accepted.
import { sql, type Kysely } from 'kysely';
import { anyText, jsonRecordset } from '../platform/batch-sql.js';
import type { JournalEntry } from '../orders/order-repository.js';
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

    /**
     * Records a batch's outcome in one statement (atomic without a transaction): the deliveries the
     * messaging API accepted, each order confirmation's order marked notified, and the journal:
     * every failed attempt, and every delivery recorded now (one a concurrent duplicate already
     * recorded is not journaled twice).
     */
    async recordOutcomes(q: Q, sent: ReadonlyArray<{ delivery: Delivery; entry: JournalEntry }>, failed: readonly JournalEntry[]): Promise<void> {
      if (sent.length === 0 && failed.length === 0) return;
      const sentRows = jsonRecordset(
        sent.map(({ delivery: d, entry: e }) => ({
          idempotency_key: d.idempotencyKey, order_id: d.orderId, kind: d.kind, template: d.template, provider_message_id: d.providerMessageId,
          event: e.event, detail: e.detail ?? {}, trace_id: e.traceId ?? null,
        })),
        'idempotency_key text, order_id text, kind text, template text, provider_message_id text, event text, detail jsonb, trace_id text',
      );
      const failedRows = jsonRecordset(
        failed.map((e) => ({ order_id: e.orderId, event: e.event, detail: e.detail ?? {}, trace_id: e.traceId ?? null })),
        'order_id text, event text, detail jsonb, trace_id text',
      );
      await sql`
        with sent as (select * from ${sentRows}),
        recorded as (
          insert into deliveries (idempotency_key, order_id, kind, template, provider_message_id)
          select idempotency_key, order_id, kind, template, provider_message_id from sent
          on conflict (idempotency_key) do nothing
          returning idempotency_key
        ),
        notified as (
          update orders o set status = 'notified', updated_at = now()
          from sent s join recorded using (idempotency_key)
          where s.kind = 'order-confirmed' and o.order_id = s.order_id and o.status <> 'notified'
        )
        insert into order_journal (order_id, actor, event, detail, trace_id)
        select s.order_id, 'notification', s.event, s.detail, s.trace_id from sent s join recorded using (idempotency_key)
        union all
        select order_id, 'notification', event, detail, trace_id from ${failedRows}`.execute(q);
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;
