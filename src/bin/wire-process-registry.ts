// The deployment's list of processes: this process's heartbeat row, with how its ZooKeeper session
// and broker connections stand, and GET /admin/processes over every row. The heartbeat starts once
// the process has wired everything it runs, so its first row already names all its connections.
import type { Db } from '../platform/db.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import { createProcessRegistry } from '../process-registry/process-registry.js';
import { createProcessRepository } from '../process-registry/process-repository.js';
import { processRoutes } from '../process-registry/process-routes.js';
import type { Wiring } from './wiring.js';

export function wireProcessRegistry({ config, logger, shutdown, metrics, routes }: Wiring, deps: { db: Db; switches: Pick<Switches, 'session'> }) {
  const registry = createProcessRegistry({
    db: deps.db,
    processes: createProcessRepository(),
    role: config.ROLE,
    heartbeatMs: config.PROCESS_HEARTBEAT_MS,
    logger,
    report: () => {
      const { state, since, stale } = deps.switches.session();
      return { zookeeper: { state, since, stale }, brokerNodes: metrics.sources.brokerNodes() };
    },
  });
  routes.push(processRoutes({ registry, adminToken: config.ADMIN_TOKEN }));
  return {
    registry,
    async startHeartbeat(): Promise<void> {
      await registry.start();
      // Stopped early in the shutdown (which runs in reverse): the process shows as gone as soon as it begins to stop.
      shutdown.add('process heartbeat', () => registry.stop());
    },
  };
}
