// Every benchmark run gets its own queue prefix, database schema and ZooKeeper root on the shared
// services, and removes them afterwards, so it never touches another engineer's queues or tables.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import zookeeper from 'node-zookeeper-client';
import pg from 'pg';
import { allQueues, describeTopology, type Topology } from '../src/platform/amqp/topology.js';
import type { BenchConfig } from './bench-config.js';

/** Where a run's service processes find the broker and ZooKeeper, and how many shards they use. */
/** Where a run's services go: the brokers and ensemble, the shards, and settings of that layout. */
export type Placement = { amqpUrl: string; zkConnect: string; shards: number; env?: Record<string, string> };

export type BenchNames = {
  id: string;
  placement: Placement;
  queuePrefix: string;
  schema: string;
  zkRoot: string;
  topology: Topology;
  /** The variables a service process of this run needs on top of the inherited environment. */
  env: Record<string, string>;
};

/** The first node of an AMQP_URL list: the bench's own checks need no failover. */
export function firstUrl(urls: string): string {
  return urls.split(',')[0]!.trim();
}

/** Runs whose resources exist right now, so an interrupted bench can still remove them. */
const active = new Map<string, BenchNames>();

export function benchNames(label: string, config: BenchConfig, placement?: Placement): BenchNames {
  const where = placement ?? { amqpUrl: config.service.AMQP_URL, zkConnect: config.service.ZK_CONNECT, shards: config.service.ACTOR_SHARDS };
  const id = `${label}-${randomBytes(3).toString('hex')}`;
  const queuePrefix = `bench.${id}`;
  const schema = `bench_${id.replace(/-/g, '_')}`;
  const zkRoot = `/order-actors-bench/${id}`;
  const topology = describeTopology({
    prefix: queuePrefix,
    retryDelaysMs: config.service.RETRY_DELAYS_MS,
    deliveryLimit: config.service.QUEUE_DELIVERY_LIMIT,
    shards: where.shards,
  });
  const env: Record<string, string> = { QUEUE_PREFIX: queuePrefix, DATABASE_SCHEMA: schema, ZK_ROOT: zkRoot };
  if (placement) Object.assign(env, { AMQP_URL: placement.amqpUrl, ZK_CONNECT: placement.zkConnect, ACTOR_SHARDS: String(placement.shards) }, placement.env);
  const names = { id, placement: where, queuePrefix, schema, zkRoot, topology, env };
  active.set(id, names);
  return names;
}

/** Removes what every unfinished run left (after Ctrl-C). */
export async function removeActiveBenchResources(config: BenchConfig): Promise<string[]> {
  const problems: string[] = [];
  for (const names of [...active.values()]) problems.push(...(await removeBenchResources(names, config)));
  return problems;
}

/** Deletes the run's queues, exchange, schema and ZooKeeper subtree; each part is attempted even if another fails. */
export async function removeBenchResources(names: BenchNames, config: BenchConfig): Promise<string[]> {
  active.delete(names.id);
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      problems.push(`could not remove ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  await attempt(`queues ${names.queuePrefix}.*`, async () => {
    const conn = await amqp.connect(firstUrl(names.placement.amqpUrl));
    try {
      const ch = await conn.createChannel();
      for (const q of allQueues(names.topology)) await ch.deleteQueue(q);
      for (const actor of Object.values(names.topology.actors)) if (actor.shardExchange) await ch.deleteExchange(actor.shardExchange);
      await ch.deleteExchange(names.topology.exchange);
      await ch.close();
    } finally {
      await conn.close();
    }
  });
  await attempt(`schema ${names.schema}`, async () => {
    const client = new pg.Client({ connectionString: config.service.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${names.schema}" cascade`);
    } finally {
      await client.end();
    }
  });
  await attempt(`ZooKeeper ${names.zkRoot}`, () => removeZkTree(config, names.placement.zkConnect, names.zkRoot));
  return problems;
}

type ZkClient = ReturnType<typeof zookeeper.createClient>;

function zkCall<T>(run: (cb: (err: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(value))));
}

async function removeSubtree(client: ZkClient, path: string): Promise<void> {
  const exists = await zkCall<unknown>((cb) => client.exists(path, cb));
  if (!exists) return;
  const children = await zkCall<string[]>((cb) => client.getChildren(path, cb));
  for (const child of children) await removeSubtree(client, `${path}/${child}`);
  await zkCall<void>((cb) => client.remove(path, (err) => cb(err, undefined)));
}

async function removeZkTree(config: BenchConfig, connect: string, path: string): Promise<void> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 5_000, retries: 1 });
  if (config.service.ZK_AUTH) client.addAuthInfo('digest', Buffer.from(config.service.ZK_AUTH));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('ZooKeeper did not answer within 5 s')), 5_000);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.connect();
    });
    await removeSubtree(client, path);
  } finally {
    client.close();
  }
}
