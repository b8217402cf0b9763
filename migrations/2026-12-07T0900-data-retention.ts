// Personal data in dead letters is masked after DEAD_LETTER_PII_DAYS, and old dead letters and
// journal entries are deleted after their retention. The purges delete in small batches picked by
// time, so each needs an index on its time column (failed_messages has one on last_failed_at since
// it was created); the masking picks its rows from a partial index that holds only unmasked rows,
// so it stays as small as the last few weeks of failures. Each run that changed anything is
// recorded in data_retention_runs for operators. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table failed_messages add column pii_masked_at timestamptz`.execute(db);
  await sql`create index failed_messages_unmasked_idx on failed_messages (last_failed_at) where pii_masked_at is null`.execute(db);
  await sql`create index order_journal_entries_at_idx on order_journal_entries (at)`.execute(db);
  await db.schema
    .createTable('data_retention_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // dead_letter_pii_masked, dead_letters_deleted or order_journal_deleted.
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('cutoff', 'timestamptz', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull())
    // False when the run stopped at its batch limit and left rows past the cutoff for the next run.
    .addColumn('finished', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('data_retention_runs_at_idx').on('data_retention_runs').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('data_retention_runs').execute();
  await sql`drop index order_journal_entries_at_idx`.execute(db);
  await sql`drop index failed_messages_unmasked_idx`.execute(db);
  await sql`alter table failed_messages drop column pii_masked_at`.execute(db);
}
