// The picture of the broker: every exchange, queue and binding the service uses, declared
// idempotently at start. Read this file to know what `rabbitmqctl list_queues` should show.
//
// Unsharded (ACTOR_SHARDS=1), an actor's work queue is bound to the service's direct exchange under
// its own name. Sharded, the same routing key reaches a consistent-hash exchange instead, which
// spreads messages over N work queues by their x-order-id header: one order's messages always land
// in one shard, and each shard is a quorum queue whose leader sits on its own node.
import type { Channel, ChannelModel, Options } from 'amqplib';
import { HEADERS } from './message-headers.js';
import type { RetryTier } from './retry-policy.js';

export type ActorShard = {
  index: number;
  /** The work queue this shard's consumers read. */
  queue: string;
  /** Delayed retry tiers, in order; each dead-letters back to this shard's queue when its TTL expires. */
  retries: readonly RetryTier[];
};

export type ActorQueues = {
  /**
   * Where producers publish the actor's messages: a routing key on the service's exchange.
   * Unsharded it is also the work queue's name; sharded it reaches the shards' hash exchange.
   */
  work: string;
  /** The consistent-hash exchange that feeds the shards; undefined when unsharded. */
  shardExchange: string | undefined;
  shards: readonly ActorShard[];
};

export type ActorName = 'business' | 'notification';

export type Topology = ReturnType<typeof describeTopology>;

/** Human-readable delay for queue names: 1000 → "1s", 250 → "250ms". */
function delayName(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function retryTiers(queue: string, retryDelaysMs: readonly number[]): RetryTier[] {
  return retryDelaysMs.map((delayMs) => ({ queue: `${queue}.retry-${delayName(delayMs)}`, delayMs }));
}

/** The shard counts a deployment may use; past this, a queue per shard stops paying for itself. */
export const MAX_SHARDS = 64;

export function describeTopology(options: {
  prefix: string;
  retryDelaysMs: readonly number[];
  deliveryLimit: number;
  /** Work queues per actor (1 keeps the unsharded names). */
  shards?: number;
  /** Replicas per quorum queue: each queue's initial group size, capped by the cluster's nodes. */
  replicas?: number;
}) {
  const { prefix } = options;
  const shardCount = options.shards ?? 1;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS) throw new RangeError(`shards must be 1..${MAX_SHARDS}`);
  const exchange = prefix;
  const deadLetters = `${prefix}.dead-letters`;
  const shardOf = (work: string, index: number): ActorShard => {
    const queue = shardCount === 1 ? work : `${work}.${index}`;
    return { index, queue, retries: retryTiers(queue, options.retryDelaysMs) };
  };
  const actor = (name: ActorName): ActorQueues => {
    const work = `${prefix}.${name}`;
    return {
      work,
      shardExchange: shardCount === 1 ? undefined : `${work}.shards`,
      shards: Array.from({ length: shardCount }, (_, i) => shardOf(work, i)),
    };
  };
  const actors: Record<ActorName, ActorQueues> = { business: actor('business'), notification: actor('notification') };
  return {
    prefix,
    /** One direct exchange; every queue is bound under its own name, so routing key = queue name. */
    exchange,
    deadLetters,
    deliveryLimit: options.deliveryLimit,
    retryDelaysMs: options.retryDelaysMs,
    shardCount,
    replicas: options.replicas ?? 3,
    actors,
  };
}

/** The shards of every actor, with their actor's name. */
export function allShards(topology: Pick<Topology, 'actors'>): Array<{ actor: ActorName } & ActorShard> {
  return (Object.entries(topology.actors) as Array<[ActorName, ActorQueues]>).flatMap(([actor, q]) => q.shards.map((s) => ({ actor, ...s })));
}

/** The actor and shard a work or retry queue belongs to, by the topology's names. */
export function shardOfQueue(topology: Pick<Topology, 'actors'>, queue: string | undefined): ({ actor: ActorName } & ActorShard) | undefined {
  if (!queue) return undefined;
  return allShards(topology).find((s) => s.queue === queue || s.retries.some((r) => r.queue === queue));
}

/** Every queue name, for tests and operators that need to inspect or delete them. */
export function allQueues(topology: Pick<Topology, 'actors' | 'deadLetters'>): string[] {
  return [topology.deadLetters, ...allShards(topology).flatMap((s) => [s.queue, ...s.retries.map((r) => r.queue)])];
}

// Quorum queues: replicated, poison-message aware (x-delivery-limit) and able to dead-letter
// at-least-once, which needs reject-publish overflow. See docs/runtime.md "Why quorum queues".
// The replica count and the balanced leader placement spread the queues' leaders, and so the
// broker's work, over a cluster's nodes; on one node they are harmless.
function quorumArgs(topology: Topology, extra: Record<string, unknown>): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-quorum-initial-group-size': topology.replicas,
      'x-queue-leader-locator': 'balanced',
      ...extra,
    },
  };
}

function atLeastOnceDeadLetter(exchange: string, routingKey: string): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': exchange,
    'x-dead-letter-routing-key': routingKey,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** Arguments added after the first release: a queue declared before them keeps its own. */
const PLACEMENT_ARGS = ['x-quorum-initial-group-size', 'x-queue-leader-locator'];

export class TopologyError extends Error {
  readonly code = 'topology_refused';
}

type ChannelSource = Pick<ChannelModel, 'createChannel'>;

