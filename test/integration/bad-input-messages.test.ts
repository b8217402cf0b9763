// Messages published straight onto the queues with properties and headers our own publishers never
// write (no messageId, a forged x-attempt, a broken traceparent, a false content-encoding) or naming
// things that do not exist (an order, a delivery delay): each is processed normally or dead-lettered
// with its reason, never retried forever, and nothing else changes. The other poison messages (bad
// JSON, schema drift, unknown version, too large, wrong content type) are in retries-and-dead-letters.
import { createHash } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryDelayed } from '../../src/delivery-delays/delay-schema.js';
import { notificationRequested } from '../../src/notifications/notification-messages.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let queues: { business: string; notification: string; deadLetters: string };

beforeAll(async () => {
  // Dead letters stay on their queue (no batch job) so each can be looked at with its headers.
  ctx = await createTestContext('bad-input-messages', { RETRY_DELAYS_MS: '200,400', MAX_ATTEMPTS: '8', DEAD_LETTER_BATCH_INTERVAL: '0' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  broker = await openBroker(ctx);
  const prefix = ctx.config.QUEUE_PREFIX;
  queues = { business: `${prefix}.business`, notification: `${prefix}.notification`, deadLetters: `${prefix}.dead-letters` };
});

afterAll(async () => {
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const json = { contentType: 'application/json' };
const confirmationKey = (orderId: string) => `order-confirmed:${orderId}`;
const sentTo = (key: string) => sandbox.messages().filter((m) => m.idempotencyKey === key);
/** Every dead letter expected so far, by messageId: the final check finds exactly these and no others. */
const expectedDeadLetters = new Set<string>();

async function notifiedOrder(orderId: string) {
  return waitFor(async () => {
    const res = await getJson(service.baseUrl, `/orders/${orderId}`);
    return res.body?.status === 'notified' ? res.body : undefined;
  }, { what: `order ${orderId} to be confirmed` });
}

async function journal(orderId: string) {
  return ctx.db.selectFrom('order_journal').select(['event', 'detail', 'trace_id']).where('order_id', '=', orderId).orderBy('id').execute();
}

async function deadLetter(messageId: string): Promise<GetMessage> {
  expectedDeadLetters.add(messageId);
  return waitFor(async () => (await broker.peek(queues.deadLetters)).find((m) => m.properties.messageId === messageId), { what: `dead letter ${messageId}` });
}

describe('a message without a messageId property', () => {
  it('is processed once: the runtime derives its id from the body, and the order and the buyer dedupe the copies', async () => {
    const order = makeOrder();
    const body = JSON.stringify(orderSubmitted(order));
    await broker.publish(queues.business, body, { ...json, type: 'order.submitted' });
    await broker.publish(queues.business, body, { ...json, type: 'order.submitted' });
    await notifiedOrder(order.orderId);
    await waitFor(async () => (await broker.depth(queues.business)) + (await broker.depth(queues.notification)) === 0, { what: 'both copies to be handled' });

    expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', order.orderId).execute()).toHaveLength(1);
    expect((await journal(order.orderId)).filter((j) => j.event === 'order.processed')).toHaveLength(1);
    expect(sentTo(confirmationKey(order.orderId))).toHaveLength(1);
  });

  it('when it fails, is dead-lettered under that derived id: sha256 of the body', async () => {
    const body = Buffer.from(JSON.stringify({ type: 'order.submitted', version: 1, order: { orderId: uniqueOrderId('N') } }));
    await broker.publish(queues.business, body, json);
    const letter = await deadLetter(createHash('sha256').update(body).digest('hex'));
    expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'invalid_message', 'x-attempt': 1 });
  });
});

describe('an x-attempt header that is not a count the runtime wrote', () => {
  const forged: Array<[string, unknown]> = [['"abc"', 'abc'], ['-5', -5], ['1e9', 1e9]];

  it.each(forged)('x-attempt %s on a valid order: processed normally as a first attempt', async (_case, attempt) => {
    const order = makeOrder();
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), { ...json, messageId: `attempt-${order.orderId}`, headers: { 'x-attempt': attempt } });
    await notifiedOrder(order.orderId);
    const processed = (await journal(order.orderId)).filter((j) => j.event === 'order.processed');
    expect(processed.map((j) => j.detail.attempt)).toEqual([1]);
    expect(sentTo(confirmationKey(order.orderId))).toHaveLength(1);
  });

  it('on notifications that fail once, earns the usual retries instead of a jump to the dead-letter queue', async () => {
    const requests = forged.map(([, attempt]) => {
      const orderId = uniqueOrderId('R');
      return { attempt, request: notificationRequested({ orderId, kind: 'order-confirmed', to: '+821012345678', params: { orderId } }) };
    });
    const deadBefore = await broker.depth(queues.deadLetters);
    sandbox.setMode({ mode: 'fail' });
    try {
      for (const { attempt, request } of requests) {
        await broker.publish(queues.notification, JSON.stringify(request), { ...json, messageId: request.idempotencyKey, headers: { 'x-attempt': attempt } });
      }
      await waitFor(() => requests.every(({ request }) => sandbox.requestsFor(request.idempotencyKey) >= 1), { what: 'a first, failing call for each' });
    } finally {
      sandbox.setMode({ mode: 'ok' });
    }
    await waitFor(
      async () => requests.every(({ request }) => sentTo(request.idempotencyKey).length === 1) || (await broker.depth(queues.deadLetters)) > deadBefore,
      { what: 'each to be delivered or dead-lettered' },
    );
    expect(await broker.depth(queues.deadLetters)).toBe(deadBefore);
    for (const { request } of requests) {
      expect(sentTo(request.idempotencyKey)).toHaveLength(1);
      // The journal is written once the batch's calls are back, a moment after the sandbox saw the call.
      await waitFor(async () => (await journal(request.orderId)).some((j) => j.event === 'notification.sent'), { what: `the delivery of ${request.orderId} in its journal` });
      const events = (await journal(request.orderId)).map((j) => [j.event, j.detail.attempt]);
      expect(events[0]).toEqual(['notification.failed', 1]);
      expect(events.at(-1)).toEqual(['notification.sent', events.length]);
    }
  });
});

