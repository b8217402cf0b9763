// Applies the migrations to the configured schema. Run at every start: kysely's migrator takes a
// lock, so several processes starting together migrate once.
import { Migrator, sql } from 'kysely';
import type { Db } from './db.js';
import { MIGRATIONS } from './migration-list.js';

/** SQLSTATE invalid_schema_name: here, a schema dropped while the migrator was introspecting. */
const SCHEMA_VANISHED = '3F000';

export async function migrateToLatest(db: Db, schema: string): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    migrationTableSchema: schema,
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).map((r) => r.migrationName);
    // Before applying anything, the migrator introspects every schema in the database; one dropped
    // meanwhile by someone else (tests on a shared server do it all the time) fails that step, and
    // the process would not start. Nothing was applied then, so trying again is safe.
    const nothingRan = (results ?? []).every((r) => r.status === 'NotExecuted');
    if ((error as { code?: unknown }).code === SCHEMA_VANISHED && nothingRan && attempt < 10) {
      await new Promise((r) => setTimeout(r, 100 * attempt));
      continue;
    }
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed; the schema is left as it was before it`, { cause: error });
  }
}
