// Readiness is worked out at most once a second, however many callers ask.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { healthRoutes } from '../../src/http/health-routes.js';

describe('GET /health/ready', () => {
  it('runs its checks at most once a second, and answers every caller with that result', async () => {
    let clock = 0;
    let queries = 0;
    let databaseUp = true;
    const app = Fastify();
    await app.register(healthRoutes([{ name: 'database', check: async () => (queries++, databaseUp) }], { now: () => clock }));
    const ask = () => app.inject({ method: 'GET', url: '/health/ready' });

    const answers = await Promise.all(Array.from({ length: 50 }, ask));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(queries).toBe(1);

    databaseUp = false;
    clock = 999;
    expect((await ask()).statusCode).toBe(200);
    clock = 1_000;
    const down = await ask();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not_ready', checks: { database: false } });
    expect(queries).toBe(2);
    await app.close();
  });
});
