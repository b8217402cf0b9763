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

/** A work queue's retry tiers, by their delays. */
export function retryTiers(queue: string, retryDelaysMs: readonly number[]): RetryTier[] {
  return retryDelaysMs.map((delayMs) => ({ queue: `${queue}.retry-${delayName(delayMs)}`, delayMs }));
}

/** A dead letter the batch job failed on this often is parked: with the batch job every minute, after about ten minutes. */
export const DEFAULT_DEAD_LETTER_DELIVERY_LIMIT = 10;

/** The shard counts a deployment may use; past this, a queue per shard stops paying for itself. */
export const MAX_SHARDS = 64;

export const LEADER_LOCATORS = ['balanced', 'client-local'] as const;
export type LeaderLocator = (typeof LEADER_LOCATORS)[number];

export function describeTopology(options: {
  prefix: string;
  retryDelaysMs: readonly number[];
  deliveryLimit: number;
  /**
   * Deliveries of one dead letter before the dead-letter queue parks it. Every return counts,
   * including a peek that requeues (the management UI's "Get messages"), so it is kept apart from
   * the work queues' limit.
   */
  deadLetterDeliveryLimit?: number;
  /** Work queues per actor (1 keeps the unsharded names). */
  shards?: number;
  /** Replicas per quorum queue: each queue's initial group size, capped by the cluster's nodes. */
  replicas?: number;
  /**
   * Where a new quorum queue's leader goes: `balanced` spreads leaders over the nodes;
   * `client-local` puts it on the node of the connection that declares it (a deployment that pins
   * each process to a node, and measurements of what locality saves).
   */
  leaderLocator?: LeaderLocator;
}) {
  const { prefix } = options;
  const shardCount = options.shards ?? 1;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS) throw new RangeError(`shards must be 1..${MAX_SHARDS}`);
  const exchange = prefix;
  const deadLetters = `${prefix}.dead-letters`;
  /** Where a dead letter goes that the batch job failed on over and over: kept, never consumed. */
  const parkedDeadLetters = `${deadLetters}.parked`;
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
    parkedDeadLetters,
    deliveryLimit: options.deliveryLimit,
    deadLetterDeliveryLimit: options.deadLetterDeliveryLimit ?? DEFAULT_DEAD_LETTER_DELIVERY_LIMIT,
    retryDelaysMs: options.retryDelaysMs,
    shardCount,
    replicas: options.replicas ?? 3,
    leaderLocator: options.leaderLocator ?? 'balanced',
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
export function allQueues(topology: Pick<Topology, 'actors' | 'deadLetters' | 'parkedDeadLetters'>): string[] {
  return [topology.deadLetters, topology.parkedDeadLetters, ...allShards(topology).flatMap((s) => [s.queue, ...s.retries.map((r) => r.queue)])];
}

