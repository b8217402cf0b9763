// An order's timeline for operators: the hops the shop's trace shows, for any seller, with the
// order's dead letters and what operators did with them in time order; and a timeline for an order
// whose message failed before it was ever stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

type Event = { at: string; actor: string; event: string; detail: Record<string, unknown> };
type Timeline = { orderId: string; sellerId: string | null; status: string; traceId: string | null; deadLetters: number; events: Event[] };

const file = serviceForThisFile('order-timeline', { ADMIN_TOKEN, MAX_ATTEMPTS: '2', DEAD_LETTER_BATCH_INTERVAL_MS: '200' });
let broker: Broker;
const refused = makeOrder({ sellerId: 'farm-9' });
const neverStored = makeOrder();

const timeline = (orderId: string, headers: Record<string, string> = ADMIN) => getJson(file.service.baseUrl, `/admin/orders/${orderId}/timeline`, headers);

beforeAll(async () => {
  broker = await openBroker(file.ctx);
  const base = file.service.baseUrl;
  // A confirmation the messaging API refuses, replayed once it accepts again.
  file.sandbox.setMode({ mode: 'reject' });
  expect((await postJson(base, '/orders', refused)).status).toBe(202);
  const failed = await waitFor(
    async () => {
      const items = (await getJson(base, `/admin/dead-letters?orderId=${refused.orderId}`, ADMIN)).body!.items as Array<{ id: number }>;
      return items[0];
    },
    { what: 'the refused confirmation to be stored' },
  );
  file.sandbox.setMode({ mode: 'ok' });
  expect((await postJson(base, `/admin/dead-letters/${failed.id}/replay`, {}, { ...ADMIN, 'x-operator': 'kim' })).status).toBe(200);
  await waitFor(async () => (await getJson(base, `/orders/${refused.orderId}`)).body?.status === 'notified', { what: 'the replayed confirmation to be sent' });
  // A message that fails its contract: its order is never stored.
  await broker.publish(`${file.ctx.config.QUEUE_PREFIX}.business`, JSON.stringify({ ...orderSubmitted(neverStored), channel: 'fax' }), {
    contentType: 'application/json',
    headers: { 'x-order-id': neverStored.orderId },
  });
  await waitFor(async () => ((await getJson(base, `/admin/dead-letters?orderId=${neverStored.orderId}`, ADMIN)).body!.items as unknown[]).length === 1, {
    what: 'the invalid message to be stored',
  });
});

afterAll(async () => {
  await broker?.close();
});

describe('an order timeline', () => {
  it('shows the trace hops with the dead letter and its replay in time order', async () => {
    const res = await timeline(refused.orderId);
    expect(res.status).toBe(200);
    const body = res.body as unknown as Timeline;
    expect(body).toMatchObject({ orderId: refused.orderId, sellerId: 'farm-9', status: 'notified', deadLetters: 1 });
    const events = body.events.map((e) => e.event);
    const order = ['order.accepted', 'order.processed', 'notification.failed', 'message.dead_lettered', 'dead_letter.replayed', 'notification.sent'];
    expect(events.filter((e) => order.includes(e))).toEqual(order);
    expect([...body.events].sort((a, b) => a.at.localeCompare(b.at))).toEqual(body.events);
    expect(body.events.find((e) => e.event === 'message.dead_lettered')).toMatchObject({
      actor: 'notification',
      detail: { errorCode: 'provider_rejected', status: 'replayed' },
    });
    expect(body.events.find((e) => e.event === 'dead_letter.replayed')).toMatchObject({
      actor: 'operator',
      detail: { by: expect.stringMatching(/^kim \(token/) as unknown },
    });

    // Every hop of the shop's trace is in it, as the trace shows it.
    const trace = (await getJson(file.service.baseUrl, `/orders/${refused.orderId}/trace`)).body as { hops: Event[]; traceId: string };
    expect(body.traceId).toBe(trace.traceId);
    expect(body.events.filter((e) => !e.event.includes('dead_letter'))).toEqual(trace.hops);
  });

  it('shows an order that was never stored by its dead letters', async () => {
    const res = await timeline(neverStored.orderId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'not_stored',
      sellerId: null,
      deadLetters: 1,
      events: [{ actor: 'business', event: 'message.dead_lettered', detail: { errorCode: 'invalid_message' } }],
    });
  });

  it('answers 404 for an order nothing knows, 400 for a malformed id, 401 without the admin token', async () => {
    expect(await timeline('no-such-order-anywhere')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await timeline('not.an.id')).toMatchObject({ status: 400, body: { error: 'validation_failed', issues: [{ path: 'orderId' }] } });
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-at-all' }] as Array<Record<string, string>>)
      expect((await timeline(refused.orderId, headers)).status).toBe(401);
  });
});
