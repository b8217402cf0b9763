// Shops authenticate with API keys and see only their own orders; admin routes are for operators.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSellerKeys } from '../../src/sellers/seller-keys.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { makeOrder } from '../support/orders.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let keyA: string;
let keyB: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  ctx = await createTestContext('seller-access', { SELLER_AUTH: 'required', SELLER_KEY_CACHE_TTL_MS: '200', ADMIN_TOKEN: 'operator-token-0123456789' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  // The operator's way: the CLI, in its own process.
  const env = { ...process.env, DATABASE_URL: ctx.config.DATABASE_URL, DATABASE_SCHEMA: ctx.config.DATABASE_SCHEMA };
  const { stdout } = await run('node', ['--import', 'tsx', 'src/bin/order-actors.ts', 'sellers', 'create-key', 'farm-a', '--json'], { env });
  keyA = (JSON.parse(stdout) as { apiKey: string }).apiKey;
  keyB = (await createSellerKeys({ db: ctx.db }).create('farm-b')).apiKey;
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

describe('seller API keys', () => {
  it('without a key, or with a wrong one, intake answers 401 and publishes nothing', async () => {
    const order = makeOrder({ sellerId: 'farm-a' });
    expect((await postJson(service.baseUrl, '/orders', order)).status).toBe(401);
    expect((await postJson(service.baseUrl, '/orders', order, bearer('oak_000000000000_' + 'x'.repeat(43)))).status).toBe(401);
    expect((await postJson(service.baseUrl, '/orders', order, bearer(keyA.slice(0, -1) + (keyA.endsWith('a') ? 'b' : 'a')))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyA))).status).toBe(404);
  });

  it('without a key the answer is 401 before the body is read, however large or broken the body', async () => {
    const big = { orders: Array.from({ length: 1_000 }, () => makeOrder({ sellerId: 'farm-a', buyer: { id: 'b', name: 'x'.repeat(100), phone: '+821012345678' } })) };
    const res = await fetch(`${service.baseUrl}/orders/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(big) });
    expect(res.status).toBe(401);
    const broken = await fetch(`${service.baseUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId": ' });
    expect(broken.status).toBe(401);
    const delay = await fetch(`${service.baseUrl}/delivery-delays`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(3 * 1024 * 1024) });
    expect(delay.status).toBe(401);
  });

  it('a key submits and reads its own seller\'s orders only', async () => {
    const order = makeOrder({ sellerId: 'farm-a' });
    expect((await postJson(service.baseUrl, '/orders', order, bearer(keyA))).status).toBe(202);
    await waitFor(async () => (await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyA))).body?.status === 'notified');
    // Another seller's key cannot see it: 404, not 403, so order ids do not leak.
    expect((await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyB))).status).toBe(404);
    expect((await getJson(service.baseUrl, `/orders/${order.orderId}/trace`, bearer(keyB))).status).toBe(404);
  });

  it('a key cannot submit for another seller (403) nor delay another seller\'s deliveries', async () => {
    const res = await postJson(service.baseUrl, '/orders', makeOrder({ sellerId: 'farm-b' }), bearer(keyA));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden' });
    const delay = await postJson(service.baseUrl, '/delivery-delays', { sellerId: 'farm-b', requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-02', reason: 'rain' }, bearer(keyA));
    expect(delay.status).toBe(403);
  });

  it('a seller key on an admin route → 403; the admin token → allowed', async () => {
    expect((await getJson(service.baseUrl, '/admin/switches', bearer(keyA))).status).toBe(403);
    expect((await getJson(service.baseUrl, '/admin/switches', bearer('operator-token-0123456789'))).status).toBe(200);
  });

  it('a revoked key stops working', async () => {
    const keys = createSellerKeys({ db: ctx.db });
    const { keyId, apiKey } = await keys.create('farm-a');
    expect((await postJson(service.baseUrl, '/orders', makeOrder({ sellerId: 'farm-a' }), bearer(apiKey))).status).toBe(202);
    expect(await keys.revoke(keyId)).toBe(true);
    await waitFor(async () => (await postJson(service.baseUrl, '/orders', makeOrder({ sellerId: 'farm-a' }), bearer(apiKey))).status === 401, { what: 'the revoked key to be refused', timeoutMs: 5_000 });
    const stored = await ctx.db.selectFrom('seller_api_keys').select(['secret_hash']).where('key_id', '=', keyId).executeTakeFirstOrThrow();
    expect(apiKey).not.toContain(stored.secret_hash);
  });
});
