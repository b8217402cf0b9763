// All SQL about orders and their journal. Functions take `db` or a transaction, so use cases decide
// what commits together.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { idempotencyKey } from '../notifications/notification-messages.js';
import { anyText, jsonRecordset } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';
import type { Pricing } from './order-rules.js';
import type { Order } from './order-schema.js';
import type { OrderStatus } from './order-table.js';

type Q = Kysely<Database>;

export type NewOrder = { order: Order; pricing: Pricing; payloadHash: string; traceId: string; submittedAt: string; attempt: number };

export type JournalEntry = { orderId: string; actor: string; event: string; detail?: Record<string, unknown>; traceId?: string | null };

export type OrderView = {
  orderId: string;
  sellerId: string;
  status: OrderStatus;
  currency: string;
  requestedDeliveryDate: string;
  deliveryDate: string;
  goodsTotal: number;
  shippingFee: number;
  total: number;
  ruleVersion: number;
  order: Order;
  traceId: string | null;
  createdAt: string;
  updatedAt: string;
  journal: Array<{ at: string; actor: string; event: string; detail: Record<string, unknown> }>;
};

/** Long by design: one factory returning the orders queries as short methods. */
/**
 * The statement that journals `entries`, for a feature that records an order's events in the same
 * statement as its own rows (a CTE: atomic without a transaction). The journal's SQL stays here.
 */
export function journalInsert(entries: readonly JournalEntry[]): RawBuilder<unknown> {
  const rows = entries.map((e) => ({ order_id: e.orderId, actor: e.actor, event: e.event, detail: e.detail ?? {}, trace_id: e.traceId ?? null }));
  return sql`
    insert into order_journal_entries (order_id, actor, event, detail, trace_id)
    select order_id, actor, event, detail, trace_id from ${jsonRecordset(rows, 'order_id text, actor text, event text, detail jsonb, trace_id text')}`;
}

