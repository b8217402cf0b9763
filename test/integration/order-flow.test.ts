// An order submitted over REST is stored once and its buyer told once, on the real broker and
// database, including when the shop resubmits it and when the messaging API fails for a while.
import { describe, expect, it } from 'vitest';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('order-flow');

async function notifiedOrder(orderId: string) {
  return waitFor(
    async () => {
      const res = await getJson(file.service.baseUrl, `/orders/${orderId}`);
      return res.status === 200 && res.body?.status === 'notified' ? res.body : undefined;
    },
    { what: `order ${orderId} to be notified` },
  );
}

describe('an order submitted over REST', () => {
  it('is accepted, stored with its totals, and confirmed to the buyer exactly once', async () => {
    const order = makeOrder({ items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 1, unitPrice: 15_900 }] });
    const res = await postJson(file.service.baseUrl, '/orders', order);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ orderId: order.orderId, status: 'accepted' });
    expect(res.headers.get('location')).toBe(`/orders/${order.orderId}`);

    const stored = await notifiedOrder(order.orderId);
    // Rule v1: 3,000 KRW shipping under 30,000 KRW of goods.
    expect(stored).toMatchObject({ goodsTotal: 15_900, shippingFee: 3_000, total: 18_900, ruleVersion: 1, sellerId: 'farm-7' });
    const events = (stored.journal as Array<{ actor: string; event: string }>).map((j) => `${j.actor}:${j.event}`);
    expect(events).toEqual(['business:order.processed', 'notification:notification.sent']);

    const row = await file.ctx.db.selectFrom('orders').selectAll().where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    expect(row.payload).toEqual(order);

    const sent = file.sandbox.messages().filter((m) => m.params.orderId === order.orderId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      idempotencyKey: `order-confirmed:${order.orderId}`,
      to: order.buyer.phone,
      template: 'order-confirmed',
      params: { orderId: order.orderId, total: 18_900, currency: 'KRW', deliveryDate: '2026-12-01', buyerName: 'Kim Minji' },
    });
  });

  it('is free of shipping from 30,000 KRW of goods', async () => {
    const order = makeOrder({ items: [{ sku: 'corn-10', name: 'Sweet corn', quantity: 2, unitPrice: 15_000 }] });
    expect((await postJson(file.service.baseUrl, '/orders', order)).status).toBe(202);
    expect(await notifiedOrder(order.orderId)).toMatchObject({ goodsTotal: 30_000, shippingFee: 0, total: 30_000 });
  });

  it('submitted twice with the same content gives one order and one message', async () => {
    const order = makeOrder();
    const [a, b] = await Promise.all([postJson(file.service.baseUrl, '/orders', order), postJson(file.service.baseUrl, '/orders', order)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    await notifiedOrder(order.orderId);
    // A third, later resubmission must not notify again either.
    expect((await postJson(file.service.baseUrl, '/orders', order)).status).toBe(202);
    await waitFor(async () => (await file.ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', order.orderId).execute()).length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(file.sandbox.messages().filter((m) => m.params.orderId === order.orderId)).toHaveLength(1);
    const rows = await file.ctx.db.selectFrom('deliveries').selectAll().where('order_id', '=', order.orderId).execute();
    expect(rows).toHaveLength(1);
  });

  it('resubmitted with different content keeps the first and refuses the second as a conflict', async () => {
    const first = makeOrder();
    const second = { ...first, items: [{ sku: 'corn-20', name: 'Sweet corn 20 ears', quantity: 5, unitPrice: 29_000 }] };
    expect((await postJson(file.service.baseUrl, '/orders', first)).status).toBe(202);
    await notifiedOrder(first.orderId);
    expect((await postJson(file.service.baseUrl, '/orders', second)).status).toBe(202);

    const stored = await waitFor(
      async () => {
        const res = await getJson(file.service.baseUrl, `/orders/${first.orderId}`);
        const journal = res.body?.journal as Array<{ event: string }> | undefined;
        return journal?.some((j) => j.event === 'order.conflict_rejected') ? res.body : undefined;
      },
      { what: 'the conflict to be journaled' },
    );
    expect((stored.order as { items: unknown }).items).toEqual(first.items);
    expect(file.sandbox.messages().filter((m) => m.params.orderId === first.orderId)).toHaveLength(1);
  });

  it('is delivered once with the same idempotency key when the messaging API fails first', async () => {
    file.sandbox.setMode({ mode: 'fail', count: 2 });
    const order = makeOrder();
    expect((await postJson(file.service.baseUrl, '/orders', order)).status).toBe(202);
    const stored = await notifiedOrder(order.orderId);
    const key = `order-confirmed:${order.orderId}`;
    expect(file.sandbox.requestsFor(key)).toBe(3);
    expect(file.sandbox.messages().filter((m) => m.idempotencyKey === key)).toHaveLength(1);
    const events = (stored.journal as Array<{ event: string; detail: { attempt?: number; errorCode?: string } }>).filter((j) =>
      j.event.startsWith('notification.'),
    );
    expect(events.map((e) => [e.event, e.detail.attempt, e.detail.errorCode])).toEqual([
      ['notification.failed', 1, 'provider_unavailable'],
      ['notification.failed', 2, 'provider_unavailable'],
      ['notification.sent', 3, undefined],
    ]);
  });

  it('answers 404 with an explanation for an order that was never recorded', async () => {
    const res = await getJson(file.service.baseUrl, '/orders/never-submitted');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not_found' });
  });
});
