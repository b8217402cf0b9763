// Row types of the delivery-delay tables, as kysely sees them.
import type { ColumnType } from 'kysely';

export type DeliveryDelaysTable = {
  delay_id: string;
  seller_id: string;
  requested_delivery_date: string | null;
  new_delivery_date: string;
  reason: string;
  total: number;
  created_at: ColumnType<Date, never, never>;
  published_at: ColumnType<Date | null, never, string>;
  /** Recorded by markFinished once every order is told or failed; derived when read until then. */
  finished_at: ColumnType<Date | null, never, string>;
  /** The trace the delay was requested under; its fan-out and notices continue it. */
  trace_id: string | null;
};

export type DeliveryDelayOrdersTable = {
  delay_id: string;
  order_id: string;
  previous_delivery_date: string;
  published_at: ColumnType<Date | null, never, string>;
  /** When the order's date was moved by this delay: also its delivery.delayed event (see the order_journal view). */
  processed_at: ColumnType<Date | null, never, string>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    delivery_delays: DeliveryDelaysTable;
    delivery_delay_orders: DeliveryDelayOrdersTable;
  }
}
