// /metrics is open by default and wants METRICS_TOKEN once one is set.
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsRoutes } from '../../src/http/metrics-routes.js';

async function app(token?: string) {
  const a = Fastify();
  await a.register(metricsRoutes({ registry: new Registry() }, { token }));
  return a;
}

describe('GET /metrics', () => {
  it('answers anyone when no token is set', async () => {
    const a = await app();
    expect((await a.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await a.close();
  });

  it('answers 401 without the token, or with a wrong one, and 200 with it', async () => {
    const a = await app('scrape-token-0123456789');
    expect((await a.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await a.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    const ok = await a.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(ok.statusCode).toBe(200);
    await a.close();
  });
});
