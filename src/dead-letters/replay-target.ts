// Where a stored dead letter goes back to when replayed, and so which actor takes it: asked by a
// replay, which publishes there, and by its dry run, which judges the message as that actor would.
import { allShards, type ActorName, type Topology } from '../platform/amqp/topology.js';

export type ReplayTarget = { queue: string; actor: ActorName };

/**
 * A dead letter from `queue` goes back to its own shard, or, when the shard count has changed since
 * it failed, to its actor's exchange route, which picks the shard by its order id. Undefined: the
 * queue is not a work queue of this deployment.
 */
export function replayTargets(topology: Pick<Topology, 'actors'>): (queue: string | null) => ReplayTarget | undefined {
  const shardQueues = new Map(allShards(topology).map((s) => [s.queue, s.actor]));
  const actors = Object.entries(topology.actors) as Array<[ActorName, Topology['actors'][ActorName]]>;
  return (queue) => {
    if (!queue) return undefined;
    const shardActor = shardQueues.get(queue);
    if (shardActor) return { queue, actor: shardActor };
    const formerShard = (work: string) => queue.startsWith(`${work}.`) && /^\d+$/.test(queue.slice(work.length + 1));
    const found = actors.find(([, a]) => queue === a.work || formerShard(a.work));
    return found && { queue: found[1].work, actor: found[0] };
  };
}
