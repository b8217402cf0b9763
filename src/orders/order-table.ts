// Row types of the orders tables, as kysely sees them. Rows never leave the repositories.
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

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
  status: OrderStatus;
  payload: JSONColumnType<object, string, string>;
  payload_hash: string;
  trace_id: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, string | undefined, string>;
  /** When the newest delay applied to this order was created (null: never delayed). */
  last_delay_at: ColumnType<Date | null, string | null | undefined, string | null>;
};

export type OrderJournalTable = {
  id: Generated<string>;
  order_id: string;
  at: ColumnType<Date, never, never>;
  actor: string;
  event: string;
  detail: JSONColumnType<Record<string, unknown>, string, string>;
  trace_id: string | null;
};
