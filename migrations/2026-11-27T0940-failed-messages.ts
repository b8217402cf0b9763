// Dead letters moved out of RabbitMQ into a table operators can query, group, replay and discard.
// Frozen: change the schema with a new migration, never by editing this one.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('failed_messages')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // Hash of the message id, body and dead-letter headers: the same dead letter delivered again
    // (the batch job died between commit and ack) hits this key, while the same message failing
    // again after a replay carries new headers (x-replay-of, failure times) and gets its own row.
    .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('original_queue', 'text')
    .addColumn('routing_key', 'text')
    .addColumn('error_code', 'text', (c) => c.notNull())
    .addColumn('error_message', 'text', (c) => c.notNull())
    .addColumn('error_stack', 'text')
    .addColumn('error_class', 'text', (c) => c.notNull())
    .addColumn('dead_letter_reason', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('first_failed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_failed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('trace_id', 'text')
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('body', 'bytea', (c) => c.notNull())
    .addColumn('body_json', 'jsonb')
    .addColumn('headers', 'jsonb', (c) => c.notNull())
    .addColumn('properties', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('new')
        .check(sql`status in ('new', 'replayed', 'discarded')`),
    )
    .addColumn('replayed_at', 'timestamptz')
    .addColumn('replayed_by', 'text')
    .addColumn('discarded_at', 'timestamptz')
    .addColumn('discarded_by', 'text')
    .addColumn('discard_reason', 'text')
    // No foreign key: x-replay-of comes from a message header, and a dead letter whose header names
    // a row this database does not have must still be stored, not block the batch job.
    .addColumn('replay_of', 'bigint')
    .addColumn('stored_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('failed_messages_fingerprint_idx').on('failed_messages').columns(['fingerprint', 'status']).execute();
  await db.schema.createIndex('failed_messages_order_idx').on('failed_messages').column('order_id').execute();
  await db.schema.createIndex('failed_messages_actor_code_idx').on('failed_messages').columns(['actor', 'error_code']).execute();
  await db.schema.createIndex('failed_messages_last_failed_idx').on('failed_messages').column('last_failed_at').execute();
  await sql`create index failed_messages_replay_of_idx on failed_messages (replay_of) where replay_of is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('failed_messages').execute();
}
