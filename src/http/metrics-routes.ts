// GET /metrics in the Prometheus text format, for every role. Open unless METRICS_TOKEN is set:
// then a scraper sends it as a bearer token (compared in constant time), and anyone else gets 401.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../platform/metrics.js';
import { UnauthorizedError } from './http-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsRoutes(metrics: Pick<Metrics, 'registry'>, options: { token?: string | undefined } = {}) {
  const expected = options.token ? digest(options.token) : undefined;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/metrics', async (req, reply) => {
      if (expected) {
        const header = req.headers.authorization;
        const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        if (!token || !timingSafeEqual(digest(token), expected)) {
          throw new UnauthorizedError('Send Authorization: Bearer <METRICS_TOKEN>');
        }
      }
      const body = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(body);
    });
  };
}
