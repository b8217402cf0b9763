// The ZooKeeper-backed switches of a process, from its Config: one place for the service and the CLI.
import type { Config } from '../config.js';
import type { Logger } from '../platform/logger.js';
import { createSwitchRegistry, type SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';
import { createSwitches } from '../platform/runtime-switches/switches.js';
import { createZookeeperSwitchStore, type ZookeeperSwitchStoreOptions } from '../platform/runtime-switches/zookeeper-switch-store.js';

export function createZookeeperSwitches(
  config: Pick<Config, 'ZK_CONNECT' | 'ZK_ROOT' | 'ZK_AUTH' | 'ZK_SESSION_TIMEOUT_MS' | 'ZK_START_TIMEOUT_MS'>,
  /** The switches the process reads (src/known-switches.ts); others found in ZooKeeper are shown, never used. */
  definitions: readonly SwitchDefinition[],
  logger: Logger,
  hooks?: ZookeeperSwitchStoreOptions['hooks'],
) {
  const registry = createSwitchRegistry(definitions);
  const store = createZookeeperSwitchStore({
    connect: config.ZK_CONNECT,
    root: config.ZK_ROOT,
    auth: config.ZK_AUTH,
    sessionTimeoutMs: config.ZK_SESSION_TIMEOUT_MS,
    startTimeoutMs: config.ZK_START_TIMEOUT_MS,
    registry,
    logger,
    ...(hooks ? { hooks } : {}),
  });
  return createSwitches({ store, registry, logger });
}
