// A test file's own migrated schema, declared topology and confirming publisher, for tests that
// drive one piece (a fan-out, a publisher) against the real broker without starting the service.
import type { NotificationSigner } from '../../src/notifications/notification-signature.js';
import { createAmqpConnection, type AmqpConnection } from '../../src/platform/amqp/connection.js';
import { createPublisher, type Publisher } from '../../src/platform/amqp/publisher.js';
import { declareTopology, describeTopology, type Topology } from '../../src/platform/amqp/topology.js';
import { migrateToLatest } from '../../src/platform/migrate.js';
import { serviceSigner } from './notices.js';
import { createTestContext, type TestContext } from './test-context.js';

export type BrokerBed = {
  ctx: TestContext;
  topology: Topology;
  connection: AmqpConnection;
  publisher: Publisher;
  signer: NotificationSigner;
  close(): Promise<void>;
};

export async function startBrokerBed(label: string): Promise<BrokerBed> {
  const ctx = await createTestContext(label);
  const { config, logger } = ctx;
  await migrateToLatest(ctx.db, config.DATABASE_SCHEMA);
  const topology = describeTopology({ prefix: config.QUEUE_PREFIX, retryDelaysMs: config.RETRY_DELAYS_MS, deliveryLimit: config.QUEUE_DELIVERY_LIMIT });
  const connection = await createAmqpConnection({ url: config.AMQP_URL, name: `test-${label}`, heartbeatS: 5, logger });
  await declareTopology(connection.model, topology);
  const publisher = createPublisher({ connection, exchange: topology.exchange, confirmTimeoutMs: 5_000, logger });
  await publisher.ready();
  const signer = await serviceSigner(ctx.db);
  return {
    ctx,
    topology,
    connection,
    publisher,
    signer,
    async close() {
      await publisher.close();
      await connection.close();
      await ctx.cleanup();
    },
  };
}
