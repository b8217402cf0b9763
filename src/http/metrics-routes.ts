// GET /metrics in the Prometheus text format, for every role.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../platform/metrics.js';

export function metricsRoutes(metrics: Metrics) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (_req, reply) => {
      const body = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(body);
    });
  };
}
