// Liveness says the process answers; readiness says it can do its work (broker and database reachable).
// Readiness is worked out at most once a second and shared by every caller in that second: anyone
// who can reach the port must not be able to turn it into a stream of database queries.
import type { FastifyInstance } from 'fastify';

export type HealthCheck = { name: string; check(): Promise<boolean> | boolean };

type Readiness = { ready: boolean; checks: Record<string, boolean> };

const READINESS_MAX_AGE_MS = 1_000;

export function healthRoutes(
  checks: readonly HealthCheck[],
  options: {
    /** Facts to show beside the checks, such as the broker node each connection uses. */
    details?: () => Record<string, unknown>;
    now?: () => number;
  } = {},
) {
  const now = options.now ?? (() => performance.now());
  let last: { at: number; result: Promise<Readiness> } | undefined;

  async function readiness(): Promise<Readiness> {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          return [c.name, await c.check()] as const;
        } catch {
          return [c.name, false] as const;
        }
      }),
    );
    return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.get('/health/live', async () => ({ status: 'ok' }));
    app.get('/health/ready', async (_req, reply) => {
      if (!last || now() - last.at >= READINESS_MAX_AGE_MS) last = { at: now(), result: readiness() };
      const { ready, checks: byName } = await last.result;
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: byName, ...options.details?.() });
    });
  };
}
