// Every queue of the topology in the order an operator reads them (each actor's shards, each shard's
// work queue then its retry tiers, then the dead letters), with its last sample.
import type { QueueSample } from './queue-depth-sampler.js';
import { allShards, type ActorName, type Topology } from './topology.js';

export type QueueRow = {
  /** null for the dead-letter queues, which every actor shares. */
  actor: ActorName | null;
  /** The shard's number when the actors are sharded (ACTOR_SHARDS > 1), else null. */
  shard: number | null;
  kind: 'work' | 'retry' | 'dead-letters' | 'parked';
  /** How long a message waits in a retry tier before it goes back to its work queue. */
  delayMs: number | null;
  queue: string;
  /** undefined when the queue has not been sampled lately (the broker is away, or the queue is missing). */
  sample: QueueSample | undefined;
};

/** The work queues and the dead-letter queues: what intake and the delay fan-out decide by. */
export function workQueues(topology: Pick<Topology, 'actors' | 'deadLetters' | 'parkedDeadLetters'>): string[] {
  return [...allShards(topology).map((s) => s.queue), topology.deadLetters, topology.parkedDeadLetters];
}

/** The retry tiers of every shard. */
export function retryQueues(topology: Pick<Topology, 'actors'>): string[] {
  return allShards(topology).flatMap((s) => s.retries.map((r) => r.queue));
}

export function queueOverview(
  topology: Pick<Topology, 'actors' | 'deadLetters' | 'parkedDeadLetters' | 'shardCount'>,
  sampleOf: (queue: string) => QueueSample | undefined,
): QueueRow[] {
  const shardOf = (index: number) => (topology.shardCount > 1 ? index : null);
  const shards = allShards(topology).flatMap((s): QueueRow[] => [
    { actor: s.actor, shard: shardOf(s.index), kind: 'work', delayMs: null, queue: s.queue, sample: sampleOf(s.queue) },
    ...s.retries.map((r): QueueRow => ({
      actor: s.actor,
      shard: shardOf(s.index),
      kind: 'retry',
      delayMs: r.delayMs,
      queue: r.queue,
      sample: sampleOf(r.queue),
    })),
  ]);
  const dead = (kind: 'dead-letters' | 'parked', queue: string): QueueRow => ({
    actor: null,
    shard: null,
    kind,
    delayMs: null,
    queue,
    sample: sampleOf(queue),
  });
  return [...shards, dead('dead-letters', topology.deadLetters), dead('parked', topology.parkedDeadLetters)];
}
