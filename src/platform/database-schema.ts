// The whole database as kysely types: each feature owns its table file, this joins them.
import type { DeliveryDelayOrdersTable, DeliveryDelaysTable } from '../delivery-delays/delay-table.js';
import type { DeliveriesTable } from '../notifications/delivery-table.js';
import type { OrderJournalTable, OrdersTable } from '../orders/order-table.js';

export type Database = {
  orders: OrdersTable;
  order_journal: OrderJournalTable;
  deliveries: DeliveriesTable;
  delivery_delays: DeliveryDelaysTable;
  delivery_delay_orders: DeliveryDelayOrdersTable;
};
