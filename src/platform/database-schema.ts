// The whole database as kysely types: each feature owns its table file, this joins them.
import type { RetentionRunsTable } from '../data-retention/retention-run-table.js';
import type { FailedMessagesTable } from '../dead-letters/failed-message-table.js';
import type { DeliveryDelayOrdersTable, DeliveryDelaysTable } from '../delivery-delays/delay-table.js';
import type { DeliveriesTable } from '../notifications/delivery-table.js';
import type { NotificationSigningKeysTable } from '../notifications/signing-key-table.js';
import type { OrderJournalEntriesTable, OrderJournalView, OrdersTable } from '../orders/order-table.js';
import type { SellerApiKeysTable } from '../sellers/seller-key-table.js';
import type { SellerRateLimitChangesTable, SellerRateLimitsTable } from '../sellers/seller-rate-limit-table.js';
import type { SwitchChangesTable } from '../switch-admin/switch-table.js';

export type Database = {
  orders: OrdersTable;
  order_journal_entries: OrderJournalEntriesTable;
  order_journal: OrderJournalView;
  deliveries: DeliveriesTable;
  failed_messages: FailedMessagesTable;
  delivery_delays: DeliveryDelaysTable;
  delivery_delay_orders: DeliveryDelayOrdersTable;
  switch_changes: SwitchChangesTable;
  seller_api_keys: SellerApiKeysTable;
  seller_rate_limits: SellerRateLimitsTable;
  seller_rate_limit_changes: SellerRateLimitChangesTable;
  data_retention_runs: RetentionRunsTable;
  notification_signing_keys: NotificationSigningKeysTable;
};
