// All SQL about notification deliveries: which idempotency keys the messaging API already accepted.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { anyText, jsonRecordset } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';

type Q = Kysely<Database>;

export type Delivery = {
  idempotencyKey: string;
  orderId: string;
  kind: string;
  template: string;
  providerMessageId: string;
  traceId: string;
  /** Which delivery of the notification message this was (1 = first). */
  attempt: number;
  /** Set when a switch chose the template. */
  switchPath?: 'new' | 'old' | undefined;
};

/** An event of an order's journal, which the orders feature owns; a failed attempt is written as one. */
export type JournalLine = { orderId: string; actor: string; event: string; detail?: Record<string, unknown>; traceId?: string | null };

export function createDeliveryRepository(deps: {
  /** The orders feature's statement that journals lines (journalInsert), so its SQL stays there. */
  journalInsert: (lines: readonly JournalLine[]) => RawBuilder<unknown>;
}) {
  return {
    async deliveredKeys(q: Q, keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await q.selectFrom('deliveries').select('idempotency_key').where('idempotency_key', '=', anyText(keys)).execute();
      return new Set(rows.map((r) => r.idempotency_key));
    },

    /**
     * Records a batch's outcome in one statement (atomic without a transaction): the deliveries the
     * messaging API accepted, which are also their notification.sent events and, for an order
     * confirmation, what makes the order notified (see the order_journal view); and every failed
     * attempt, in the journal. A delivery a concurrent duplicate recorded first is kept as it was.
     */
    async recordOutcomes(q: Q, sent: readonly Delivery[], failed: readonly JournalLine[]): Promise<void> {
      if (sent.length === 0 && failed.length === 0) return;
      const sentRows = jsonRecordset(
        sent.map((d) => ({
          idempotency_key: d.idempotencyKey,
          order_id: d.orderId,
          kind: d.kind,
          template: d.template,
          provider_message_id: d.providerMessageId,
          trace_id: d.traceId,
          attempt: d.attempt,
          switch_path: d.switchPath ?? null,
        })),
        'idempotency_key text, order_id text, kind text, template text, provider_message_id text, trace_id text, attempt int, switch_path text',
      );
      const insertSent = sql`
        insert into deliveries (idempotency_key, order_id, kind, template, provider_message_id, trace_id, attempt, switch_path)
        select idempotency_key, order_id, kind, template, provider_message_id, trace_id, attempt, switch_path from ${sentRows}
        on conflict (idempotency_key) do nothing`;
      if (failed.length === 0) {
        await insertSent.execute(q);
        return;
      }
      // The failed attempts go into the orders feature's journal through its own statement.
      await sql`with recorded as (${insertSent}) ${deps.journalInsert(failed.map((e) => ({ ...e, actor: 'notification' })))}`.execute(q);
    },
  };
}

export type DeliveryRepository = ReturnType<typeof createDeliveryRepository>;

/** When the notice with idempotency key `key` was delivered, as a scalar subquery (null while it is not): for the delays' progress. */
export const deliveredAtOf = (key: RawBuilder<unknown>): RawBuilder<Date | null> =>
  sql<Date | null>`(select sent_at from deliveries where idempotency_key = ${key})`;
