// The HTTP intake: queue depths sampled on a connection of their own (a publishing connection is
// blocked whole during a broker alarm, and the depths must stay current exactly then), the guard
// that refuses work past the limits, shop authentication and rate limits, the order and delay
// routes, the delay fan-out and the OpenAPI document. Returns every queue's last sample, for the
// operator console's overview.
import { createDelayFanout } from '../delivery-delays/delay-fanout.js';
import type { DelayRepository } from '../delivery-delays/delay-repository.js';
import { delayRoutes } from '../delivery-delays/delay-routes.js';
import { createIntakeGuard } from '../http/intake-guard.js';
import { openApiRoutes } from '../http/openapi-routes.js';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import { createOrderOwners } from '../orders/order-owners.js';
import type { OrderRepository } from '../orders/order-repository.js';
import { orderRoutes } from '../orders/order-routes.js';
import { phoneCountryPolicy } from '../orders/phone-country-policy.js';
import type { AmqpConnection } from '../platform/amqp/connection.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import { createQueueDepthSampler } from '../platform/amqp/queue-depth-sampler.js';
import { queueOverview, retryQueues, workQueues, type QueueRow } from '../platform/amqp/queue-overview.js';
import type { ActorName, Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import { repeatEvery } from '../platform/repeat-every.js';
import { createSellerAuth } from '../sellers/seller-auth.js';
import { createSellerKeys } from '../sellers/seller-keys.js';
import { createSellerRateLimitAdmin } from '../sellers/seller-rate-limit-admin.js';
import { createSellerRateLimitRepository } from '../sellers/seller-rate-limit-repository.js';
import { sellerRateLimitRoutes } from '../sellers/seller-rate-limit-routes.js';
import { createSellerRateLimits } from '../sellers/seller-rate-limits.js';
import { openBrokerConnection, type Wiring } from './wiring.js';

/** Long by design: the intake is one concern whose parts (guard, auth, limits, routes, fan-out) are wired in the order they depend on each other. */
/** How often finished delays are looked for: the Delays page's "took" is exact either way (derived until then). */
const DELAY_FINISH_CHECK_MS = 5_000;

export async function wireIntake(
  w: Wiring,
  deps: {
    db: Db;
    topology: Topology;
    publishConnection: AmqpConnection;
    publisher: Publisher;
    orders: OrderRepository;
    delays: DelayRepository;
    signer: NotificationSigner;
  },
): Promise<{ queues: () => QueueRow[] }> {
  const { config, logger, shutdown, metrics, routes } = w;
  const { db, topology, publishConnection, publisher, orders, delays, signer } = deps;
  const businessQueue = topology.actors.business.work;
  const notificationQueue = topology.actors.notification.work;
  const monitorConnection = await openBrokerConnection(w, 'monitor');
  const depths = createQueueDepthSampler({ connection: monitorConnection, queues: workQueues(topology), logger, metrics });
  depths.start();
  shutdown.add('queue depth sampler', () => depths.stop());
  // Only people look at the retry tiers (three a shard): a slower sampler of their own keeps the
  // work queues' depths, which intake admits by, as fresh as ever however many shards there are.
  const retryDepths = createQueueDepthSampler({ connection: monitorConnection, queues: retryQueues(topology), intervalMs: 5_000, logger, metrics });
  retryDepths.start();
  shutdown.add('retry tier sampler', () => retryDepths.stop());
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
  const rateLimits = createSellerRateLimits({
    db,
    limits: rateLimitOverrides,
    defaults: rateLimitDefaults,
    reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS,
    logger,
  });
  await rateLimits.start();
  shutdown.add('seller rate limits', () => rateLimits.stop());
  routes.push(
    sellerRateLimitRoutes({
      admin: createSellerRateLimitAdmin({ db, limits: rateLimitOverrides, defaults: rateLimitDefaults }),
      adminToken: config.ADMIN_TOKEN,
      reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS,
    }),
  );
  routes.push(
    orderRoutes({
      db,
      orders,
      publisher,
      businessQueue,
      admit,
      auth,
      rateLimits,
      phoneCountry: phoneCountryPolicy(config.PHONE_COUNTRY_CODES),
      owners: createOrderOwners(db, logger),
    }),
  );
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
  // A finished delay is recorded as such, so it stays finished whatever later happens to its failures.
  const finishing = repeatEvery(
    DELAY_FINISH_CHECK_MS,
    () => delays.markFinished(db),
    (err) => logger.warn({ err }, 'could not record finished delivery delays; tried again shortly'),
    { unref: true },
  );
  shutdown.add('delivery-delay finish check', () => finishing.stop());
  routes.push(delayRoutes({ db, delays, fanout, admit, auth, rateLimits, noticesPerDay: config.DELAY_NOTICES_PER_DAY }));
  routes.push(openApiRoutes());
  return { queues: () => queueOverview(topology, (queue) => depths.sample(queue) ?? retryDepths.sample(queue)) };
}
