// The composition root: wires every role this process runs from one Config, in dependency order
// (consumers last), each concern in its own wire-*.ts, and registers their shutdown in reverse.
import type { FastifyInstance } from 'fastify';
import type { Config, Role } from '../config.js';
import { startDeadLetters } from '../dead-letters/dead-letter-module.js';
import { buildHttpApp } from '../http/build-http-app.js';
import { healthRoutes } from '../http/health-routes.js';
import { metricsRoutes } from '../http/metrics-routes.js';
import { createDeliveryRepository } from '../notifications/delivery-repository.js';
import { orderAdminRoutes } from '../orders/order-admin-routes.js';
import { createOrderRepository, journalInsert } from '../orders/order-repository.js';
import { createOrderTimelineLookup } from '../orders/order-timeline-lookup.js';
import type { RunningActor } from '../platform/amqp/actor-runtime.js';
import type { Logger } from '../platform/logger.js';
import { createMetrics } from '../platform/metrics.js';
import { createShutdown, type Shutdown } from '../platform/shutdown.js';
import { createDelayStore } from './delay-store.js';
import { replayChecks } from './operator-console.js';
import { wireActors } from './wire-actors.js';
import { wireBroker } from './wire-broker.js';
import { wireConsole } from './wire-console.js';
import { wireDatabase } from './wire-database.js';
import { wireIntake } from './wire-intake.js';
import { wireProcessRegistry } from './wire-process-registry.js';
import { wireSandbox } from './wire-sandbox.js';
import { wireSwitches } from './wire-switches.js';
import type { Wiring } from './wiring.js';

export type RunningService = {
  app: FastifyInstance;
  /** The port the HTTP app listens on (useful when PORT=0). */
  port: number;
  /** The messaging API the notification actors call (the sandbox's when NOTIFY_API_URL is unset). */
  notifyApiUrl: string | undefined;
  actors: RunningActor[];
  shutdown: Shutdown;
  stop(): Promise<void>;
};

function rolesOf(role: Role): Set<Role> {
  return new Set(role === 'all' ? ['intake', 'business', 'notification', 'dead-letters'] : [role]);
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const roles = rolesOf(config.ROLE);
  const metrics = createMetrics();
  const w: Wiring = { config, logger, shutdown: createShutdown(logger), metrics, routes: [], health: [], brokerConnections: [] };
  const { shutdown } = w;
  // Every AMQP connection of this process, so readiness and the metrics can name the node each uses.
  metrics.sources.brokerNodes = () => w.brokerConnections.map((c) => ({ connection: c.name, node: c.node() }));
  try {
    const notifyApiUrl = await wireSandbox(w, roles.has('sandbox') || (config.ROLE === 'all' && !config.NOTIFY_API_URL));
    const { db, signer } = await wireDatabase(w);
    const { topology, publishConnection, publisher } = await wireBroker(w);
    const orders = createOrderRepository();
    const delays = createDelayStore();
    const {
      switches,
      admin: switchAdmin,
      preview: switchPreview,
      guardAdmin,
      scheduleAdmin,
      pathOutcomes,
    } = await wireSwitches(w, { db, orders, topology, broker: publishConnection.model });

    const processes = wireProcessRegistry(w, { db, switches });

    const intake = roles.has('intake') ? await wireIntake(w, { db, topology, publishConnection, publisher, orders, delays, signer }) : undefined;
    if (roles.has('intake') || roles.has('dead-letters')) {
      const deadLetters = await startDeadLetters({ config, db, publisher, topology, logger, shutdown, schedule: roles.has('dead-letters') });
      w.brokerConnections.push(deadLetters.connection);
      // The admin API for failures, the operators' order timeline that shows them, and the operator
      // console over both, live with the HTTP intake.
      if (intake) {
        const checks = replayChecks({ config, db, switches, deliveries: createDeliveryRepository({ journalInsert }), signer, logger });
        const replayPreview = { replayChecks: checks, switchValue: (name: string) => switches.get(name)?.value };
        const timeline = createOrderTimelineLookup({ db, orders, deadLettersOf: deadLetters.failuresOf });
        w.routes.push(deadLetters.routes(replayPreview));
        w.routes.push(orderAdminRoutes({ timeline, adminToken: config.ADMIN_TOKEN }));
        wireConsole(w, {
          deadLetters: { service: deadLetters.service, dryRun: deadLetters.replayDryRun(replayPreview), probeWaitMs: deadLetters.probeWaitMs },
          switches: { admin: switchAdmin, preview: switchPreview, guards: guardAdmin, schedule: scheduleAdmin },
          orderTimeline: timeline,
          recentDelays: (limit) => delays.recentProgress(db, limit),
          queues: intake.queues,
          processes: () => processes.registry.list(),
        });
      }
    }
    const actors =
      roles.has('business') || roles.has('notification')
        ? await wireActors(w, {
            db,
            topology,
            publisher,
            switches,
            pathOutcomes,
            orders,
            delays,
            signer,
            business: roles.has('business'),
            notification: roles.has('notification'),
            notifyApiUrl,
          })
        : [];
    await processes.startHeartbeat();

    w.routes.push(
      healthRoutes(w.health, { details: () => ({ brokerNodes: metrics.sources.brokerNodes() }) }),
      metricsRoutes(metrics, { token: config.METRICS_TOKEN }),
    );
    const app = await buildHttpApp({
      logger,
      routes: w.routes,
      metrics,
      maxEventLoopDelayMs: roles.has('intake') ? config.INTAKE_MAX_EVENT_LOOP_DELAY_MS : undefined,
    });
    await app.listen({ host: config.HOST, port: config.PORT });
    // Registered last so it runs first: no new requests while the rest shuts down.
    shutdown.add('http server', () => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    logger.info({ port, roles: [...roles] }, 'order-actors started');

    return { app, port, notifyApiUrl, actors, shutdown, stop: () => shutdown.run() };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}
