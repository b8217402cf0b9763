// The fan-out now takes a delay's orders in order id order, each slice after the last, over the
// primary key; the partial index of unpublished rows is no longer read. Without it, and with room
// left on each page, marking a row published is an in-place (HOT) update that touches no index:
// each row is written once more in its life, so half of each page is left for that. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists delivery_delay_orders_unpublished_idx`.execute(db);
  await sql`alter table delivery_delay_orders set (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table delivery_delay_orders reset (fillfactor)`.execute(db);
  await sql`create index delivery_delay_orders_unpublished_idx on delivery_delay_orders (delay_id, order_id) where published_at is null`.execute(db);
}
