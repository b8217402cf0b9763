// Per-file isolation on shared services: every test file gets its own queue prefix, database schema
// and ZooKeeper root, and removes them afterwards, so files run in parallel and twice in a row.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createDb, type Db } from '../../src/platform/db.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';
import { deleteTopology, topologyOf } from './topology-cleanup.js';
import { removeTree } from './zookeeper.js';

export type TestContext = {
  id: string;
  config: Config;
  logger: Logger;
  /** A kysely handle on this file's schema, for assertions. */
  db: Db;
  /** Builds the config for a process of this context, with more variables on top. */
  configWith(env: Record<string, string>): Config;
  cleanup(): Promise<void>;
};

export async function createTestContext(label: string, env: Record<string, string> = {}): Promise<TestContext> {
  const services = inject('services');
  const id = `${label}-${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const baseEnv: Record<string, string> = {
    AMQP_URL: services.amqpUrl,
    DATABASE_URL: services.databaseUrl,
    ZK_CONNECT: services.zkConnect,
    DATABASE_SCHEMA: `t_${id.replace(/-/g, '_')}`,
    QUEUE_PREFIX: `t.${id}`,
    ZK_ROOT: `/order-actors-test/${id}`,
    HOST: '127.0.0.1',
    PORT: '0',
    SANDBOX_PORT: '0',
    RETRY_DELAYS_MS: '100,200',
    // Shop authentication has its own test file (seller-access); elsewhere a test acts for any seller.
    SELLER_AUTH: 'off',
    // Tests look at the dead-letter queue by taking and requeueing its messages, which counts as
    // a delivery every time; only the parking test wants the real limit.
    DEAD_LETTER_DELIVERY_LIMIT: '1000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
  const configWith = (more: Record<string, string>) => loadConfig({ ...baseEnv, ...more });
  const config = configWith({});
  const logger = createLogger({ level: config.LOG_LEVEL, name: `test-${id}` });
  const { db } = createDb({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 4, statementTimeoutMs: 30_000 }, logger);

  return {
    id,
    config,
    logger,
    db,
    configWith,
    async cleanup() {
      await sql`drop schema if exists ${sql.id(config.DATABASE_SCHEMA)} cascade`.execute(db).catch(() => undefined);
      await db.destroy();
      await deleteTopology(config.AMQP_URL, topologyOf(config));
      // Services create their switches under the root at start.
      await removeTree(config.ZK_CONNECT, config.ZK_ROOT, config.ZK_AUTH).catch(() => undefined);
    },
  };
}
