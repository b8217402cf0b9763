// Liveness says the process answers; readiness says it can do its work (broker and database reachable).
import type { FastifyInstance } from 'fastify';

export type HealthCheck = { name: string; check(): Promise<boolean> | boolean };

export function healthRoutes(checks: readonly HealthCheck[]) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/health/live', async () => ({ status: 'ok' }));
    app.get('/health/ready', async (_req, reply) => {
      const results = await Promise.all(
        checks.map(async (c) => {
          try {
            return [c.name, await c.check()] as const;
          } catch {
            return [c.name, false] as const;
          }
        }),
      );
      const ready = results.every(([, ok]) => ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
    });
  };
}
