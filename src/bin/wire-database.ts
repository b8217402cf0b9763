// The database: the pool, the migrations every start applies, its readiness check, and the
// notification signing key every role that publishes or sends notices needs (one query at start).
import { sql } from 'kysely';
import { createNotificationSigner, loadNotificationKey } from '../notifications/notification-signature.js';
import { createDb } from '../platform/db.js';
import { migrateToLatest } from '../platform/migrate.js';
import type { Wiring } from './wiring.js';

export async function wireDatabase({ config, logger, shutdown, health }: Wiring) {
  const { db } = createDb(
    { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS },
    logger,
  );
  shutdown.add('database pool', () => db.destroy());
  const applied = await migrateToLatest(db, config.DATABASE_SCHEMA);
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  health.push({ name: 'database', check: async () => (await sql`select 1`.execute(db), true) });
  const signer = createNotificationSigner(await loadNotificationKey(db));
  return { db, signer };
}
