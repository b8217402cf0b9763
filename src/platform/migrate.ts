// Applies the migrations to the configured schema. Run at every start: kysely's migrator takes a
// lock, so several processes starting together migrate once.
import { Migrator, sql } from 'kysely';
import type { Db } from './db.js';
import { MIGRATIONS } from './migration-list.js';

export async function migrateToLatest(db: Db, schema: string): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed; the schema is left as it was before it`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
