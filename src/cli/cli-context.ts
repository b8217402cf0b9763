// What every operator command starts from: the configuration, a silent logger (output is for
// people and scripts, the service's logs would only get in the way of both), a database opened on
// first use, and one shutdown that closes whatever the command opened, however it ends.
//
// One policy on migrations for every command: the database is brought to the latest migration
// before a command touches it, exactly as the service does at start (kysely's migrator takes a lock,
// so a command and a starting service migrate once). A command therefore never meets a missing
// table, and never needs a separate `order-actors migrate` first.
import { loadConfig, type Config } from '../config.js';
import { createDb, type Db } from '../platform/db.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { migrateToLatest } from '../platform/migrate.js';
import { createShutdown, type Shutdown } from '../platform/shutdown.js';

export type CliContext = {
  config: Config;
  logger: Logger;
  shutdown: Shutdown;
  /** The database, migrated to the latest schema; opened on the first call. */
  db: () => Promise<Db>;
};

export async function withCliContext<T>(work: (cli: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ level: 'silent' });
  const shutdown = createShutdown(logger);
  let opened: Promise<Db> | undefined;
  const db = () =>
    (opened ??= (async () => {
      const { db: database } = createDb(
        { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 5, statementTimeoutMs: 30_000, applicationName: 'order-actors-cli' },
        logger,
      );
      shutdown.add('database pool', () => database.destroy());
      await migrateToLatest(database, config.DATABASE_SCHEMA);
      return database;
    })());
  try {
    return await work({ config, logger, shutdown, db });
  } finally {
    await shutdown.run();
  }
}