export function createOrderRepository() {
  return {
    /**
     * Inserts the orders that do not exist yet, in one statement; returns the ids it inserted. The
     * row is also the order's order.processed event (see the order_journal view).
     */
    async insertNew(q: Q, orders: readonly NewOrder[]): Promise<Set<string>> {
      if (orders.length === 0) return new Set();
      const rows = orders.map(({ order, pricing, payloadHash, traceId, submittedAt, attempt }) => ({
        order_id: order.orderId,
        seller_id: order.sellerId,
        buyer_id: order.buyer.id,
        currency: order.currency,
        due: order.requestedDeliveryDate,
        goods_total: pricing.goodsTotal,
        shipping_fee: pricing.shippingFee,
        total: pricing.total,
        rule_version: pricing.ruleVersion,
        payload: order,
        payload_hash: payloadHash,
        trace_id: traceId,
        submitted_at: submittedAt,
        attempt,
      }));
      const inserted = await q
        .insertInto('orders')
        .columns([
          'order_id',
          'seller_id',
          'buyer_id',
          'currency',
          'requested_delivery_date',
          'delivery_date',
          'goods_total',
          'shipping_fee',
          'total',
          'rule_version',
          'payload',
          'payload_hash',
          'trace_id',
          'submitted_at',
          'processed_attempt',
        ])
        .expression(
          sql`select order_id, seller_id, buyer_id, currency, due, due, goods_total, shipping_fee, total, rule_version, payload, payload_hash, trace_id, submitted_at, attempt
              from ${jsonRecordset(rows, 'order_id text, seller_id text, buyer_id text, currency text, due date, goods_total bigint, shipping_fee bigint, total bigint, rule_version int, payload jsonb, payload_hash text, trace_id text, submitted_at timestamptz, attempt int')}`,
        )
        .onConflict((oc) => oc.column('order_id').doNothing())
        .returning('order_id')
        .execute();
      return new Set(inserted.map((r) => r.order_id));
    },

    /** What is stored of orders that already exist: whose they are, their content's fingerprint and their total. */
    async stored(q: Q, orderIds: readonly string[]): Promise<Map<string, { sellerId: string; payloadHash: string; total: number }>> {
      if (orderIds.length === 0) return new Map();
      const rows = await q.selectFrom('orders').select(['order_id', 'seller_id', 'payload_hash', 'total']).where('order_id', '=', anyText(orderIds)).execute();
      return new Map(rows.map((r) => [r.order_id, { sellerId: r.seller_id, payloadHash: r.payload_hash, total: r.total }]));
    },

    /** Journals what happens to orders only now and then; everyday events are read from their rows. */
    async appendJournal(q: Q, entries: readonly JournalEntry[]): Promise<void> {
      if (entries.length === 0) return;
      await journalInsert(entries).execute(q);
    },

    /**
     * Deletes up to `limit` journal entries older than `cutoff`, oldest first, picked through the
     * index on `at`; returns how many. The orders and deliveries rows (and so the everyday events)
     * are not touched.
     */
    async deleteJournalEntriesBefore(q: Q, cutoff: Date, limit: number): Promise<number> {
      const result = await sql`
        delete from order_journal_entries where id in (
          select id from order_journal_entries where at < ${cutoff} order by at limit ${limit})`.execute(q);
      return Number(result.numAffectedRows ?? 0);
    },

    /**
     * The ids of the newest `limit` orders, newest first. A top-N sort over the table: no index is
     * kept on created_at for it, which would cost every order an index write for an operator's
     * occasional question.
     */
    async recentOrderIds(q: Q, limit: number): Promise<string[]> {
      const rows = await q.selectFrom('orders').select('order_id').orderBy('created_at', 'desc').orderBy('order_id').limit(limit).execute();
      return rows.map((r) => r.order_id);
    },

    /** The ids of the newest `limit` orders whose buyer's confirmation is not recorded as delivered yet. */
    async unnotifiedOrderIds(q: Q, limit: number): Promise<string[]> {
      // The confirmation's key with an empty order id is its prefix: the key stays defined in one place.
      const prefix = idempotencyKey('order-confirmed', '');
      const rows = await q
        .selectFrom('orders as o')
        .leftJoin('deliveries as d', (join) => join.on('d.idempotency_key', '=', sql<string>`${prefix} || o.order_id`))
        .select('o.order_id')
        .where('d.idempotency_key', 'is', null)
        .orderBy('o.created_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => r.order_id);
    },

    async find(q: Q, orderId: string): Promise<OrderView | undefined> {
      // Notified once the messaging API accepted its confirmation: the delivery row says so.
      const row = await q
        .selectFrom('orders as o')
        .leftJoin('deliveries as d', (join) => join.on('d.idempotency_key', '=', idempotencyKey('order-confirmed', orderId)))
        .selectAll('o')
        .select('d.sent_at as notified_at')
        .where('o.order_id', '=', orderId)
        .executeTakeFirst();
      if (!row) return undefined;
      const journal = await q
        .selectFrom('order_journal')
        .select(['at', 'actor', 'event', 'detail'])
        .where('order_id', '=', orderId)
        .orderBy('at')
        .orderBy('id')
        .execute();
      const updatedAt = row.notified_at && row.notified_at > new Date(row.updated_at) ? row.notified_at : new Date(row.updated_at);
      return {
        orderId: row.order_id,
        sellerId: row.seller_id,
        status: row.notified_at ? 'notified' : 'processed',
        currency: row.currency,
        requestedDeliveryDate: row.requested_delivery_date,
        deliveryDate: row.delivery_date,
        goodsTotal: row.goods_total,
        shippingFee: row.shipping_fee,
        total: row.total,
        ruleVersion: row.rule_version,
        order: row.payload as Order,
        traceId: row.trace_id,
        createdAt: row.created_at.toISOString(),
        updatedAt: updatedAt.toISOString(),
        journal: journal.map((j) => ({ at: j.at.toISOString(), actor: j.actor, event: j.event, detail: j.detail })),
      };
    },
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
