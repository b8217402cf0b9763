// `order-actors shards …`: the queues of a previous ACTOR_SHARDS, after the shard count changed.
// A process refuses to start while they exist; these commands show them and delete them once they
// are empty and unused.
import type { Command } from 'commander';
import { topologyOf } from '../config.js';
import { createAmqpConnection } from '../platform/amqp/connection.js';
import { findRetiredShards, retireShards } from '../platform/amqp/shard-layout.js';
import type { Topology } from '../platform/amqp/topology.js';
import { withCliContext } from './cli-context.js';

function withBroker<T>(work: (model: Parameters<typeof findRetiredShards>[0], topology: Topology) => Promise<T>): Promise<T> {
  return withCliContext(async ({ config, logger, shutdown }) => {
    const topology = topologyOf(config);
    const connection = await createAmqpConnection({ url: config.AMQP_URL, name: 'order-actors-cli-shards', heartbeatS: config.AMQP_HEARTBEAT_S, logger });
    shutdown.add('broker connection', () => connection.close());
    return work(connection.model, topology);
  });
}

export function registerShardCommands(program: Command): void {
  const shards = program.command('shards').description('the work queues of another ACTOR_SHARDS, after the shard count changed');

  shards
    .command('retired')
    .description('list the queues that belong to a shard count other than ACTOR_SHARDS')
    .action(async () => {
      const found = await withBroker((model, topology) => findRetiredShards(model, topology));
      if (found.length === 0) console.log('none: every work queue matches ACTOR_SHARDS');
      for (const r of found) console.log(`${r.queue} (retry tiers ${r.tiers.join(', ')})`);
    });

  shards
    .command('retire')
    .description('delete the queues of another shard count once they are empty and unused (stop the old processes first)')
    .action(async () => {
      const report = await withBroker((model, topology) => retireShards(model, topology));
      for (const q of report.deleted) console.log(`deleted ${q}`);
      if (report.refused.length > 0) {
        throw new Error(
          `Left in place, not empty or still consumed:\n  ${report.refused.join('\n  ')}\n` +
            'Run the service with its previous ACTOR_SHARDS until they are empty, stop those processes, and run this again.',
        );
      }
      if (report.deleted.length === 0) console.log('nothing to retire');
    });
}