describe('a malformed traceparent header', () => {
  it.each([
    ['not W3C at all', 'garbage'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'],
  ])('(%s) is ignored: processed normally under a new trace id that every hop shares', async (_case, traceparent) => {
    const order = makeOrder();
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), { ...json, messageId: `trace-${order.orderId}`, headers: { traceparent } });
    const stored = await notifiedOrder(order.orderId);
    const traceId = stored.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toMatch(/^0+$/);
    expect(traceparent.toLowerCase()).not.toContain(traceId);
    const hops = await journal(order.orderId);
    expect(hops.map((h) => h.event)).toEqual(['order.processed', 'notification.sent']);
    expect(hops.every((h) => h.trace_id === traceId)).toBe(true);
  });
});

describe('a notification for an order that does not exist', () => {
  // The decision: a notification request is self-contained (recipient and text travel with it) and
  // the business actor publishes one only after the order is committed, so the notification actor
  // does not look the order up. It is sent once; no order springs into existence.
  it('is sent once, and creates no order', async () => {
    const orderId = uniqueOrderId('ghost');
    const request = notificationRequested({ orderId, kind: 'order-confirmed', to: '+821012345678', params: { orderId } });
    await broker.publish(queues.notification, JSON.stringify(request), { ...json, messageId: request.idempotencyKey });
    await waitFor(() => sentTo(request.idempotencyKey).length === 1, { what: 'the notification' });
    await waitFor(async () => (await broker.depth(queues.notification)) === 0);
    expect((await getJson(service.baseUrl, `/orders/${orderId}`)).status).toBe(404);
    expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', orderId).execute()).toHaveLength(0);
  });
});

describe('content-encoding gzip on a body that is plain JSON', () => {
  it('is dead-lettered at once as invalid_content_type, with its properties kept', async () => {
    const order = makeOrder();
    const messageId = `gzip-${order.orderId}`;
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), { ...json, contentEncoding: 'gzip', messageId });
    const letter = await deadLetter(messageId);
    // Its body was not read (the encoding says it cannot be), so the letter names no order.
    expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'invalid_content_type', 'x-error-class': 'permanent', 'x-attempt': 1 });
    expect(String(letter.properties.headers!['x-error-message'])).toContain('gzip');
    expect(letter.properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip' });
    expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', order.orderId).execute()).toHaveLength(0);
    expect(sentTo(confirmationKey(order.orderId))).toHaveLength(0);
  });
});

describe('a delivery.delayed message naming a delay that does not exist', () => {
  const forgedDelay = (orderId: string): DeliveryDelayed => ({
    type: 'delivery.delayed',
    version: 1,
    delayId: `dly_${uniqueOrderId('none')}`,
    orderId,
    previousDeliveryDate: '2026-12-01',
    newDeliveryDate: '2026-12-09',
    reason: 'never requested',
  });

  it.each([
    ['for an order that exists', true],
    ['for an order that does not exist either', false],
  ])('(%s) is dead-lettered as unknown_delay: no date moves, no buyer is told', async (_case, exists) => {
    const order = makeOrder();
    if (exists) {
      await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), { ...json, messageId: `order-${order.orderId}` });
      await notifiedOrder(order.orderId);
    }
    const message = forgedDelay(order.orderId);
    const messageId = `delay-${message.delayId}`;
    await broker.publish(queues.business, JSON.stringify(message), { ...json, type: message.type, messageId });
    const letter = await deadLetter(messageId);
    expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'unknown_delay', 'x-error-class': 'permanent', 'x-dead-letter-reason': 'permanent', 'x-attempt': 1 });

    const rows = await ctx.db.selectFrom('orders').select('delivery_date').where('order_id', '=', order.orderId).execute();
    expect(rows.map((r) => r.delivery_date)).toEqual(exists ? [order.requestedDeliveryDate] : []);
    expect((await journal(order.orderId)).map((j) => j.event)).not.toContain('delivery.delayed');
    expect(sandbox.messages().filter((m) => m.template === 'delivery-delayed')).toHaveLength(0);
  });
});

describe('after the whole battery', () => {
  it('the service is alive, the work queues are empty, and the dead-letter queue holds exactly the expected letters', async () => {
    expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);
    await waitFor(async () => (await broker.depth(queues.business)) + (await broker.depth(queues.notification)) === 0, { what: 'the work queues to drain' });
    const letters = await broker.peek(queues.deadLetters);
    expect(letters.map((l) => l.properties.messageId as string).sort()).toEqual([...expectedDeadLetters].sort());
    expect(await ctx.db.selectFrom('delivery_delays').select('delay_id').execute()).toHaveLength(0);
  });
});

// Malformed inputs in this file: no messageId (processed, and failing) 2; x-attempt "abc", -5, 1e9
// on orders 3 and on failing notifications 3; traceparent 3; a notification for a missing order 1;
// a false gzip content-encoding 1; delivery.delayed with an unknown delay 2. Total 15.
