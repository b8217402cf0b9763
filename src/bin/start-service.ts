// The composition root: wires every role this process runs from one Config, starts them in
// dependency order (consumers last) and registers their shutdown in reverse.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Config, Role } from '../config.js';
import { buildHttpApp } from '../http/build-http-app.js';
import { healthRoutes, type HealthCheck } from '../http/health-routes.js';
import { createDelayFanout } from '../delivery-delays/delay-fanout.js';
import { createDelayHandler } from '../delivery-delays/delay-handler.js';
import { createDelayRepository } from '../delivery-delays/delay-repository.js';
import { delayRoutes } from '../delivery-delays/delay-routes.js';
import { createBusinessActor } from '../orders/business-actor.js';
import { createOrderOwners } from '../orders/order-owners.js';
import { createSubmissionHandler } from '../orders/submission-handler.js';
import { createSellerAuth } from '../sellers/seller-auth.js';
import { createSellerKeys } from '../sellers/seller-keys.js';
import { createSellerRateLimitAdmin } from '../sellers/seller-rate-limit-admin.js';
import { createSellerRateLimitRepository } from '../sellers/seller-rate-limit-repository.js';
import { sellerRateLimitRoutes } from '../sellers/seller-rate-limit-routes.js';
import { createSellerRateLimits } from '../sellers/seller-rate-limits.js';
import { createOrderRepository } from '../orders/order-repository.js';
import { orderRoutes } from '../orders/order-routes.js';
import { orderAdminRoutes } from '../orders/order-admin-routes.js';
import { phoneCountryPolicy } from '../orders/phone-country-policy.js';
import { createDeliveryRepository } from '../notifications/delivery-repository.js';
import { createMessagingClient } from '../notifications/messaging-client.js';
import { createNotificationActor } from '../notifications/notification-actor.js';
import { createNotificationSigner, loadNotificationKey } from '../notifications/notification-signature.js';
import { startActor, type ActorRuntimeOptions, type RunningActor } from '../platform/amqp/actor-runtime.js';
import { startDeadLetters } from '../dead-letters/dead-letter-module.js';
import { createAmqpConnection, type AmqpConnection } from '../platform/amqp/connection.js';
import { createQueueDepthSampler } from '../platform/amqp/queue-depth-sampler.js';
import { createIntakeGuard } from '../http/intake-guard.js';
import { metricsRoutes } from '../http/metrics-routes.js';
import { openApiRoutes } from '../http/openapi-routes.js';
import { actorMetricHooks, createMetrics } from '../platform/metrics.js';
import { createPublisher } from '../platform/amqp/publisher.js';
import { assertShardLayout } from '../platform/amqp/shard-layout.js';
import { allShards, declareTopology, describeTopology, type ActorName } from '../platform/amqp/topology.js';
import { createDb } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { migrateToLatest } from '../platform/migrate.js';
import { createShutdown, type Shutdown } from '../platform/shutdown.js';
import { buildMessagingSandbox } from '../sandbox/messaging-sandbox.js';
import { createSwitchAdmin } from '../switch-admin/switch-admin.js';
import { replayChecks, switchPreview } from './operator-console.js';
import { recordObservedSwitchChanges } from '../switch-admin/switch-change-recorder.js';
import { rememberSwitchesFromAudit } from '../switch-admin/remembered-switches.js';
import { exportSwitchMetrics } from '../switch-admin/switch-metrics.js';
import { createSwitchChangeRepository } from '../switch-admin/switch-change-repository.js';
import { switchRoutes } from '../switch-admin/switch-routes.js';
import { createZookeeperSwitches } from '../switch-admin/zookeeper-switches.js';
import { KNOWN_SWITCHES } from '../known-switches.js';
import { NOTIFICATION_PAUSED_SWITCH } from '../notifications/notification-switches.js';
import { BUSINESS_PAUSED_SWITCH } from '../orders/order-switches.js';
import { DeliveryDelayRequestSchema } from '../delivery-delays/delay-schema.js';
import { OrderSchema } from '../orders/order-schema.js';

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
  const shutdown = createShutdown(logger);
  const routes: FastifyPluginAsync[] = [];
  const health: HealthCheck[] = [];
  const actors: RunningActor[] = [];
  const metrics = createMetrics();
  // Every AMQP connection of this process, so readiness and the metrics can name the node each uses.
  const brokerConnections: AmqpConnection[] = [];
  metrics.sources.brokerNodes = () => brokerConnections.map((c) => ({ connection: c.name, node: c.node() }));
  try {
    let notifyApiUrl = config.NOTIFY_API_URL;
    // Only a whole-service trial (ROLE=all) falls back to the sandbox: a notification process of a
    // real deployment without NOTIFY_API_URL must fail at start, not record deliveries nobody got.
    const wantsSandbox = roles.has('sandbox') || (config.ROLE === 'all' && !notifyApiUrl);
    if (wantsSandbox) {
      const sandbox = buildMessagingSandbox();
      await sandbox.listen({ host: '127.0.0.1', port: config.SANDBOX_PORT });
      const address = sandbox.server.address();
      const port = typeof address === 'object' && address ? address.port : config.SANDBOX_PORT;
      notifyApiUrl ??= `http://127.0.0.1:${port}`;
      shutdown.add('messaging sandbox', () => sandbox.close());
      logger.info({ url: `http://127.0.0.1:${port}/messages` }, 'messaging sandbox listening (set NOTIFY_API_URL to use a real provider)');
    }

    const { db } = createDb(
      { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: config.DATABASE_POOL_SIZE, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS },
      logger,
    );
    shutdown.add('database pool', () => db.destroy());
    const applied = await migrateToLatest(db, config.DATABASE_SCHEMA);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    health.push({ name: 'database', check: async () => (await sql`select 1`.execute(db), true) });
    // Every role that publishes or sends notices needs the key; loading it is one query at start.
    const signer = createNotificationSigner(await loadNotificationKey(db));

    const topology = describeTopology({
      prefix: config.QUEUE_PREFIX,
      retryDelaysMs: config.RETRY_DELAYS_MS,
      deliveryLimit: config.QUEUE_DELIVERY_LIMIT,
      deadLetterDeliveryLimit: config.DEAD_LETTER_DELIVERY_LIMIT,
      shards: config.ACTOR_SHARDS,
      replicas: config.QUEUE_REPLICAS,
    });
    const publishConnection = await createAmqpConnection({ url: config.AMQP_URL, name: `order-actors-${config.ROLE}-publish`, heartbeatS: config.AMQP_HEARTBEAT_S, maxHeaderBytes: config.MESSAGE_MAX_HEADER_BYTES, logger });
    shutdown.add('publish connection', () => publishConnection.close());
    // Driven by the connection, not by requests: a scrape shows an alarm, and its end, in every
    // role, whether or not an order arrives to notice it. A new connection starts unblocked.
    publishConnection.model.on('blocked', () => metrics.brokerBlocked.set(1));
    publishConnection.model.on('unblocked', () => metrics.brokerBlocked.set(0));
    publishConnection.onConnect(() => metrics.brokerBlocked.set(0));
    // Declared before anything publishes or consumes, and again after every reconnect (a broker
    // restarted from scratch comes back without our queues).
    const declare = () => declareTopology(publishConnection.model, topology, { onNotice: (message) => logger.warn(message) });
    // Before any binding could route to, or duplicate into, queues of another ACTOR_SHARDS. Only at
    // start: a few probes per actor, and the layout does not change under a running process.
    await assertShardLayout(publishConnection.model, topology);
    await declare();
    // onConnect also runs at once for the connection just used: skip that one, declared above.
    let reconnects = 0;
    publishConnection.onConnect(() => {
      if (reconnects++ > 0) void declare().catch((err: unknown) => logger.error({ err }, 'could not re-declare the topology'));
    });
    const publisher = createPublisher({ connection: publishConnection, exchange: topology.exchange, confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT_MS, logger, metrics });
    shutdown.add('publisher channel', () => publisher.close());
    metrics.sources.publishesInFlight = () => publisher.inFlight();
    await publisher.ready();
    health.push({ name: 'broker', check: () => publishConnection.isConnected() && publisher.isReady() });
    brokerConnections.push(publishConnection);

    const orders = createOrderRepository();
    const delays = createDelayRepository();
    // Read before any actor starts, so that a pause switch that is on keeps its actor from consuming at all.
    const switches = createZookeeperSwitches(config, KNOWN_SWITCHES, logger, { onInvalidValue: (name) => metrics.switchInvalid.inc({ name }) });
    const switchChanges = createSwitchChangeRepository();
    recordObservedSwitchChanges({ db, switches, changes: switchChanges, logger });
    const stopSwitchMetrics = exportSwitchMetrics({ switches, metrics });
    shutdown.add('switches', () => {
      stopSwitchMetrics();
      return switches.close();
    });
    const { synced } = await switches.start();
    await rememberSwitchesFromAudit({ db, switches, changes: switchChanges, logger, synced });
    const preview = switchPreview({ db, switches, definitions: KNOWN_SWITCHES, orders, topology, broker: publishConnection.model });
    routes.push(switchRoutes({ admin: createSwitchAdmin({ db, switches, changes: switchChanges }), preview, adminToken: config.ADMIN_TOKEN }));

    if (roles.has('intake')) {
      const businessQueue = topology.actors.business.work;
      const notificationQueue = topology.actors.notification.work;
      // Its own connection: a connection that publishes is blocked whole during a broker alarm, and
      // the depths must stay current exactly then.
      const monitorConnection = await createAmqpConnection({ url: config.AMQP_URL, name: `order-actors-${config.ROLE}-monitor`, heartbeatS: config.AMQP_HEARTBEAT_S, maxHeaderBytes: config.MESSAGE_MAX_HEADER_BYTES, logger });
      shutdown.add('monitor connection', () => monitorConnection.close());
      brokerConnections.push(monitorConnection);
      const depths = createQueueDepthSampler({ connection: monitorConnection, queues: [...allShards(topology).map((s) => s.queue), topology.deadLetters, topology.parkedDeadLetters], logger, metrics });
      depths.start();
      shutdown.add('queue depth sampler', () => depths.stop());
      /** Messages waiting for an actor, over all its shards; unknown if any shard's depth is. */
      const actorDepth = (actor: ActorName): number | undefined =>
        topology.actors[actor].shards.reduce<number | undefined>((sum, s) => {
          const d = depths.depth(s.queue);
          return sum === undefined || d === undefined ? undefined : sum + d;
        }, 0);
      const admit = createIntakeGuard({
        isBrokerBlocked: () => publishConnection.isBlocked(),
        queueDepth: () => actorDepth('business'),
        maxQueueDepth: config.INTAKE_MAX_QUEUE_DEPTH,
        publishesInFlight: () => publisher.inFlight(),
        maxPublishesInFlight: config.INTAKE_MAX_PUBLISHES_IN_FLIGHT,
        isPublisherDraining: () => publisher.isDraining(),
        onRefused: (reason) => metrics.intakeRequests.inc({ route: 'intake', outcome: `refused_${reason}` }),
      });
      const auth = createSellerAuth({ mode: config.SELLER_AUTH, keys: createSellerKeys({ db, cacheTtlMs: config.SELLER_KEY_CACHE_TTL_MS }) });
      const rateLimitDefaults = { ordersPerMinute: config.SHOP_ORDERS_PER_MINUTE, delaysPerMinute: config.SHOP_DELAYS_PER_MINUTE };
      const rateLimitOverrides = createSellerRateLimitRepository();
      const rateLimits = createSellerRateLimits({ db, limits: rateLimitOverrides, defaults: rateLimitDefaults, reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS, logger });
      await rateLimits.start();
      shutdown.add('seller rate limits', () => rateLimits.stop());
      routes.push(
        sellerRateLimitRoutes({
          admin: createSellerRateLimitAdmin({ db, limits: rateLimitOverrides, defaults: rateLimitDefaults }),
          adminToken: config.ADMIN_TOKEN,
          reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS,
        }),
      );
      routes.push(orderRoutes({ db, orders, publisher, businessQueue, admit, auth, rateLimits, phoneCountry: phoneCountryPolicy(config.PHONE_COUNTRY_CODES), owners: createOrderOwners(db, logger) }));
      const fanout = createDelayFanout({
        db,
        delays,
        publisher,
        businessQueue,
        notificationQueue,
        signer,
        logger,
        // Both queues: the business step is quick, so a delay's backlog builds up in the notification queue.
        backlog: {
          depth: () => {
            const business = actorDepth('business');
            const notification = actorDepth('notification');
            return business === undefined || notification === undefined ? undefined : business + notification;
          },
          max: config.DELAY_FANOUT_MAX_BACKLOG,
        },
      });
      fanout.start();
      shutdown.add('delivery-delay fan-out', () => fanout.stop());
      routes.push(delayRoutes({ db, delays, fanout, admit, auth, rateLimits, noticesPerDay: config.DELAY_NOTICES_PER_DAY }));
      routes.push(openApiRoutes({ schemas: { order: OrderSchema, deliveryDelayRequest: DeliveryDelayRequestSchema }, phoneCountryCodes: config.PHONE_COUNTRY_CODES }));
    }

    if (roles.has('intake') || roles.has('dead-letters')) {
      const deadLetters = await startDeadLetters({ config, db, publisher, topology, logger, shutdown, schedule: roles.has('dead-letters') });
      brokerConnections.push(deadLetters.connection);
      // The admin API for failures, and the operators' order timeline that shows them, live with the HTTP intake.
      if (roles.has('intake')) {
        const checks = replayChecks({ config, db, switches, deliveries: createDeliveryRepository(), signer, logger });
        routes.push(deadLetters.routes({ replayChecks: checks, switchValue: (name) => switches.get(name)?.value }));
        routes.push(orderAdminRoutes({ db, orders, deadLettersOf: deadLetters.failuresOf, adminToken: config.ADMIN_TOKEN }));
      }
    }

    if (roles.has('business') || roles.has('notification')) {
      const consumeConnection = await createAmqpConnection({ url: config.AMQP_URL, name: `order-actors-${config.ROLE}-consume`, heartbeatS: config.AMQP_HEARTBEAT_S, maxHeaderBytes: config.MESSAGE_MAX_HEADER_BYTES, logger });
      shutdown.add('consume connection', () => consumeConnection.close());
      health.push({ name: 'consumer', check: () => consumeConnection.isConnected() });
      brokerConnections.push(consumeConnection);
      const runtime = (prefetch: number): ActorRuntimeOptions => ({
        prefetch,
        batchSize: config.ACTOR_BATCH_SIZE,
        concurrentBatches: config.ACTOR_CONCURRENT_BATCHES,
        maxAttempts: config.MAX_ATTEMPTS,
        maxMessageBytes: config.MESSAGE_MAX_BYTES,
        ...(config.CONSUME_SHARDS ? { shards: config.CONSUME_SHARDS } : {}),
      });
      const hooks = actorMetricHooks(metrics);
      const runtimeDeps = { connection: consumeConnection, publisher, topology, logger, hooks };

      if (roles.has('business')) {
        const notificationQueue = topology.actors.notification.work;
        const actor = createBusinessActor({
          queues: topology.actors.business,
          handleSubmitted: createSubmissionHandler({ db, orders, switches, notificationQueue, signer }),
          handleDelayed: createDelayHandler({ db, delays, notificationQueue, signer }),
        });
        actors.push(startActor({ ...runtimeDeps, options: runtime(config.BUSINESS_PREFETCH), pause: switches.pauseControl(BUSINESS_PAUSED_SWITCH) }, actor));
      }
      if (roles.has('notification')) {
        if (!notifyApiUrl) throw new Error('Set NOTIFY_API_URL to the messaging API for ROLE=notification (only ROLE=all falls back to the built-in sandbox)');
        const messaging = createMessagingClient({ baseUrl: notifyApiUrl, timeoutMs: config.NOTIFY_TIMEOUT_MS, connections: config.NOTIFY_CONNECTIONS });
        shutdown.add('messaging client', () => messaging.close());
        const actor = createNotificationActor({ db, orders, deliveries: createDeliveryRepository(), messaging, switches, signer, queues: topology.actors.notification });
        actors.push(startActor({ ...runtimeDeps, options: runtime(config.NOTIFICATION_PREFETCH), pause: switches.pauseControl(NOTIFICATION_PAUSED_SWITCH) }, actor));
      }
      // Consumers stop before their channels' connection closes; in-flight messages finish first.
      shutdown.add('actors', () => Promise.all(actors.map((a) => a.stop())));
    }

    routes.push(healthRoutes(health, { details: () => ({ brokerNodes: metrics.sources.brokerNodes() }) }), metricsRoutes(metrics, { token: config.METRICS_TOKEN }));
    const app = await buildHttpApp({ logger, routes, metrics, maxEventLoopDelayMs: roles.has('intake') ? config.INTAKE_MAX_EVENT_LOOP_DELAY_MS : undefined });
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