// Quorum queues: replicated, poison-message aware (x-delivery-limit) and able to dead-letter
// at-least-once, which needs reject-publish overflow. See docs/runtime.md "Why quorum queues".
// The replica count and the balanced leader placement spread the queues' leaders, and so the
// broker's work, over a cluster's nodes (unless client-local is asked for); on one node they are harmless.
function quorumArgs(topology: Topology, extra: Record<string, unknown>): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-quorum-initial-group-size': topology.replicas,
      'x-queue-leader-locator': topology.leaderLocator,
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
/** The dead-letter queue's own delivery limit and parking came later too; a policy can add them. */
const DEAD_LETTER_LIMIT_ARGS = ['x-delivery-limit', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-dead-letter-strategy', 'x-overflow'];

export class TopologyError extends Error {
  readonly code = 'topology_refused';
}

type ChannelSource = Pick<ChannelModel, 'createChannel'>;

/**
 * One channel for a whole declaration, replaced when the broker closes it: a refused declaration
 * closes the channel it was sent on, and must fail only its own call.
 */
function channelRunner(model: ChannelSource) {
  let open: Promise<Channel> | null = null;
  const channel = (): Promise<Channel> =>
    (open ??= model.createChannel().then((ch) => {
      // Unheard, a channel error would crash the process instead of failing the call that caused it.
      ch.on('error', () => undefined);
      ch.on('close', () => (open = null));
      return ch;
    }));
  return {
    run: async <T>(work: (ch: Channel) => Promise<T>): Promise<T> => work(await channel()),
    close: async () => {
      const ch = open;
      open = null;
      if (ch) await (await ch).close().catch(() => undefined);
    },
  };
}

type Runner = ReturnType<typeof channelRunner>;

async function assertPlacedQueue(
  onChannel: Runner['run'],
  queue: string,
  options: Options.AssertQueue,
  onNotice?: (message: string) => void,
  late: { args: readonly string[]; advice: string } = { args: PLACEMENT_ARGS, advice: 'add replicas with rabbitmq-queues grow' },
): Promise<void> {
  try {
    await onChannel((ch) => ch.assertQueue(queue, options));
  } catch (err) {
    // A queue declared before an argument existed (a release without replicas or balanced leaders,
    // another QUEUE_REPLICAS, a dead-letter queue without its limit) stays as it is: RabbitMQ cannot
    // change a queue's arguments, and the operator can (`rabbitmq-queues grow`, a policy). Any
    // other difference is a real conflict.
    const message = String((err as Error).message);
    if (!late.args.some((a) => message.includes(`inequivalent arg '${a}'`))) throw err;
    await onChannel((ch) => ch.checkQueue(queue));
    onNotice?.(`${queue} keeps the arguments it was declared with (${message.replace(/^.*inequivalent arg/, 'inequivalent arg')}); ${late.advice}`);
  }
}

/** Declares everything, idempotently (at start and after every reconnect). */
export async function declareTopology(model: ChannelSource, topology: Topology, options: { onNotice?: (message: string) => void } = {}): Promise<void> {
  const runner = channelRunner(model);
  try {
    await declareAll(runner.run, topology, options.onNotice);
  } finally {
    await runner.close();
  }
}

async function declareAll(onChannel: Runner['run'], topology: Topology, onNotice: ((message: string) => void) | undefined): Promise<void> {
  const { exchange, deadLetters } = topology;
  await onChannel((ch) => ch.assertExchange(exchange, 'direct', { durable: true }));
  const assertQueue = (queue: string, queueOptions: Options.AssertQueue) => assertPlacedQueue(onChannel, queue, queueOptions, onNotice);

  const { parkedDeadLetters: parked } = topology;
  await assertQueue(parked, quorumArgs(topology, {}));
  await onChannel((ch) => ch.bindQueue(parked, exchange, parked));
  // A dead letter the batch job cannot get past (one that breaks its connection or its insert on
  // every try) is redelivered at most deadLetterDeliveryLimit times, then parked, so it never holds back the
  // dead letters behind it.
  await assertPlacedQueue(
    onChannel,
    deadLetters,
    quorumArgs(topology, { 'x-delivery-limit': topology.deadLetterDeliveryLimit, ...atLeastOnceDeadLetter(exchange, parked) }),
    onNotice,
    {
      args: [...PLACEMENT_ARGS, ...DEAD_LETTER_LIMIT_ARGS],
      advice:
        `without a delivery limit, a dead letter the batch job fails on is retried without end; add one with ` +
        `rabbitmqctl set_policy --apply-to queues dead-letter-limit '^${deadLetters.replaceAll('.', '\\.')}$' ` +
        `'{"delivery-limit":${topology.deadLetterDeliveryLimit},"dead-letter-exchange":"${exchange}","dead-letter-routing-key":"${parked}"}'`,
    },
  );
  await onChannel((ch) => ch.bindQueue(deadLetters, exchange, deadLetters));

  for (const actor of Object.values(topology.actors)) {
    if (actor.shardExchange) {
      const shardExchange = actor.shardExchange;
      try {
        await onChannel(async (ch) => {
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
        shard.queue,
        quorumArgs(topology, {
          // Redeliveries the broker counts itself: a message that crashes its consumer over and over
          // (no chance for our own retry headers) ends in the dead-letter queue instead of looping.
          'x-delivery-limit': topology.deliveryLimit,
          ...atLeastOnceDeadLetter(exchange, deadLetters),
        }),
      );
      await onChannel(async (ch) => {
        // Every shard is reachable by its own name too: retries and replays go back to their shard.
        await ch.bindQueue(shard.queue, exchange, shard.queue);
        // Weight 1 each: the shards share the hash ring evenly.
        if (actor.shardExchange) await ch.bindQueue(shard.queue, actor.shardExchange, '1');
      });
      for (const tier of shard.retries) {
        await assertQueue(tier.queue, quorumArgs(topology, { 'x-message-ttl': tier.delayMs, ...atLeastOnceDeadLetter(exchange, shard.queue) }));
        await onChannel((ch) => ch.bindQueue(tier.queue, exchange, tier.queue));
      }
    }
  }
}
