// The whole database as kysely types: each feature owns its table file, this joins them.
import type { DeliveriesTable } from '../notifications/delivery-table.js';
import type { OrderJournalTable, OrdersTable } from '../orders/order-table.js';

export type Database = {
  orders: OrdersTable;
  order_journal: OrderJournalTable;
  deliveries: DeliveriesTable;
};
