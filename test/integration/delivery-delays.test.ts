// A seller delays a harvest day: every affected buyer is told once with the right dates, a repeated
// request tells nobody twice, and bulk intake judges each order on its own.
import { describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_TOKEN } from '../support/dead-letters.js';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('delivery-delays', { ADMIN_TOKEN });

async function submitAndWait(orders: ReturnType<typeof makeOrder>[]) {
  for (let i = 0; i < orders.length; i += 500) {
    const res = await postJson(file.service.baseUrl, '/orders/batch', { orders: orders.slice(i, i + 500) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: Math.min(500, orders.length - i), rejected: 0 });
  }
  const ids = orders.map((o) => o.orderId);
  await waitFor(
    async () => {
      const rows = await file.ctx.db.selectFrom('deliveries').select('order_id').where('order_id', 'in', ids).where('kind', '=', 'order-confirmed').execute();
      return rows.length === ids.length;
    },
    { what: 'all orders to be confirmed', timeoutMs: 60_000 },
  );
}

const delayed = (orderId: string) => file.sandbox.messages().filter((m) => m.template === 'delivery-delayed' && m.params.orderId === orderId);

describe('POST /delivery-delays', () => {
  it("tells every buyer of the seller's orders due that day, once, with the old and new dates", async () => {
    const sellerId = `farm-${uniqueOrderId('s')}`;
    const affected = Array.from({ length: 300 }, () => makeOrder({ sellerId, requestedDeliveryDate: '2026-12-01' }));
    const otherDay = makeOrder({ sellerId, requestedDeliveryDate: '2026-12-02' });
    const otherSeller = makeOrder({ sellerId: `${sellerId}-x`, requestedDeliveryDate: '2026-12-01' });
    await submitAndWait([...affected, otherDay, otherSeller]);

    const request = { sellerId, requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-03', reason: 'heavy rain' };
    const res = await postJson(file.service.baseUrl, '/delivery-delays', request);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ orders: 300, status: 'accepted' });
    const delayId = res.body!.delayId as string;

    const progress = await waitFor(
      async () => {
        const p = await getJson(file.service.baseUrl, `/delivery-delays/${delayId}`);
        return p.body?.notified === 300 && p.body.finishedAt ? p.body : undefined;
      },
      { what: 'every buyer to be told', timeoutMs: 60_000 },
    );
    expect(progress).toMatchObject({ total: 300, published: 300, processed: 300, notified: 300, failed: 0, sellerId, newDeliveryDate: '2026-12-03' });

    for (const order of affected) {
      const sent = delayed(order.orderId);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        idempotencyKey: `delivery-delayed:${order.orderId}:${delayId}`,
        to: order.buyer.phone,
        params: { orderId: order.orderId, previousDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-03', reason: 'heavy rain' },
      });
    }
    expect(delayed(otherDay.orderId)).toHaveLength(0);
    expect(delayed(otherSeller.orderId)).toHaveLength(0);

    const one = await getJson(file.service.baseUrl, `/orders/${affected[0]!.orderId}`);
    expect(one.body).toMatchObject({ deliveryDate: '2026-12-03', requestedDeliveryDate: '2026-12-01' });
    expect((one.body!.journal as Array<{ event: string }>).map((j) => j.event)).toContain('delivery.delayed');

    // The same request again: same delay, nobody told twice.
    const again = await postJson(file.service.baseUrl, '/delivery-delays', request);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ delayId, orders: 300, status: 'already_accepted' });
    await new Promise((r) => setTimeout(r, 500));
    expect(affected.every((o) => delayed(o.orderId).length === 1)).toBe(true);

    // Only the reason worded differently: the same delay, and it says so; nobody told twice.
    const reworded = await postJson(file.service.baseUrl, '/delivery-delays', { ...request, reason: 'heavy rain in the valley' });
    expect(reworded.status).toBe(202);
    expect(reworded.body).toMatchObject({ delayId, orders: 300, status: 'already_accepted' });
    expect(String(reworded.body!.note)).toContain('with the reason "heavy rain"; a new reason alone tells no buyer again');
    await new Promise((r) => setTimeout(r, 500));
    expect(affected.every((o) => delayed(o.orderId).length === 1)).toBe(true);
  });

  it('counts buyers the messaging API refused as failed, once their dead letters are stored, and then finishes', async () => {
    const sellerId = `farm-${uniqueOrderId('f')}`;
    const orders = Array.from({ length: 20 }, () => makeOrder({ sellerId, requestedDeliveryDate: '2026-12-01' }));
    await submitAndWait(orders);
    // The provider refuses (400) the first three notices: permanent, dead-lettered at once.
    file.sandbox.setMode({ mode: 'reject', count: 3 });
    const res = await postJson(file.service.baseUrl, '/delivery-delays', {
      sellerId,
      requestedDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-04',
      reason: 'hail',
    });
    const delayId = res.body!.delayId as string;
    await waitFor(async () => (await getJson(file.service.baseUrl, `/delivery-delays/${delayId}`)).body?.notified === 17, {
      what: 'the other 17 buyers to be told',
    });
    const drained = await postJson(file.service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN);
    expect(drained.status).toBe(200);
    const progress = await waitFor(
      async () => {
        const p = await getJson(file.service.baseUrl, `/delivery-delays/${delayId}`);
        return p.body?.failed === 3 ? p.body : undefined;
      },
      { what: 'three failed buyers' },
    );
    expect(progress).toMatchObject({ total: 20, published: 20, processed: 20, notified: 17, failed: 3 });
    expect(progress.finishedAt).toEqual(expect.any(String));
    // The finish is recorded, so the delay stays finished when its failures are later replayed or purged.
    const recorded = await waitFor(
      async () =>
        (await file.ctx.db.selectFrom('delivery_delays').select('finished_at').where('delay_id', '=', String(delayId)).executeTakeFirst())?.finished_at ??
        undefined,
      { what: 'the finish recorded', timeoutMs: 15_000 },
    );
    expect(recorded.toISOString()).toBe(progress.finishedAt);
    await file.ctx.db.deleteFrom('failed_messages').execute();
    const after = await getJson(file.service.baseUrl, `/delivery-delays/${delayId}`);
    expect(after.body).toMatchObject({ failed: 0, finishedAt: progress.finishedAt });
  });

  it("takes explicit order ids, limited to the seller's own orders", async () => {
    const sellerId = `farm-${uniqueOrderId('s')}`;
    const mine = [makeOrder({ sellerId }), makeOrder({ sellerId })];
    const someoneElses = makeOrder({ sellerId: `${sellerId}-other` });
    await submitAndWait([...mine, someoneElses]);
    const res = await postJson(file.service.baseUrl, '/delivery-delays', {
      sellerId,
      orderIds: [mine[0]!.orderId, someoneElses.orderId, 'no-such-order'],
      newDeliveryDate: '2026-12-05',
      reason: 'frost',
    });
    expect(res.body).toMatchObject({ orders: 1 });
    await waitFor(() => delayed(mine[0]!.orderId).length === 1, { what: 'the named order to be told' });
    await new Promise((r) => setTimeout(r, 300));
    expect(delayed(mine[1]!.orderId)).toHaveLength(0);
    expect(delayed(someoneElses.orderId)).toHaveLength(0);

    // Both named now, to the date the first already moved to: only the second is concerned.
    const both = await postJson(file.service.baseUrl, '/delivery-delays', {
      sellerId,
      orderIds: mine.map((o) => o.orderId),
      newDeliveryDate: '2026-12-05',
      reason: 'frost',
    });
    expect(both.body).toMatchObject({ orders: 1, status: 'accepted' });
    await waitFor(() => delayed(mine[1]!.orderId).length === 1, { what: 'the second order to be told' });
    await new Promise((r) => setTimeout(r, 300));
    expect(delayed(mine[0]!.orderId)).toHaveLength(1);
  });

  it('answers 202 with orders: 0 when nothing matches', async () => {
    const res = await postJson(file.service.baseUrl, '/delivery-delays', {
      sellerId: 'nobody',
      requestedDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-02',
      reason: 'rain',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ orders: 0 });
    const progress = await getJson(file.service.baseUrl, `/delivery-delays/${res.body!.delayId as string}`);
    expect(progress.body).toMatchObject({ total: 0, notified: 0 });
  });

  it.each([
    ['new date before the old one', { requestedDeliveryDate: '2026-12-03', newDeliveryDate: '2026-12-01' }, 'newDeliveryDate'],
    ['a date that does not exist', { requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-11-31' }, 'newDeliveryDate'],
    ['neither a date nor order ids', { newDeliveryDate: '2026-12-03' }, 'requestedDeliveryDate'],
    ['more than 10,000 order ids', { orderIds: Array.from({ length: 10_001 }, (_, i) => `o-${i}`), newDeliveryDate: '2026-12-03' }, 'orderIds'],
  ])('%s → 400', async (_case, fields, path) => {
    const res = await postJson(file.service.baseUrl, '/delivery-delays', { sellerId: 'farm-7', reason: 'rain', ...fields });
    expect(res.status).toBe(400);
    expect((res.body!.issues as Array<{ path: string }>).map((i) => i.path)).toContain(path);
  });

  it('GET of an unknown delay → 404', async () => {
    expect((await getJson(file.service.baseUrl, '/delivery-delays/dly_unknown')).status).toBe(404);
  });
});

