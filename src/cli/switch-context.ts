// What every `order-actors switches …` command starts from: this process's view of the switches,
// read from ZooKeeper first (no running service needed), and the database for the audit.
import { KNOWN_SWITCHES } from '../known-switches.js';
import type { Db } from '../platform/db.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import { createZookeeperSwitches } from '../switch-admin/zookeeper-switches.js';
import { withCliContext } from './cli-context.js';

/** Runs `work` with this process's view of the switches, read from ZooKeeper first, and the database. */
export function withSwitches<T>(work: (ctx: { switches: Switches; db: Db }) => Promise<T>): Promise<T> {
  return withCliContext(async ({ config, logger, shutdown, db }) => {
    const switches = createZookeeperSwitches(config, KNOWN_SWITCHES, logger);
    shutdown.add('ZooKeeper session', () => switches.close());
    const { synced } = await switches.start();
    if (!synced) {
      throw new Error(`ZooKeeper at ${config.ZK_CONNECT} did not answer within ${config.ZK_START_TIMEOUT_MS} ms; nothing was read or changed`);
    }
    return work({ switches, db: await db() });
  });
}
