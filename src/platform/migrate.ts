// Applies the migrations in ./migrations to the configured schema. Run at every start: kysely's
// migrator takes a lock, so several processes starting together migrate once.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileMigrationProvider, Migrator, sql } from 'kysely';
import type { Db } from './db.js';

// From src/platform (tsx) or dist/src/platform (built), the migrations folder is two levels up.
const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export async function migrateToLatest(db: Db, schema: string): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed; the schema is left as it was before it`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}
