// The PostgreSQL pool and the kysely instance over it. Every timeout is explicit: a hung query must
// fail into an actor's retry path long before the broker's consumer timeout.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database-schema.js';
import type { Logger } from './logger.js';

export type Db = Kysely<Database>;

export type DbOptions = {
  url: string;
  schema: string;
  poolSize: number;
  statementTimeoutMs: number;
  applicationName?: string;
};

// bigint columns hold money and counts well below 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// `date` columns are calendar days, not instants: keep them as 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export function createPool(options: DbOptions, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    // The server-side timeout cannot fire when the network to the server goes silent; this one does.
    query_timeout: options.statementTimeoutMs + 5_000,
    lock_timeout: Math.min(5_000, options.statementTimeoutMs),
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 3,
    application_name: options.applicationName ?? 'order-actors',
    options: `-c search_path=${options.schema}`,
  });
  // An idle client losing its server (PostgreSQL restart) emits here; without a listener it would
  // crash the process. The pool replaces the client on next checkout. pg-pool hangs the whole client
  // on the error (connection state, type parsers): kilobytes per log line, so it is left out.
  pool.on('error', (err: Error & { client?: unknown }) => {
    delete err.client;
    logger.warn({ err }, 'idle database client failed; the pool will replace it');
  });
  // A client checked out of the pool (inside a query or a transaction) emits 'error' as well when
  // its server goes away, and the pool listens only on idle ones: without this listener a restart
  // of PostgreSQL crashes the process. The query in flight fails by itself, and its work is retried.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.debug({ err }, 'database connection lost while in use'));
  });
  return pool;
}

export function createDb(options: DbOptions, logger: Logger): { db: Db; pool: pg.Pool } {
  const pool = createPool(options, logger);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