/** Runs `work` on a channel of its own: a refused declaration closes the channel it was sent on. */
async function onChannel<T>(model: ChannelSource, work: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  // Unheard, a channel error would crash the process instead of failing the call that caused it.
  ch.on('error', () => undefined);
  try {
    return await work(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

async function assertQueue(model: ChannelSource, queue: string, options: Options.AssertQueue): Promise<void> {
  try {
    await onChannel(model, (ch) => ch.assertQueue(queue, options));
  } catch (err) {
    // A queue from a release that did not yet ask for replicas or balanced leaders: it stays as it
    // is (RabbitMQ cannot change a queue's arguments), with whatever replicas it has; an operator
    // adds more with `rabbitmq-queues grow`. Any other difference is a real conflict.
    const message = String((err as Error).message);
    if (!PLACEMENT_ARGS.some((a) => message.includes(`inequivalent arg '${a}'`))) throw err;
    const args = Object.fromEntries(Object.entries(options.arguments as Record<string, unknown>).filter(([k]) => !PLACEMENT_ARGS.includes(k)));
    await onChannel(model, (ch) => ch.assertQueue(queue, { ...options, arguments: args }));
  }
}

/** Messages waiting in `queue`, or undefined when it does not exist. */
async function depthOf(model: ChannelSource, queue: string): Promise<number | undefined> {
  try {
    return await onChannel(model, async (ch) => (await ch.checkQueue(queue)).messageCount);
  } catch {
    return undefined;
  }
}

/**
 * Work queues of another shard count (ACTOR_SHARDS changed): empty ones are deleted, so nothing is
 * routed to them any more; one that still holds messages stops the start, since deleting it would
 * lose them and leaving it bound would strand new ones.
 */
async function retireOtherShards(model: ChannelSource, topology: Topology): Promise<void> {
  for (const actor of Object.values(topology.actors)) {
    const current = new Set(actor.shards.map((s) => s.queue));
    const candidates = [actor.work, ...Array.from({ length: MAX_SHARDS }, (_, i) => `${actor.work}.${i}`)].filter((q) => !current.has(q));
    for (const work of candidates) {
      // Its retry tiers go with it: they dead-letter back to it.
      if ((await depthOf(model, work)) === undefined) continue;
      const queues = [work, ...retryTiers(work, topology.retryDelaysMs).map((r) => r.queue)];
      const depths = await Promise.all(queues.map(async (q) => ({ q, depth: await depthOf(model, q) })));
      const holding = depths.filter((d) => (d.depth ?? 0) > 0);
      if (holding.length > 0) {
        throw new TopologyError(
          `ACTOR_SHARDS is ${topology.shardCount}, but ${holding.map((d) => `${d.q} holds ${d.depth} message(s)`).join(', ')} from another shard count. ` +
            'Run the service with the previous ACTOR_SHARDS until those queues are empty (npm run cluster:status shows their depth), then restart it with the new value.',
        );
      }
      // Deleting an empty queue also removes its bindings, so nothing is routed to it any more.
      await onChannel(model, async (ch) => {
        for (const { q, depth } of depths) if (depth !== undefined) await ch.deleteQueue(q);
      });
    }
    // Back to one shard: the hash exchange left from a sharded run would route to nothing.
    if (!actor.shardExchange) await onChannel(model, (ch) => ch.deleteExchange(`${actor.work}.shards`)).catch(() => undefined);
  }
}

export async function declareTopology(model: ChannelSource, topology: Topology): Promise<void> {
  const { exchange, deadLetters } = topology;
  await onChannel(model, (ch) => ch.assertExchange(exchange, 'direct', { durable: true }));
  await retireOtherShards(model, topology);

  await assertQueue(model, deadLetters, quorumArgs(topology, {}));
  await onChannel(model, (ch) => ch.bindQueue(deadLetters, exchange, deadLetters));

  for (const actor of Object.values(topology.actors)) {
    if (actor.shardExchange) {
      const shardExchange = actor.shardExchange;
      try {
        await onChannel(model, async (ch) => {
          await ch.assertExchange(shardExchange, 'x-consistent-hash', { durable: true, arguments: { 'hash-header': HEADERS.orderId } });
          await ch.bindExchange(shardExchange, exchange, actor.work);
        });
      } catch (err) {
        throw new TopologyError(
          `ACTOR_SHARDS=${topology.shardCount} needs RabbitMQ's consistent-hash exchange; enable it on every node with ` +
            '`rabbitmq-plugins enable rabbitmq_consistent_hash_exchange`, or set ACTOR_SHARDS=1',
          { cause: err },
        );
      }
    }
    for (const shard of actor.shards) {
      await assertQueue(
        model,
        shard.queue,
        quorumArgs(topology, {
          // Redeliveries the broker counts itself: a message that crashes its consumer over and over
          // (no chance for our own retry headers) ends in the dead-letter queue instead of looping.
          'x-delivery-limit': topology.deliveryLimit,
          ...atLeastOnceDeadLetter(exchange, deadLetters),
        }),
      );
      await onChannel(model, async (ch) => {
        // Every shard is reachable by its own name too: retries and replays go back to their shard.
        await ch.bindQueue(shard.queue, exchange, shard.queue);
        // Weight 1 each: the shards share the hash ring evenly.
        if (actor.shardExchange) await ch.bindQueue(shard.queue, actor.shardExchange, '1');
      });
      for (const tier of shard.retries) {
        await assertQueue(model, tier.queue, quorumArgs(topology, { 'x-message-ttl': tier.delayMs, ...atLeastOnceDeadLetter(exchange, shard.queue) }));
        await onChannel(model, (ch) => ch.bindQueue(tier.queue, exchange, tier.queue));
      }
    }
  }
}
