// Per-file isolation for fault tests whose service runs in child processes: its own queue prefix,
// database schema and ZooKeeper root, the environment every child process gets, a messaging sandbox
// in the test process, and a database handle for the reconciliation. Broker and database may be the
// shared ones or private instances (or a proxy in front of either).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { loadConfig, topologyOf, type Config } from '../../../src/config.js';
import type { Topology } from '../../../src/platform/amqp/topology.js';
import { createDb, type Db } from '../../../src/platform/db.js';
import { createLogger } from '../../../src/platform/logger.js';
import { migrateToLatest } from '../../../src/platform/migrate.js';
import { startSandbox, type Sandbox } from '../../support/service-harness.js';
import { deleteTopology } from '../../support/topology-cleanup.js';
import { removeTree } from '../../support/zookeeper.js';

export type FaultContext = {
  id: string;
  /** The environment of every service process of this file (the child processes read only this). */
  env: Record<string, string>;
  config: Config;
  topology: Topology;
  /** The broker and database the test itself uses to look (never through a fault proxy). */
  amqpUrl: string;
  db: Db;
  sandbox: Sandbox;
  cleanup(): Promise<void>;
};

export async function createFaultContext(
  label: string,
  options: {
    /** What the service processes connect to (e.g. a proxy); defaults to the shared services. */
    serviceAmqpUrl?: string;
    serviceDatabaseUrl?: string;
    /** What the test connects to for its own checks; defaults to the shared services. */
    amqpUrl?: string;
    databaseUrl?: string;
    env?: Record<string, string>;
  } = {},
): Promise<FaultContext> {
  const services = inject('services');
  const id = `${label}-${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const amqpUrl = options.amqpUrl ?? services.amqpUrl;
  const databaseUrl = options.databaseUrl ?? services.databaseUrl;
  const sandbox = await startSandbox();
  const env: Record<string, string> = {
    AMQP_URL: options.serviceAmqpUrl ?? amqpUrl,
    DATABASE_URL: options.serviceDatabaseUrl ?? databaseUrl,
    ZK_CONNECT: services.zkConnect,
    DATABASE_SCHEMA: `f_${id.replace(/-/g, '_')}`,
    QUEUE_PREFIX: `f.${id}`,
    ZK_ROOT: `/order-actors-test/${id}`,
    HOST: '127.0.0.1',
    SANDBOX_PORT: '0',
    NOTIFY_API_URL: sandbox.url,
    NOTIFY_TIMEOUT_MS: '2000',
    // Short enough that a lost connection is noticed within a test, as in the fault reference.
    AMQP_HEARTBEAT_S: '5',
    // About 18 s of retrying: longer than every outage these tests cause, so none ends dead-lettered.
    RETRY_DELAYS_MS: '250,500,1000,2000',
    MAX_ATTEMPTS: '12',
    // Faults, not access control, are under test here: shops need no API key.
    SELLER_AUTH: 'off',
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: 'silent' });
  const { db } = createDb({ url: databaseUrl, schema: config.DATABASE_SCHEMA, poolSize: 4, statementTimeoutMs: 30_000 }, logger);
  try {
    // Migrated here, once, so the processes started together do not race to create the schema.
    await migrateToLatest(db, config.DATABASE_SCHEMA);
  } catch (err) {
    await sandbox.close();
    await db.destroy();
    throw err;
  }
  const topology = topologyOf(config);

  return {
    id,
    env,
    config,
    topology,
    amqpUrl,
    db,
    sandbox,
    async cleanup() {
      await sandbox.close().catch(() => undefined);
      await sql`drop schema if exists ${sql.id(config.DATABASE_SCHEMA)} cascade`.execute(db).catch(() => undefined);
      await db.destroy().catch(() => undefined);
      await deleteTopology(amqpUrl, topology).catch(() => undefined);
      // The services create their switches under the root when they start.
      await removeTree(config.ZK_CONNECT, config.ZK_ROOT, config.ZK_AUTH).catch(() => undefined);
    },
  };
}
