// Shops authenticate with API keys and see only their own orders; admin routes are for operators.
// An order id another shop uses is refused, so no shop can write into another's order or journal.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { createSellerKeys } from '../../src/sellers/seller-keys.js';
import { openBroker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let keyA: string;
let keyB: string;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  ctx = await createTestContext('seller-access', {
    SELLER_AUTH: 'required',
    SELLER_KEY_CACHE_TTL_MS: '200',
    ADMIN_TOKEN: 'operator-token-0123456789',
    DEAD_LETTER_BATCH_INTERVAL_MS: '200',
  });
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
    const big = {
      orders: Array.from({ length: 1_000 }, () => makeOrder({ sellerId: 'farm-a', buyer: { id: 'b', name: 'x'.repeat(100), phone: '+821012345678' } })),
    };
    const res = await fetch(`${service.baseUrl}/orders/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(big) });
    expect(res.status).toBe(401);
    const broken = await fetch(`${service.baseUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"orderId": ' });
    expect(broken.status).toBe(401);
    const delay = await fetch(`${service.baseUrl}/delivery-delays`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(3 * 1024 * 1024),
    });
    expect(delay.status).toBe(401);
  });

  it("a key submits and reads its own seller's orders only", async () => {
    const order = makeOrder({ sellerId: 'farm-a' });
    expect((await postJson(service.baseUrl, '/orders', order, bearer(keyA))).status).toBe(202);
    await waitFor(async () => (await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyA))).body?.status === 'notified');
    // Another seller's key cannot see it: 404, not 403, so order ids do not leak.
    expect((await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyB))).status).toBe(404);
    expect((await getJson(service.baseUrl, `/orders/${order.orderId}/trace`, bearer(keyB))).status).toBe(404);
  });

  it("a key cannot submit for another seller (403) nor delay another seller's deliveries", async () => {
    const res = await postJson(service.baseUrl, '/orders', makeOrder({ sellerId: 'farm-b' }), bearer(keyA));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'forbidden' });
    const delay = await postJson(
      service.baseUrl,
      '/delivery-delays',
      { sellerId: 'farm-b', requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-02', reason: 'rain' },
      bearer(keyA),
    );
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
    await waitFor(async () => (await postJson(service.baseUrl, '/orders', makeOrder({ sellerId: 'farm-a' }), bearer(apiKey))).status === 401, {
      what: 'the revoked key to be refused',
      timeoutMs: 5_000,
    });
    const stored = await ctx.db.selectFrom('seller_api_keys').select(['secret_hash']).where('key_id', '=', keyId).executeTakeFirstOrThrow();
    expect(apiKey).not.toContain(stored.secret_hash);
  });
});

describe('an order id another shop already uses', () => {
  const journalOf = (orderId: string) => ctx.db.selectFrom('order_journal').select(['event', 'detail']).where('order_id', '=', orderId).orderBy('at').execute();

  async function storedForA() {
    const order = makeOrder({ sellerId: 'farm-a' });
    expect((await postJson(service.baseUrl, '/orders', order, bearer(keyA))).status).toBe(202);
    await waitFor(async () => (await getJson(service.baseUrl, `/orders/${order.orderId}`, bearer(keyA))).body?.status === 'notified');
    return { order, before: await journalOf(order.orderId) };
  }

  it("is refused with 409 order_id_taken that says nothing of the other order; shop A's order and journal stay as they were", async () => {
    const { order, before } = await storedForA();
    const theirs = makeOrder({ orderId: order.orderId, sellerId: 'farm-b' });
    const res = await postJson(service.baseUrl, '/orders', theirs, bearer(keyB));
    expect(res.status).toBe(409);
    expect(Object.keys(res.body ?? {}).sort()).toEqual(['error', 'message']);
    expect(res.body).toMatchObject({ error: 'order_id_taken' });
    expect(String(res.body?.message)).toContain(order.orderId);
    expect(JSON.stringify(res.body)).not.toContain('farm-a');
    // Resubmitting one's own order is still the idempotent 202.
    expect((await postJson(service.baseUrl, '/orders', order, bearer(keyA))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect(await journalOf(order.orderId)).toEqual(before);
    const row = await ctx.db.selectFrom('orders').select(['seller_id', 'payload_hash']).where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    expect(row.seller_id).toBe('farm-a');
    expect(await ctx.db.selectFrom('failed_messages').select('id').where('order_id', '=', order.orderId).execute()).toHaveLength(0);
  });

  it('in a batch, refuses just that element', async () => {
    const { order } = await storedForA();
    const fresh = makeOrder({ sellerId: 'farm-b' });
    const res = await postJson(service.baseUrl, '/orders/batch', { orders: [fresh, makeOrder({ orderId: order.orderId, sellerId: 'farm-b' })] }, bearer(keyB));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 0, orderId: fresh.orderId, status: 'accepted' },
        { index: 1, orderId: order.orderId, status: 'rejected', issues: [{ path: 'orderId' }] },
      ],
    });
    expect(JSON.stringify(res.body)).toContain('already in use');
  });

  it("when both shops' first submissions race past intake, the later one is dead-lettered as order_id_taken and the first one's journal is untouched", async () => {
    const { order, before } = await storedForA();
    // What intake would have let through had it checked a moment before shop A's order was stored.
    const broker = await openBroker(ctx);
    try {
      const theirs = makeOrder({ orderId: order.orderId, sellerId: 'farm-b' });
      await broker.publish(`${ctx.config.QUEUE_PREFIX}.business`, JSON.stringify(orderSubmitted(theirs)), {
        contentType: 'application/json',
        messageId: `race-${theirs.orderId}`,
      });
    } finally {
      await broker.close();
    }
    const letter = await waitFor(
      async () =>
        ctx.db.selectFrom('failed_messages').select(['error_code', 'error_message']).where('message_id', '=', `race-${order.orderId}`).executeTakeFirst(),
      {
        what: 'the dead letter of the later submission',
      },
    );
    expect(letter.error_code).toBe('order_id_taken');
    expect(await journalOf(order.orderId)).toEqual(before);
    expect(sandbox.messages().filter((m) => m.idempotencyKey === `order-confirmed:${order.orderId}`)).toHaveLength(1);
  });
});
