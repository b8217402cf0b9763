// The delays an order is in, by order: applying a delay checks that no newer delay of the same
// order was applied already (a retried message must not undo a later delay). Frozen once applied.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('delivery_delay_orders_order_idx').on('delivery_delay_orders').column('order_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('delivery_delay_orders_order_idx').execute();
}
