// Applying delay messages straight against PostgreSQL, for what the whole service cannot arrange
// on demand: several delays of one order in one batch, a forged pair and a duplicate side by side.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDelayStore } from '../../src/bin/delay-store.js';
import { migrateToLatest } from '../../src/platform/migrate.js';
import { storeOrders } from '../support/stored-orders.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

/** The trace the test's delays are requested under. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
let ctx: TestContext;
const delays = createDelayStore();

beforeAll(async () => {
  ctx = await createTestContext('delay-repository');
  await migrateToLatest(ctx.db, ctx.config.DATABASE_SCHEMA);
});

afterAll(async () => {
  await ctx?.cleanup();
});

it('moves each date once per delay, journals each applied pair once, ignores forged pairs (even malformed text), and lets the newer delay win within a batch', async () => {
  const [first, second] = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-o`, count: 2 });
  const sellerId = (await ctx.db.selectFrom('orders').select('seller_id').where('order_id', '=', first!).executeTakeFirstOrThrow()).seller_id;
  const rain = { sellerId, orderIds: [first!, second!], newDeliveryDate: '2026-12-03', reason: 'heavy rain' };
  const storm = { sellerId, orderIds: [first!], newDeliveryDate: '2026-12-05', reason: 'storm' };
  await delays.create(ctx.db, 'dly_rain', rain, TRACE_ID);
  await delays.create(ctx.db, 'dly_storm', storm, TRACE_ID);

  const item = (delayId: string, orderId: string, _claimedDate?: string) => ({ delayId, orderId });
  const batch = [
    item('dly_storm', first!, '2026-12-05'),
    item('dly_rain', first!, '2026-12-03'),
    item('dly_rain', second!, '2026-12-03'),
    item('dly_rain', second!, '2099-01-01'),
    item('dly_forged', second!, '2027-01-01'),
    // A lone UTF-16 surrogate (JSON can carry one) must not fail the batch's statement.
    item('dly_\ud800forged', second!, '2027-01-01'),
  ];
  const pairs = await delays.applyDelays(ctx.db, batch);

  expect([...pairs.keys()].sort()).toEqual([`dly_rain:${first}`, `dly_rain:${second}`, `dly_storm:${first}`].sort());
  // What the buyer is told comes from the stored delay, not from what a message claims.
  expect(pairs.get(`dly_rain:${second}`)).toMatchObject({ newDeliveryDate: '2026-12-03', reason: 'heavy rain' });
  expect(pairs.get(`dly_rain:${second}`)?.contact).toEqual({ phone: expect.stringMatching(/^\+8210/) as unknown, name: 'Kim Minji' });
  const dates = async () =>
    Object.fromEntries((await ctx.db.selectFrom('orders').select(['order_id', 'delivery_date']).execute()).map((r) => [r.order_id, r.delivery_date]));
  expect(await dates()).toEqual({ [first!]: '2026-12-05', [second!]: '2026-12-03' });
  const journal = async () =>
    (await ctx.db.selectFrom('order_journal').select(['order_id', 'detail']).where('event', '=', 'delivery.delayed').execute())
      .map((r) => `${(r.detail as { delayId: string }).delayId}:${r.order_id}`)
      .sort();
  expect(await journal()).toEqual([`dly_rain:${first}`, `dly_rain:${second}`, `dly_storm:${first}`].sort());

  // Redelivered: the same answer, nothing moved or journaled again.
  expect([...(await delays.applyDelays(ctx.db, batch)).keys()].sort()).toEqual([...pairs.keys()].sort());
  expect(await dates()).toEqual({ [first!]: '2026-12-05', [second!]: '2026-12-03' });
  expect(await journal()).toHaveLength(3);
});

it('never lets a message retried late undo a newer delay, and leaves a pair whose order is missing for its retry', async () => {
  const [first, second] = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-late`, count: 2 });
  const sellerId = (await ctx.db.selectFrom('orders').select('seller_id').where('order_id', '=', first!).executeTakeFirstOrThrow()).seller_id;
  await delays.create(ctx.db, 'dly_older', { sellerId, orderIds: [first!, second!], newDeliveryDate: '2026-12-03', reason: 'rain' }, TRACE_ID);
  await delays.create(ctx.db, 'dly_newer', { sellerId, orderIds: [first!], newDeliveryDate: '2026-12-09', reason: 'flood' }, TRACE_ID);
  const item = (delayId: string, orderId: string, _claimedDate?: string) => ({ delayId, orderId });
  const dateOf = async (orderId: string) =>
    (await ctx.db.selectFrom('orders').select('delivery_date').where('order_id', '=', orderId).executeTakeFirst())?.delivery_date;

  await delays.applyDelays(ctx.db, [item('dly_newer', first!, '2026-12-09')]);
  // The older delay's message for the same order fails once and is applied afterwards.
  await delays.applyDelays(ctx.db, [item('dly_older', first!, '2026-12-03')]);
  expect(await dateOf(first!)).toBe('2026-12-09');

  // The second order is gone for a while (a restore in progress): nothing is marked done.
  const away = `${second!}-away`;
  await ctx.db.updateTable('orders').set({ order_id: away }).where('order_id', '=', second!).execute();
  const missing = await delays.applyDelays(ctx.db, [item('dly_older', second!, '2026-12-03')]);
  expect(missing.get(`dly_older:${second}`)?.contact).toBeUndefined();
  await ctx.db.updateTable('orders').set({ order_id: second! }).where('order_id', '=', away).execute();
  const retried = await delays.applyDelays(ctx.db, [item('dly_older', second!, '2026-12-03')]);
  expect(retried.get(`dly_older:${second}`)?.contact).toBeDefined();
  expect(await dateOf(second!)).toBe('2026-12-03');
});

it('keeps the newer date when an older delay is applied while the newer one holds the order (two processes at once)', async () => {
  const [order] = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-race`, count: 1 });
  const sellerId = (await ctx.db.selectFrom('orders').select('seller_id').where('order_id', '=', order!).executeTakeFirstOrThrow()).seller_id;
  await delays.create(ctx.db, 'dly_race_old', { sellerId, orderIds: [order!], newDeliveryDate: '2026-12-03', reason: 'rain' }, TRACE_ID);
  await delays.create(ctx.db, 'dly_race_new', { sellerId, orderIds: [order!], newDeliveryDate: '2026-12-09', reason: 'flood' }, TRACE_ID);

  let older: Promise<unknown> | undefined;
  await ctx.db.transaction().execute(async (trx) => {
    // The newer delay's process has moved the order but not committed yet...
    await delays.applyDelays(trx, [{ delayId: 'dly_race_new', orderId: order! }]);
    // ...when another process applies the older delay: it waits for the row, then re-checks it.
    older = delays.applyDelays(ctx.db, [{ delayId: 'dly_race_old', orderId: order! }]);
    await new Promise((r) => setTimeout(r, 300));
  });
  await older;
  const row = await ctx.db.selectFrom('orders').select('delivery_date').where('order_id', '=', order!).executeTakeFirstOrThrow();
  expect(row.delivery_date).toBe('2026-12-09');
});
