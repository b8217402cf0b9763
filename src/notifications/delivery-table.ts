// Row type of the deliveries table: one row per notification the messaging API accepted.
import type { ColumnType } from 'kysely';

export type DeliveriesTable = {
  idempotency_key: string;
  order_id: string;
  kind: string;
  template: string;
  provider_message_id: string;
  sent_at: ColumnType<Date, never, never>;
  /** What the order's journal shows for this delivery (its notification.sent event). */
  trace_id: string | null;
  attempt: number;
  /** 'new' or 'old' when a switch chose the template, null otherwise. */
  switch_path: string | null;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    deliveries: DeliveriesTable;
  }
}
