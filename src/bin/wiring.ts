// What every wiring step of the composition root shares: the process's configuration, logger,
// shutdown and metrics, and the lists the steps add to (routes for the HTTP app, readiness checks,
// the broker connections whose nodes readiness and the metrics name).
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { HealthCheck } from '../http/health-routes.js';
import { createAmqpConnection, type AmqpConnection } from '../platform/amqp/connection.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Shutdown } from '../platform/shutdown.js';

export type Wiring = {
  config: Config;
  logger: Logger;
  shutdown: Shutdown;
  metrics: Metrics;
  routes: FastifyPluginAsync[];
  health: HealthCheck[];
  brokerConnections: AmqpConnection[];
};

/**
 * Opens one of the process's broker connections, named by its role and `purpose` (publish,
 * consume, monitor), closed at shutdown and listed for readiness and the metrics.
 */
export async function openBrokerConnection(w: Wiring, purpose: string): Promise<AmqpConnection> {
  const { config } = w;
  const connection = await createAmqpConnection({
    url: config.AMQP_URL,
    name: `order-actors-${config.ROLE}-${purpose}`,
    heartbeatS: config.AMQP_HEARTBEAT_S,
    maxHeaderBytes: config.MESSAGE_MAX_HEADER_BYTES,
    logger: w.logger,
  });
  w.shutdown.add(`${purpose} connection`, () => connection.close());
  w.brokerConnections.push(connection);
  return connection;
}
