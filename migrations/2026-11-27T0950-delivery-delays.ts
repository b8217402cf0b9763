// Delivery delays and the orders each one concerns. The per-order rows make the fan-out resumable
// (published_at) and the business step idempotent (processed_at). Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('delivery_delays')
    .addColumn('delay_id', 'text', (c) => c.primaryKey())
    .addColumn('seller_id', 'text', (c) => c.notNull())
    .addColumn('requested_delivery_date', 'date')
    .addColumn('new_delivery_date', 'date', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('delivery_delay_orders')
    .addColumn('delay_id', 'text', (c) => c.notNull().references('delivery_delays.delay_id'))
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('previous_delivery_date', 'date', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .addColumn('processed_at', 'timestamptz')
    .addPrimaryKeyConstraint('delivery_delay_orders_pk', ['delay_id', 'order_id'])
    .execute();
  // The fan-out looks for what is left to publish; a partial index keeps that cheap at any size.
  await sql`create index delivery_delay_orders_unpublished_idx on delivery_delay_orders (delay_id, order_id) where published_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('delivery_delay_orders').execute();
  await db.schema.dropTable('delivery_delays').execute();
}
