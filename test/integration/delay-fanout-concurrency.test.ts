// Fifteen sellers delay their harvest at once: the fan-outs share a bounded number of database
// connections, so the service keeps answering reads within a second meanwhile, and every buyer of
// every delay is still told exactly once.
import { expect, it } from 'vitest';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

// A small pool, as a busy deployment's would be: fifteen fan-outs holding a connection each would take it all.
const file = serviceForThisFile('delay-concurrency', { DATABASE_POOL_SIZE: '4' });

const SELLERS = 15;
const ORDERS_EACH = 150;

it('answers GETs within a second while 15 delays fan out, and tells each buyer once', async () => {
  const sellers = Array.from({ length: SELLERS }, () => `farm-${uniqueOrderId('c')}`);
  const orders = sellers.flatMap((sellerId) => Array.from({ length: ORDERS_EACH }, () => makeOrder({ sellerId, requestedDeliveryDate: '2026-12-01' })));
  for (let i = 0; i < orders.length; i += 750) {
    const res = await postJson(file.service.baseUrl, '/orders/batch', { orders: orders.slice(i, i + 750) });
    expect(res.body).toMatchObject({ rejected: 0, unavailable: 0 });
  }
  const ids = orders.map((o) => o.orderId);
  await waitFor(async () => (await file.ctx.db.selectFrom('orders').select('order_id').where('order_id', 'in', ids).execute()).length === ids.length, {
    what: 'every order stored',
    timeoutMs: 60_000,
  });

  const delays = await Promise.all(
    sellers.map((sellerId) =>
      postJson(file.service.baseUrl, '/delivery-delays', { sellerId, requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-04', reason: 'storm' }),
    ),
  );
  expect(delays.map((d) => d.status)).toEqual(Array(SELLERS).fill(202));
  const delayIds = delays.map((d) => d.body!.delayId as string);

  // Reads while the fan-outs run: an order and a delay's progress, in turn.
  const slowest = { ms: 0, path: '' };
  let done = false;
  const reader = (async () => {
    for (let i = 0; !done; i++) {
      const path = i % 2 === 0 ? `/orders/${ids[(i * 97) % ids.length]!}` : `/delivery-delays/${delayIds[i % SELLERS]!}`;
      const started = performance.now();
      const res = await getJson(file.service.baseUrl, path);
      const ms = performance.now() - started;
      expect(res.status).toBe(200);
      if (ms > slowest.ms) Object.assign(slowest, { ms, path });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await waitFor(
      async () => {
        const progress = await Promise.all(delayIds.map((id) => getJson(file.service.baseUrl, `/delivery-delays/${id}`)));
        return progress.every((p) => p.body?.notified === ORDERS_EACH);
      },
      { what: 'every buyer of every delay told', timeoutMs: 120_000, intervalMs: 500 },
    );
  } finally {
    done = true;
    await reader;
  }
  console.log(`slowest read during the fan-outs: ${Math.round(slowest.ms)} ms (${slowest.path})`);
  expect(slowest.ms, `slowest read ${slowest.path}`).toBeLessThan(1_000);

  const told = file.sandbox.messages().filter((m) => m.template === 'delivery-delayed');
  const perOrder = new Map<string, number>();
  for (const m of told) perOrder.set(String(m.params.orderId), (perOrder.get(String(m.params.orderId)) ?? 0) + 1);
  expect(ids.filter((id) => perOrder.get(id) !== 1)).toEqual([]);
});
