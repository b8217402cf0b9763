// The database: the pool, the migrations every start applies, its readiness check, and the
// notification signing key every role that publishes or sends notices needs (one query at start).
import { sql } from 'kysely';
import { createNotificationSigner, loadNotificationKey } from '../notifications/notification-signature.js';
import { createDb } from '../platform/db.js';
import { migrateToLatest } from '../platform/migrate.js';
import type { Wiring } from './wiring.js';

export async function wireDatabase({ config, logger, shutdown, health }: Wiring) {
  const connection = { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS };
  // Migrations run on a connection of their own, closed before the pool opens: no statement the
  // service prepares can predate a change of the tables it reads.
  const migrator = createDb({ ...connection, poolSize: 1 }, logger).db;
  try {
    const applied = await migrateToLatest(migrator, config.DATABASE_SCHEMA);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
  } finally {
    await migrator.destroy();
  }
  const { db } = createDb({ ...connection, poolSize: config.DATABASE_POOL_SIZE, prepareRepeated: config.DATABASE_PREPARE_STATEMENTS }, logger);
  shutdown.add('database pool', () => db.destroy());
  health.push({ name: 'database', check: async () => (await sql`select 1`.execute(db), true) });
  const signer = createNotificationSigner(await loadNotificationKey(db));
  return { db, signer };
}
