// The actors: one consuming connection (apart from publishing, so a broker alarm blocking
// publishers never stops the queues from draining), the business actor (orders submitted, delays
// applied) and the notification actor (the messaging API), each pausable by its switch.
import { createDelayHandler } from '../delivery-delays/delay-handler.js';
import type { DelayRepository } from '../delivery-delays/delay-repository.js';
import { createDeliveryRepository } from '../notifications/delivery-repository.js';
import { createMessagingClient } from '../notifications/messaging-client.js';
import { createNotificationActor } from '../notifications/notification-actor.js';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import { NOTIFICATION_PAUSED_SWITCH } from '../notifications/notification-switches.js';
import { createBusinessActor } from '../orders/business-actor.js';
import { journalInsert, type OrderRepository } from '../orders/order-repository.js';
import { BUSINESS_PAUSED_SWITCH } from '../orders/order-switches.js';
import { createSubmissionHandler } from '../orders/submission-handler.js';
import { startActor, type ActorRuntimeOptions, type RunningActor } from '../platform/amqp/actor-runtime.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import { actorMetricHooks } from '../platform/metrics.js';
import type { PathOutcomes } from '../platform/runtime-switches/path-outcomes.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import { openBrokerConnection, type Wiring } from './wiring.js';

export async function wireActors(
  w: Wiring,
  deps: {
    db: Db;
    topology: Topology;
    publisher: Publisher;
    switches: Switches;
    pathOutcomes: PathOutcomes;
    orders: OrderRepository;
    delays: DelayRepository;
    signer: NotificationSigner;
    /** Which actors to run. */
    business: boolean;
    notification: boolean;
    notifyApiUrl: string | undefined;
  },
): Promise<RunningActor[]> {
  const { config, logger, shutdown, metrics, health } = w;
  const { db, topology, publisher, switches, pathOutcomes, orders, delays, signer } = deps;
  const actors: RunningActor[] = [];
  const consumeConnection = await openBrokerConnection(w, 'consume');
  health.push({ name: 'consumer', check: () => consumeConnection.isConnected() });
  const runtime = (prefetch: number): ActorRuntimeOptions => ({
    prefetch,
    batchSize: config.ACTOR_BATCH_SIZE,
    concurrentBatches: config.ACTOR_CONCURRENT_BATCHES,
    maxAttempts: config.MAX_ATTEMPTS,
    maxMessageBytes: config.MESSAGE_MAX_BYTES,
    ...(config.CONSUME_SHARDS ? { shards: config.CONSUME_SHARDS } : {}),
  });
  const runtimeDeps = { connection: consumeConnection, publisher, topology, logger, hooks: actorMetricHooks(metrics) };

  if (deps.business) {
    const notificationQueue = topology.actors.notification.work;
    const actor = createBusinessActor({
      queues: topology.actors.business,
      handleSubmitted: createSubmissionHandler({ db, orders, switches, pathOutcomes, notificationQueue, signer }),
      handleDelayed: createDelayHandler({ db, delays, notificationQueue, signer }),
    });
    actors.push(startActor({ ...runtimeDeps, options: runtime(config.BUSINESS_PREFETCH), pause: switches.pauseControl(BUSINESS_PAUSED_SWITCH) }, actor));
  }
  if (deps.notification) {
    if (!deps.notifyApiUrl) throw new Error('Set NOTIFY_API_URL to the messaging API for ROLE=notification (only ROLE=all falls back to the built-in sandbox)');
    const messaging = createMessagingClient({ baseUrl: deps.notifyApiUrl, timeoutMs: config.NOTIFY_TIMEOUT_MS, connections: config.NOTIFY_CONNECTIONS });
    shutdown.add('messaging client', () => messaging.close());
    const actor = createNotificationActor({
      db,
      deliveries: createDeliveryRepository({ journalInsert }),
      messaging,
      switches,
      pathOutcomes,
      signer,
      queues: topology.actors.notification,
    });
    actors.push(
      startActor({ ...runtimeDeps, options: runtime(config.NOTIFICATION_PREFETCH), pause: switches.pauseControl(NOTIFICATION_PAUSED_SWITCH) }, actor),
    );
  }
  // Consumers stop before their channels' connection closes; in-flight messages finish first.
  shutdown.add('actors', () => Promise.all(actors.map((a) => a.stop())));
  return actors;
}
