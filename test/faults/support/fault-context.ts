// Per-file isolation for fault tests whose service runs in child processes: its own queue prefix,
// database schema and ZooKeeper root, the environment every child process gets, a messaging sandbox
// in the test process, and a database handle for the reconciliation. Broker and database may be the
// shared ones or private instances (or a proxy in front of either). faultsForThisFile puts that
// together with the deployment, so that a fault test file holds only its faults.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, inject } from 'vitest';
import { loadConfig, topologyOf, type Config } from '../../../src/config.js';
import type { Topology } from '../../../src/platform/amqp/topology.js';
import { createDb, type Db } from '../../../src/platform/db.js';
import { createLogger } from '../../../src/platform/logger.js';
import { migrateToLatest } from '../../../src/platform/migrate.js';
import type { Services } from '../../support/global-setup.js';
import { startSandbox, type Sandbox } from '../../support/service-harness.js';
import { deleteTopology } from '../../support/topology-cleanup.js';
import { removeTree } from '../../support/zookeeper.js';
import { startDeployment, type Deployment, type ServiceRole } from './deployment.js';
import { orderIdOf, startOrderStream, type StreamOptions } from './order-stream.js';
import { expectReconciledClean, type ReconcileOutcome, type Reconciliation } from './reconcile.js';

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
  /** Where the service processes write their logs; kept when a test failed. */
  logDir: string;
  cleanup(options?: { keepLogs?: boolean }): Promise<void>;
};

export type FaultContextOptions = {
  /** What the service processes connect to (e.g. a proxy); defaults to the shared services. */
  serviceAmqpUrl?: string;
  serviceDatabaseUrl?: string;
  /** What the test connects to for its own checks; defaults to the shared services. */
  amqpUrl?: string;
  databaseUrl?: string;
  env?: Record<string, string>;
};

export async function createFaultContext(label: string, options: FaultContextOptions = {}): Promise<FaultContext> {
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
  const logDir = path.join(tmpdir(), 'order-actors-faults', id);

  return {
    id,
    env,
    config,
    topology,
    amqpUrl,
    db,
    sandbox,
    logDir,
    async cleanup({ keepLogs = false } = {}) {
      await sandbox.close().catch(() => undefined);
      await sql`drop schema if exists ${sql.id(config.DATABASE_SCHEMA)} cascade`.execute(db).catch(() => undefined);
      await db.destroy().catch(() => undefined);
      await deleteTopology(amqpUrl, topology).catch(() => undefined);
      // The services create their switches under the root when they start.
      await removeTree(config.ZK_CONNECT, config.ZK_ROOT, config.ZK_AUTH).catch(() => undefined);
      if (keepLogs) console.log(`The service processes' logs are kept in ${logDir}`);
      else await rm(logDir, { recursive: true, force: true });
    },
  };
}

/** What a fault test file adds to the usual setup. */
export type FaultFileOptions = FaultContextOptions & {
  /** More environment for one role's process (e.g. only the intake through a proxy). */
  roleEnv?: Partial<Record<ServiceRole, Record<string, string>>>;
  /** Runs once the context is ready, before the processes start (e.g. to create a shop's API key). */
  beforeStart?: (ctx: FaultContext) => Promise<unknown>;
  /** Removes what the file started for itself (a private broker, a proxy), after everything else. */
  remove?: () => Promise<unknown>;
};

/**
 * The usual shape of a fault test file: its context, then the service as three processes, started
 * before its tests and stopped after them, with the processes' last log lines printed for a failed
 * test. `setup` first starts what the file needs of its own (a private broker, a proxy) and says how
 * to reach it. Read the fields inside tests: they are set in beforeAll.
 */
export function faultsForThisFile(label: string, setup: (services: Services) => FaultFileOptions | Promise<FaultFileOptions> = () => ({})) {
  const file = {} as { ctx: FaultContext; deployment: Deployment };
  let remove: FaultFileOptions['remove'];
  let failed = false;
  beforeAll(async () => {
    const options = await setup(inject('services'));
    remove = options.remove;
    file.ctx = await createFaultContext(label, options);
    await options.beforeStart?.(file.ctx);
    file.deployment = await startDeployment({ env: file.ctx.env, roleEnv: options.roleEnv, logDir: file.ctx.logDir });
  });
  beforeEach(({ onTestFailed }) =>
    onTestFailed(() => {
      failed = true;
      if (file.deployment) console.log(file.deployment.tail(40));
    }),
  );
  afterAll(async () => {
    await file.deployment?.stop();
    await file.ctx?.cleanup({ keepLogs: failed });
    await remove?.();
  });

  /** Orders posted to intake by careful shops, with ids `<file id>-<tag>-0000`, `…-0001`, … */
  const stream = (tag: string, options: Omit<StreamOptions, 'intakeUrl' | 'idPrefix'>) =>
    startOrderStream({ intakeUrl: file.deployment.intakeUrl, idPrefix: `${file.ctx.id}-${tag}`, ...options });
  /** The ids of the first `count` orders of `stream(tag, …)`. */
  const orderIds = (tag: string, count: number) => Array.from({ length: count }, (_, i) => orderIdOf(`${file.ctx.id}-${tag}`, i));
  /**
   * How a fault case ends: every process ready again, every accepted order processed and told once
   * and nothing refused done (see expectReconciledClean), and no process crashed.
   */
  async function expectRecoveredClean(outcome: ReconcileOutcome): Promise<Reconciliation> {
    await file.deployment.waitUntilReady();
    const r = await expectReconciledClean(file.ctx, outcome);
    expect(file.deployment.unexpectedExits()).toEqual([]);
    return r;
  }
  return Object.assign(file, { stream, orderIds, expectRecoveredClean });
}
