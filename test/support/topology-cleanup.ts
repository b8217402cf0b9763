// Removes every queue and the exchange of one topology: how test files leave the shared broker as
// they found it.
import amqp from 'amqplib';
import type { Config } from '../../src/config.js';
import { allQueues, describeTopology, type Topology } from '../../src/platform/amqp/topology.js';

export function topologyOf(config: Pick<Config, 'QUEUE_PREFIX' | 'RETRY_DELAYS_MS' | 'QUEUE_DELIVERY_LIMIT'>, prefix = config.QUEUE_PREFIX): Topology {
  return describeTopology({ prefix, retryDelaysMs: config.RETRY_DELAYS_MS, deliveryLimit: config.QUEUE_DELIVERY_LIMIT });
}

/** A plain connection to the first node of an AMQP_URL list that answers. */
export async function connectAny(urls: string): Promise<amqp.ChannelModel> {
  let last: unknown;
  for (const url of urls.split(',')) {
    try {
      return await amqp.connect(url.trim(), { timeout: 5_000 });
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error(`no node of ${urls} answers`);
}

export async function deleteTopology(url: string, topology: Topology): Promise<void> {
  const conn = await connectAny(url);
  try {
    const ch = await conn.createChannel();
    for (const q of allQueues(topology)) await ch.deleteQueue(q);
    for (const actor of Object.values(topology.actors)) if (actor.shardExchange) await ch.deleteExchange(actor.shardExchange);
    await ch.deleteExchange(topology.exchange);
    await ch.close();
  } finally {
    await conn.close();
  }
}
