// A seller's daily allowance of delay notices (DELAY_NOTICES_PER_DAY): a delay that would pass it
// gets 429 with Retry-After and a message saying what to do, creates nothing and tells no one;
// delays within it, and repeats of a delay already accepted, go through as usual.
import { expect, it } from 'vitest';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('delay-quota', { DELAY_NOTICES_PER_DAY: '5' });

const told = (orderId: string) => file.sandbox.messages().filter((m) => m.template === 'delivery-delayed' && m.params.orderId === orderId);

it("refuses the delay that would take a seller past the day's notices, and nothing of it happens", async () => {
  const sellerId = `farm-${uniqueOrderId('q')}`;
  const first = Array.from({ length: 3 }, () => makeOrder({ sellerId }));
  const second = Array.from({ length: 3 }, () => makeOrder({ sellerId }));
  const res = await postJson(file.service.baseUrl, '/orders/batch', { orders: [...first, ...second] });
  expect(res.body).toMatchObject({ accepted: 6 });
  const ids = [...first, ...second].map((o) => o.orderId);
  await waitFor(async () => (await file.ctx.db.selectFrom('orders').select('order_id').where('order_id', 'in', ids).execute()).length === 6, {
    what: 'the orders stored',
  });

  const delay = (orders: typeof first, newDeliveryDate: string) =>
    postJson(file.service.baseUrl, '/delivery-delays', { sellerId, orderIds: orders.map((o) => o.orderId), newDeliveryDate, reason: 'rain' });
  const within = await delay(first, '2026-12-09');
  expect(within.status).toBe(202);
  await waitFor(() => first.every((o) => told(o.orderId).length === 1), { what: 'the first three buyers told' });

  // 3 + 3 > 5: refused whole, with when to come back and what to do.
  const over = await delay(second, '2026-12-09');
  expect(over.status).toBe(429);
  expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(over.body).toMatchObject({ error: 'daily_notice_quota' });
  expect(String(over.body!.message)).toMatch(/taking seller .* to 6 notices today \(UTC\), over the allowance of 5\. Nothing was created/);
  await new Promise((r) => setTimeout(r, 500));
  expect(second.every((o) => told(o.orderId).length === 0)).toBe(true);
  const dates = await file.ctx.db
    .selectFrom('orders')
    .select('delivery_date')
    .where(
      'order_id',
      'in',
      second.map((o) => o.orderId),
    )
    .execute();
  expect(new Set(dates.map((d) => String(d.delivery_date).slice(0, 10)))).toEqual(new Set(['2026-12-01']));

  // The accepted one sent again is still just that: no new notices, no refusal.
  const again = await delay(first, '2026-12-09');
  expect(again).toMatchObject({ status: 202, body: { status: 'already_accepted' } });
  // Within what is left (2), a smaller delay goes through.
  const smaller = await delay(second.slice(0, 2), '2026-12-10');
  expect(smaller.status).toBe(202);
  expect((await getJson(file.service.baseUrl, `/delivery-delays/${smaller.body!.delayId as string}`)).status).toBe(200);
});
