// A shop past its requests per minute gets 429 with Retry-After, other shops do not notice, delays
// count apart from orders, and an operator's override (REST or CLI) reaches the running service and
// is audited. Low limits and a fast reload keep the file quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSellerKeys } from '../../src/sellers/seller-keys.js';
import { runCli } from '../support/cli.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const ADMIN_TOKEN = 'operator-token-0123456789';
const ORDERS_PER_MINUTE = 3;
const DELAYS_PER_MINUTE = 2;

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
const keys = new Map<string, string>();

beforeAll(async () => {
  ctx = await createTestContext('shop-rate-limit', {
    SELLER_AUTH: 'required',
    ADMIN_TOKEN,
    SHOP_ORDERS_PER_MINUTE: String(ORDERS_PER_MINUTE),
    SHOP_DELAYS_PER_MINUTE: String(DELAYS_PER_MINUTE),
    SELLER_RATE_LIMIT_RELOAD_MS: '200',
  });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  const sellerKeys = createSellerKeys({ db: ctx.db });
  // One seller per test: every limit counts for a whole minute.
  for (const seller of ['farm-a', 'farm-b', 'farm-c', 'farm-d', 'farm-e', 'farm-f']) keys.set(seller, (await sellerKeys.create(seller)).apiKey);
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const as = (seller: string) => ({ authorization: `Bearer ${keys.get(seller)!}` });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-operator': 'ops-kim' };
const submit = (seller: string) => postJson(service.baseUrl, '/orders', makeOrder({ sellerId: seller }), as(seller));
const delay = (seller: string) =>
  postJson(
    service.baseUrl,
    '/delivery-delays',
    { sellerId: seller, requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-03', reason: 'rain' },
    as(seller),
  );

async function adminCall(method: 'PUT' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${service.baseUrl}${path}`, {
    method,
    headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The limit the service applies to the seller now, as the rate-limit header of its next answer says. */
async function appliedLimit(seller: string): Promise<string | null> {
  return (await submit(seller)).headers.get('x-ratelimit-limit');
}

describe('the per-seller limit on orders', () => {
  it('past the limit, a shop gets 429 rate_limited with Retry-After, and the refused order is not queued', async () => {
    for (let i = 0; i < ORDERS_PER_MINUTE; i++) {
      const res = await submit('farm-a');
      expect(res.status).toBe(202);
      expect(res.headers.get('x-ratelimit-limit')).toBe(String(ORDERS_PER_MINUTE));
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(ORDERS_PER_MINUTE - i - 1));
    }
    const refusedOrder = makeOrder({ sellerId: 'farm-a' });
    const refused = await postJson(service.baseUrl, '/orders', refusedOrder, as('farm-a'));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({ error: 'rate_limited', message: expect.stringContaining(`${ORDERS_PER_MINUTE} order requests`) as string });
    expect(refused.body?.message).toContain('per minute');
    expect(refused.body?.message).toContain(`retry after ${retryAfter} s`);

    // The batch route shares the counter: the seller is over it there too.
    const batch = await postJson(service.baseUrl, '/orders/batch', { orders: [makeOrder({ sellerId: 'farm-a' })] }, as('farm-a'));
    expect(batch.status).toBe(429);
    // Counted before the body is read: an over-limit shop cannot make the server parse anything.
    const broken = await fetch(`${service.baseUrl}/orders`, {
      method: 'POST',
      headers: { ...as('farm-a'), 'content-type': 'application/json' },
      body: '{"orderId": ',
    });
    expect(broken.status).toBe(429);
    // Reads are not limited.
    expect((await getJson(service.baseUrl, `/orders/${refusedOrder.orderId}`, as('farm-a'))).status).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    expect((await getJson(service.baseUrl, `/orders/${refusedOrder.orderId}`, as('farm-a'))).status).toBe(404);
  });

  it('the key is checked first: without a valid key the answer stays 401, never 429', async () => {
    const order = makeOrder({ sellerId: 'farm-a' });
    expect((await postJson(service.baseUrl, '/orders', order)).status).toBe(401);
    expect((await postJson(service.baseUrl, '/orders', order, { authorization: 'Bearer oak_000000000000_' + 'x'.repeat(43) })).status).toBe(401);
  });

  it('another shop is not affected by one shop being over its limit', async () => {
    expect((await submit('farm-a')).status).toBe(429);
    const res = await submit('farm-b');
    expect(res.status).toBe(202);
    expect(res.headers.get('x-ratelimit-remaining')).toBe(String(ORDERS_PER_MINUTE - 1));
  });

  it('a batch counts as one request, on the same counter as single orders', async () => {
    const batchOf = (n: number) => ({ orders: Array.from({ length: n }, () => makeOrder({ sellerId: 'farm-f' })) });
    expect((await submit('farm-f')).status).toBe(202);
    const big = await postJson(service.baseUrl, '/orders/batch', batchOf(5), as('farm-f'));
    expect(big.status).toBe(200);
    expect(big.body).toMatchObject({ accepted: 5 });
    expect((await postJson(service.baseUrl, '/orders/batch', batchOf(2), as('farm-f'))).status).toBe(200);
    const over = await postJson(service.baseUrl, '/orders/batch', batchOf(2), as('farm-f'));
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: 'rate_limited' });
  });
});

describe('the per-seller limit on delivery delays', () => {
  it('counts apart from orders: a shop over its orders limit can still send delays, up to their own limit', async () => {
    for (let i = 0; i <= ORDERS_PER_MINUTE; i++) await submit('farm-d');
    expect((await submit('farm-d')).status).toBe(429);
    for (let i = 0; i < DELAYS_PER_MINUTE; i++) expect((await delay('farm-d')).status).toBe(202);
    const refused = await delay('farm-d');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ error: 'rate_limited' });
    expect(refused.body?.message).toContain(`${DELAYS_PER_MINUTE} delivery-delay requests`);
    // And a shop over its delays limit can still submit orders.
    expect((await delay('farm-e')).status).toBe(202);
    expect((await delay('farm-e')).status).toBe(202);
    expect((await delay('farm-e')).status).toBe(429);
    expect((await submit('farm-e')).status).toBe(202);
  });
});

describe("an operator's override", () => {
  it("raises and lowers one seller's limit in the running service, DELETE restores the default, and each change is audited", async () => {
    const path = '/admin/sellers/farm-c/rate-limit';
    for (let i = 0; i < ORDERS_PER_MINUTE; i++) expect((await submit('farm-c')).status).toBe(202);
    expect((await submit('farm-c')).status).toBe(429);

    const raised = await adminCall('PUT', path, { ordersPerMinute: 100, reason: 'harvest sale' });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({
      sellerId: 'farm-c',
      limits: { ordersPerMinute: 100, delaysPerMinute: DELAYS_PER_MINUTE },
      override: { ordersPerMinute: 100, delaysPerMinute: null, reason: 'harvest sale' },
    });
    await waitFor(async () => (await appliedLimit('farm-c')) === '100', { what: 'the raised limit in the service' });
    expect((await submit('farm-c')).status).toBe(202);
    // Other sellers keep the default.
    expect((await submit('farm-b')).headers.get('x-ratelimit-limit')).toBe(String(ORDERS_PER_MINUTE));

    const lowered = await adminCall('PUT', path, { ordersPerMinute: 1, reason: 'abuse suspected' });
    expect(lowered.status).toBe(200);
    await waitFor(async () => (await appliedLimit('farm-c')) === '1', { what: 'the lowered limit in the service' });
    expect((await submit('farm-c')).status).toBe(429);

    const cleared = await adminCall('DELETE', `${path}?reason=resolved`);
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ limits: { ordersPerMinute: ORDERS_PER_MINUTE }, override: null });
    await waitFor(async () => (await appliedLimit('farm-c')) === String(ORDERS_PER_MINUTE), { what: 'the default limit again' });
    expect((await adminCall('DELETE', path)).status).toBe(404);

    const audit = await ctx.db.selectFrom('seller_rate_limit_changes').selectAll().where('seller_id', '=', 'farm-c').orderBy('id').execute();
    expect(audit.map((r) => [r.action, r.old_orders_per_minute, r.new_orders_per_minute, r.reason, r.source])).toEqual([
      ['set', null, 100, 'harvest sale', 'rest'],
      ['set', 100, 1, 'abuse suspected', 'rest'],
      ['clear', 1, null, 'resolved', 'rest'],
    ]);
    expect(audit.every((r) => r.actor.startsWith('ops-kim (token '))).toBe(true);
    const view = await getJson(service.baseUrl, path, admin);
    expect(view.body).toMatchObject({ override: null, changes: [{ action: 'clear' }, { action: 'set' }, { action: 'set' }] });
  });

  it('0 lifts the limit for that seller', async () => {
    for (let i = 0; i <= ORDERS_PER_MINUTE; i++) await submit('farm-b');
    expect((await submit('farm-b')).status).toBe(429);
    expect((await adminCall('PUT', '/admin/sellers/farm-b/rate-limit', { ordersPerMinute: 0, reason: 'trusted integration' })).status).toBe(200);
    await waitFor(async () => (await submit('farm-b')).status === 202, { what: 'the lifted limit' });
    const res = await submit('farm-b');
    expect(res.status).toBe(202);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('set from the CLI, in its own process, reaches the running service and is audited as cli', async () => {
    // The CLI reads the defaults from its own environment, as the service does.
    const limitsEnv = { SHOP_ORDERS_PER_MINUTE: String(ORDERS_PER_MINUTE), SHOP_DELAYS_PER_MINUTE: String(DELAYS_PER_MINUTE) };
    const set = await runCli(
      ctx.config,
      ['sellers', 'set-rate-limit', 'farm-e', '--delays', '50', '--reason', 'market day', '--as', 'night-operator', '--json'],
      limitsEnv,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ sellerId: 'farm-e', limits: { delaysPerMinute: 50, ordersPerMinute: ORDERS_PER_MINUTE } });
    await waitFor(async () => (await delay('farm-e')).status === 202, { what: 'the raised delay limit' });
    const show = await runCli(ctx.config, ['sellers', 'show-rate-limit', 'farm-e'], limitsEnv);
    expect(show.stdout).toContain('delays: 50/min per intake process (override');
    expect(show.stdout).toContain('night-operator');
    const [row] = await ctx.db.selectFrom('seller_rate_limit_changes').selectAll().where('seller_id', '=', 'farm-e').execute();
    expect(row).toMatchObject({
      action: 'set',
      new_delays_per_minute: 50,
      new_orders_per_minute: null,
      reason: 'market day',
      actor: 'night-operator',
      source: 'cli',
    });
    const bad = await runCli(ctx.config, ['sellers', 'set-rate-limit', 'farm-e', '--orders', 'lots', '--reason', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--orders takes a whole number');
  });

  it('refuses what it cannot apply, and is for operators only', async () => {
    const path = '/admin/sellers/farm-a/rate-limit';
    expect((await adminCall('PUT', path, { ordersPerMinute: 10 })).status).toBe(400);
    const nothing = await adminCall('PUT', path, { reason: 'nothing to set' });
    expect(nothing.status).toBe(400);
    expect(nothing.body).toMatchObject({ error: 'validation_failed' });
    expect((await adminCall('PUT', path, { ordersPerMinute: -1, reason: 'x' })).status).toBe(400);
    expect((await adminCall('PUT', path, { ordersPerMinute: 10, reason: 'x', extra: true })).status).toBe(400);
    const asShop = await fetch(`${service.baseUrl}${path}`, {
      method: 'PUT',
      headers: { ...as('farm-a'), 'content-type': 'application/json' },
      body: JSON.stringify({ ordersPerMinute: 1000, reason: 'me' }),
    });
    expect(asShop.status).toBe(403);
    expect((await getJson(service.baseUrl, path)).status).toBe(401);
    const fresh = await getJson(service.baseUrl, '/admin/sellers/farm-unknown/rate-limit', admin);
    expect(fresh.body).toMatchObject({ limits: { ordersPerMinute: ORDERS_PER_MINUTE, delaysPerMinute: DELAYS_PER_MINUTE }, override: null, changes: [] });
  });
});

describe('the OpenAPI document', () => {
  it('names the 429 on every limited route', async () => {
    const doc = (await getJson(service.baseUrl, '/docs/json')).body as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    };
    for (const path of ['/orders', '/orders/batch', '/delivery-delays']) expect(doc.paths[path]?.post?.responses['429']?.description).toContain('rate_limited');
  });
});
