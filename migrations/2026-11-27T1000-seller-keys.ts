// API keys of shops: only a hash of each secret is stored. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('seller_api_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('seller_id', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('seller_api_keys_seller_idx').on('seller_api_keys').column('seller_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('seller_api_keys').execute();
}
