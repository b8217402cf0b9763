// The broker side every role shares: the topology, the publishing connection (blocked-state
// metric, topology declared at start and after every reconnect, the shard layout checked once) and
// the confirming publisher, ready before anything takes requests.
import { topologyOf } from '../config.js';
import { createPublisher } from '../platform/amqp/publisher.js';
import { assertShardLayout } from '../platform/amqp/shard-layout.js';
import { declareTopology } from '../platform/amqp/topology.js';
import { openBrokerConnection, type Wiring } from './wiring.js';

export async function wireBroker(w: Wiring) {
  const { config, logger, shutdown, metrics, health } = w;
  const topology = topologyOf(config);
  const publishConnection = await openBrokerConnection(w, 'publish');
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
  const publisher = createPublisher({
    connection: publishConnection,
    exchange: topology.exchange,
    confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT_MS,
    logger,
    metrics,
  });
  shutdown.add('publisher channel', () => publisher.close());
  metrics.sources.publishesInFlight = () => publisher.inFlight();
  await publisher.ready();
  health.push({ name: 'broker', check: () => publishConnection.isConnected() && publisher.isReady() });
  return { topology, publishConnection, publisher };
}
