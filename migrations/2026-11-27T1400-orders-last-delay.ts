// Which delay last moved an order's date, on the order row itself: applying a delay updates the
// order only if its delay is newer, and PostgreSQL re-checks that condition on the locked row, so
// two processes applying two delays of one order at once cannot leave the older date. This
// replaces the lookup index of the previous migration, which a concurrent update could not see
// through. Dead letters are looked up by message id for a delay's progress. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('last_delay_at', 'timestamptz').execute();
  await db.schema.dropIndex('delivery_delay_orders_order_idx').ifExists().execute();
  await sql`create index failed_messages_message_id_idx on failed_messages (message_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index failed_messages_message_id_idx`.execute(db);
  await db.schema.createIndex('delivery_delay_orders_order_idx').on('delivery_delay_orders').column('order_id').execute();
  await db.schema.alterTable('orders').dropColumn('last_delay_at').execute();
}
