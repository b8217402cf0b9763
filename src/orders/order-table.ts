// Row types of the orders tables, as kysely sees them. Rows never leave the repositories.
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** processed: stored and priced; notified: its buyer's confirmation was delivered. */
export type OrderStatus = 'processed' | 'notified';

export type OrdersTable = {
  order_id: string;
  seller_id: string;
  buyer_id: string;
  currency: string;
  requested_delivery_date: string;
  delivery_date: string;
  goods_total: number;
  shipping_fee: number;
  total: number;
  rule_version: number;
  payload: JSONColumnType<object, string, string>;
  payload_hash: string;
  trace_id: string | null;
  /** When the business actor stored it: the time of its order.processed event. */
  created_at: ColumnType<Date, never, never>;
  /** When intake accepted it (null for orders stored before this column existed). */
  submitted_at: ColumnType<Date | null, string, never>;
  /** The delivery of the business message that stored it (1 = first). */
  processed_attempt: ColumnType<number, number, never>;
  updated_at: ColumnType<Date, string | undefined, string>;
  /** When the newest delay applied to this order was created (null: never delayed). */
  last_delay_at: ColumnType<Date | null, string | null | undefined, string | null>;
};

/**
 * The events of orders that happen only now and then (a conflict, a failed attempt, a delay). The
 * everyday ones are columns of the orders and deliveries rows; the order_journal view shows all.
 */
export type OrderJournalEntriesTable = {
  id: Generated<string>;
  order_id: string;
  at: ColumnType<Date, never, never>;
  actor: string;
  event: string;
  detail: JSONColumnType<Record<string, unknown>, string, string>;
  trace_id: string | null;
};

/** The order_journal view: every event of every order, read-only. `id` is null for derived events. */
export type OrderJournalView = {
  id: ColumnType<string | null, never, never>;
  order_id: ColumnType<string, never, never>;
  at: ColumnType<Date, never, never>;
  actor: ColumnType<string, never, never>;
  event: ColumnType<string, never, never>;
  detail: ColumnType<Record<string, unknown>, never, never>;
  trace_id: ColumnType<string | null, never, never>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    orders: OrdersTable;
    order_journal_entries: OrderJournalEntriesTable;
    order_journal: OrderJournalView;
  }
}