describe('POST /orders/batch', () => {
  it('accepts the valid orders and names each invalid one with its issues', async () => {
    const good = [makeOrder(), makeOrder()];
    const bad = { ...makeOrder(), items: [] };
    const res = await postJson(file.service.baseUrl, '/orders/batch', { orders: [good[0], bad, 'not an order', good[1]] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2, unavailable: 0 });
    const results = res.body!.results as Array<{ index: number; status: string; orderId?: string; issues?: Array<{ path: string }> }>;
    expect(results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'rejected', 'accepted']);
    expect(results[1]).toMatchObject({ orderId: bad.orderId });
    expect(results[1]!.issues!.map((i) => i.path)).toContain('items');
    await waitFor(
      async () =>
        (
          await file.ctx.db
            .selectFrom('orders')
            .select('order_id')
            .where(
              'order_id',
              'in',
              good.map((g) => g.orderId),
            )
            .execute()
        ).length === 2,
    );
    expect(await file.ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', bad.orderId).executeTakeFirst()).toBeUndefined();
  });

  it('refuses an empty batch or one over 1,000 orders', async () => {
    expect((await postJson(file.service.baseUrl, '/orders/batch', { orders: [] })).status).toBe(400);
    expect((await postJson(file.service.baseUrl, '/orders/batch', { orders: Array.from({ length: 1_001 }, () => ({})) })).status).toBe(400);
  });
});
