// Wiring of the operator console's read-only questions, which cross features: a replay's dry run
// judges messages with each actor's own checks and switches, and a switch preview counts orders and
// waiting messages. The features stay side by side; this file hands each what the other exports.
import type { Config } from '../config.js';
import { replayCheck, type ReplayCheck } from '../dead-letters/replay-check.js';
import type { DeliveryRepository } from '../notifications/delivery-repository.js';
import { createNotificationReplayForecast } from '../notifications/notification-replay-forecast.js';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import { createBusinessReplayForecast } from '../orders/business-replay-forecast.js';
import type { OrderRepository } from '../orders/order-repository.js';
import { inspectQueue, type ChannelSource } from '../platform/amqp/broker-probes.js';
import type { ActorName, Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import { createSwitchPreview } from '../switch-admin/switch-preview.js';

/** How long a preview waits for the broker to say a queue's depth (a blocked connection answers nothing). */
const DEPTH_TIMEOUT_MS = 2_000;

export function replayChecks(deps: {
  config: Pick<Config, 'MESSAGE_MAX_BYTES' | 'MAX_ATTEMPTS'>;
  db: Db;
  switches: Pick<Switches, 'takesNewPath'>;
  deliveries: Pick<DeliveryRepository, 'deliveredKeys'>;
  signer: Pick<NotificationSigner, 'verify'>;
  logger: Logger;
}): Record<ActorName, ReplayCheck> {
  const { db, switches, deliveries, logger } = deps;
  const limits = { maxMessageBytes: deps.config.MESSAGE_MAX_BYTES, maxAttempts: deps.config.MAX_ATTEMPTS };
  return {
    business: replayCheck(createBusinessReplayForecast({ db, switches, deliveries }), limits, logger),
    notification: replayCheck(createNotificationReplayForecast({ db, switches, deliveries, signer: deps.signer }), limits, logger),
  };
}

/** Ready messages in `queue`, asked on a throwaway channel (a passive declare takes nothing off it); null when unknown. */
async function depthOf(broker: ChannelSource, queue: string): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), DEPTH_TIMEOUT_MS)));
  try {
    const found = await Promise.race([inspectQueue(broker, queue).catch(() => undefined), timeout]);
    return found?.messages ?? null;
  } finally {
    clearTimeout(timer);
  }
}

export function switchPreview(deps: {
  db: Db;
  switches: Pick<Switches, 'get'>;
  definitions: readonly SwitchDefinition[];
  orders: Pick<OrderRepository, 'recentOrderIds' | 'unnotifiedOrderIds'>;
  topology: Pick<Topology, 'actors'>;
  broker: ChannelSource;
}) {
  const { db, orders } = deps;
  return createSwitchPreview({
    switches: deps.switches,
    definitions: deps.definitions,
    recentOrderIds: (limit) => orders.recentOrderIds(db, limit),
    // The notification queue holds the confirmations of stored orders not yet notified: their ids
    // are known without touching the queue. The business queue's orders are not stored yet.
    waitingOrderIds: { notification: { basis: 'unnotified-orders', ids: (limit) => orders.unnotifiedOrderIds(db, limit) } },
    queueDepths: (actor) =>
      Promise.all(deps.topology.actors[actor].shards.map(async (s) => ({ queue: s.queue, messages: await depthOf(deps.broker, s.queue) }))),
  });
}
