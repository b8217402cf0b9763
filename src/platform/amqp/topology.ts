// The picture of the broker: every exchange, queue and binding the service uses, declared
// idempotently at start. Read this file to know what `rabbitmqctl list_queues` should show.
import type { Channel, Options } from 'amqplib';

export type ActorQueues = {
  /** The work queue the actor consumes. */
  work: string;
  /** Delayed retry tiers, in order; each dead-letters back to `work` when its TTL expires. */
  retries: ReadonlyArray<{ queue: string; delayMs: number }>;
};

export type Topology = ReturnType<typeof describeTopology>;

/** Human-readable delay for queue names: 1000 → "1s", 250 → "250ms". */
function delayName(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function describeTopology(options: { prefix: string; retryDelaysMs: readonly number[]; deliveryLimit: number }) {
  const { prefix } = options;
  const exchange = prefix;
  const deadLetters = `${prefix}.dead-letters`;
  const actor = (name: string): ActorQueues => ({
    work: `${prefix}.${name}`,
    retries: options.retryDelaysMs.map((delayMs) => ({ queue: `${prefix}.${name}.retry-${delayName(delayMs)}`, delayMs })),
  });
  return {
    prefix,
    /** One direct exchange; every queue is bound under its own name, so routing key = queue name. */
    exchange,
    deadLetters,
    deliveryLimit: options.deliveryLimit,
    actors: {
      business: actor('business'),
      notification: actor('notification'),
    } as Record<string, ActorQueues>,
  };
}

// Quorum queues: replicated, poison-message aware (x-delivery-limit) and able to dead-letter
// at-least-once, which needs reject-publish overflow. See README "Why quorum queues".
function quorumArgs(extra: Record<string, unknown>): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
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

export async function declareTopology(channel: Channel, topology: Topology): Promise<void> {
  const { exchange, deadLetters } = topology;
  await channel.assertExchange(exchange, 'direct', { durable: true });

  await channel.assertQueue(deadLetters, quorumArgs({}));
  await channel.bindQueue(deadLetters, exchange, deadLetters);

  for (const queues of Object.values(topology.actors)) {
    await channel.assertQueue(
      queues.work,
      quorumArgs({
        // Redeliveries the broker counts itself: a message that crashes its consumer over and over
        // (no chance for our own retry headers) ends in the dead-letter queue instead of looping.
        'x-delivery-limit': topology.deliveryLimit,
        ...atLeastOnceDeadLetter(exchange, deadLetters),
      }),
    );
    await channel.bindQueue(queues.work, exchange, queues.work);
    for (const tier of queues.retries) {
      await channel.assertQueue(
        tier.queue,
        quorumArgs({ 'x-message-ttl': tier.delayMs, ...atLeastOnceDeadLetter(exchange, queues.work) }),
      );
      await channel.bindQueue(tier.queue, exchange, tier.queue);
    }
  }
}

/** Every queue name, for tests and operators that need to inspect or delete them. */
export function allQueues(topology: Topology): string[] {
  return [
    topology.deadLetters,
    ...Object.values(topology.actors).flatMap((a) => [a.work, ...a.retries.map((r) => r.queue)]),
  ];
}
