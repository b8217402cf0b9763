// The audit of switch changes: who flipped what, when, from which value to which. Frozen: change the
// schema with a new migration, never by editing this one.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('switch_changes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('switch_name', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('cli', 'rest', 'zookeeper-observed')`))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The ZooKeeper transaction of the change: every process that observes a change records it
    // under the same key, so one change is one row however many processes saw it.
    .addColumn('zk_mzxid', 'text')
    .addColumn('zk_version', 'integer')
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('switch_changes_change_key', ['switch_name', 'zk_mzxid'])
    .execute();
  await db.schema.createIndex('switch_changes_name_idx').on('switch_changes').columns(['switch_name', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('switch_changes').execute();
}
