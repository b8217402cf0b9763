// Changing ACTOR_SHARDS on a running system: the queues of the previous shard count may still hold
// messages, and a process of the previous count may still consume or re-declare them. Nothing here
// deletes anything on its own: a process that finds such queues refuses to start and says what to
// do, and `order-actors shards retire` deletes them once they are empty and unused.
import { exchangeExists, inspectQueue as inspect, onOwnChannel as onChannel, type ChannelSource } from './broker-probes.js';
import { retryTiers, type Topology } from './topology.js';

/** A work queue of another shard count, with its retry tiers (they dead-letter back to it). */
export type RetiredShard = { actorRoute: string; queue: string; tiers: string[]; hashExchange: string };

export class ShardLayoutError extends Error {
  readonly code = 'shard_layout_changed';
}

/**
 * Work queues of a shard count other than the topology's. Shards are numbered from 0 without gaps,
 * so a few probes per actor find them: unsharded, the hash exchange left by a sharded layout and
 * its shards from .0; sharded into N, the unsharded queue and the shards from .N on.
 */
export async function findRetiredShards(model: ChannelSource, topology: Topology): Promise<RetiredShard[]> {
  const found: RetiredShard[] = [];
  for (const actor of Object.values(topology.actors)) {
    const hashExchange = `${actor.work}.shards`;
    const shard = (queue: string): RetiredShard => ({
      actorRoute: actor.work,
      queue,
      tiers: retryTiers(queue, topology.retryDelaysMs).map((t) => t.queue),
      hashExchange,
    });
    let next: number;
    if (topology.shardCount === 1) {
      if (!(await exchangeExists(model, hashExchange))) continue;
      next = 0;
    } else {
      if (await inspect(model, actor.work)) found.push(shard(actor.work));
      next = topology.shardCount;
    }
    while (await inspect(model, `${actor.work}.${next}`)) found.push(shard(`${actor.work}.${next++}`));
  }
  return found;
}

/** Stops a start that would strand messages: some queues belong to another ACTOR_SHARDS. */
export async function assertShardLayout(model: ChannelSource, topology: Topology): Promise<void> {
  const retired = await findRetiredShards(model, topology);
  if (retired.length === 0) return;
  const lines: string[] = [];
  for (const r of retired) {
    for (const q of [r.queue, ...r.tiers]) {
      const state = await inspect(model, q);
      if (state) lines.push(`${q} (${state.messages} waiting, ${state.consumers} consumers)`);
    }
  }
  throw new ShardLayoutError(
    `ACTOR_SHARDS is ${topology.shardCount}, but these queues belong to another shard count: ${lines.join(', ')}. ` +
      'Run the service with its previous ACTOR_SHARDS until they are empty, stop every process, then run ' +
      '`order-actors shards retire` with the new ACTOR_SHARDS; it deletes them once they are empty and unused.',
  );
}

export type RetireReport = { deleted: string[]; refused: string[] };

/**
 * Deletes the queues of another shard count that are empty and unused, retry tiers first. Each is
 * unbound first, so nothing new is routed to it, then looked at twice `settleMs` apart (a message
 * on its way, or a consumer reconnecting, shows in the second look); one that is not empty and
 * unused both times is bound again and left, with the reason.
 */
export async function retireShards(model: ChannelSource, topology: Topology, settleMs = 2_000): Promise<RetireReport> {
  const report: RetireReport = { deleted: [], refused: [] };
  const sleep = () => new Promise((r) => setTimeout(r, settleMs));
  for (const r of await findRetiredShards(model, topology)) {
    const sharded = r.queue !== r.actorRoute;
    const bindings = (q: string): Array<[string, string]> =>
      q === r.queue ? [[topology.exchange, q], ...(sharded ? ([[r.hashExchange, '1']] as Array<[string, string]>) : [])] : [[topology.exchange, q]];
    const queues = [...r.tiers, r.queue];
    const states = async () => Promise.all(queues.map(async (q) => ({ q, state: await inspect(model, q) })));
    const busy = (s: Awaited<ReturnType<typeof states>>) => s.filter(({ state }) => state && (state.messages > 0 || state.consumers > 0));

    let found = busy(await states());
    if (found.length === 0) {
      await onChannel(model, async (ch) => {
        for (const q of queues) for (const [source, key] of bindings(q)) await ch.unbindQueue(q, source, key).catch(() => undefined);
      });
      await sleep();
      found = busy(await states());
      if (found.length > 0) {
        await onChannel(model, async (ch) => {
          for (const q of queues) for (const [source, key] of bindings(q)) await ch.bindQueue(q, source, key);
        });
      }
    }
    if (found.length > 0) {
      report.refused.push(...found.map(({ q, state }) => `${q}: ${state!.messages} waiting, ${state!.consumers} consumers`));
      continue;
    }
    await onChannel(model, async (ch) => {
      for (const q of queues) await ch.deleteQueue(q);
    });
    report.deleted.push(...queues);
  }
  // Unsharded again, with no shard left: the hash exchange would route to nothing.
  for (const actor of Object.values(topology.actors)) {
    if (actor.shardExchange || report.refused.some((line) => line.startsWith(`${actor.work}.`))) continue;
    if (await exchangeExists(model, `${actor.work}.shards`)) {
      await onChannel(model, (ch) => ch.deleteExchange(`${actor.work}.shards`));
      report.deleted.push(`${actor.work}.shards (exchange)`);
    }
  }
  return report;
}
