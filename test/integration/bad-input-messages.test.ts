// Messages published straight onto the queues with properties and headers our own publishers never
// write (no messageId, a forged x-attempt, a broken traceparent, a false content-encoding), notices
// we did not sign, a NUL where a key is stored, or naming a delivery delay that does not exist: each
// is processed normally or dead-lettered
// with its reason, never retried forever, and nothing else changes. The other poison messages (bad
// JSON, schema drift, unknown version, too large, wrong content type) are in retries-and-dead-letters.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryDelayed } from '../../src/delivery-delays/delay-schema.js';
import type { NotificationRequested } from '../../src/notifications/notification-messages.js';
import { createNotificationSigner, type NotificationSigner } from '../../src/notifications/notification-signature.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { openBroker, type Broker } from '../support/dead-letters.js';
import { confirmationNotice, serviceSigner } from '../support/notices.js';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let queues: { business: string; notification: string; deadLetters: string };
let signer: NotificationSigner;

beforeAll(async () => {
  // Dead letters stay on their queue (no batch job) so each can be looked at with its headers.
  ctx = await createTestContext('bad-input-messages', { RETRY_DELAYS_MS: '200,400', MAX_ATTEMPTS: '8', DEAD_LETTER_BATCH_INTERVAL_MS: '0' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  signer = await serviceSigner(ctx.db);
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
  return waitFor(
    async () => {
      const res = await getJson(service.baseUrl, `/orders/${orderId}`);
      return res.body?.status === 'notified' ? res.body : undefined;
    },
    { what: `order ${orderId} to be confirmed` },
  );
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
  const forged: Array<[string, unknown]> = [
    ['"abc"', 'abc'],
    ['-5', -5],
    ['1e9', 1e9],
  ];

  it.each(forged)('x-attempt %s on a valid order: processed normally as a first attempt', async (_case, attempt) => {
    const order = makeOrder();
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), {
      ...json,
      messageId: `attempt-${order.orderId}`,
      headers: { 'x-attempt': attempt },
    });
    await notifiedOrder(order.orderId);
    const processed = (await journal(order.orderId)).filter((j) => j.event === 'order.processed');
    expect(processed.map((j) => j.detail.attempt)).toEqual([1]);
    expect(sentTo(confirmationKey(order.orderId))).toHaveLength(1);
  });

  it('on notifications that fail once, earns the usual retries instead of a jump to the dead-letter queue', async () => {
    const requests = forged.map(([, attempt]) => {
      const orderId = uniqueOrderId('R');
      return { attempt, request: confirmationNotice(signer, orderId) };
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
      await waitFor(async () => (await journal(request.orderId)).some((j) => j.event === 'notification.sent'), {
        what: `the delivery of ${request.orderId} in its journal`,
      });
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

describe('a notification message this service did not sign', () => {
  // A notice names a phone number and its words: anyone with publish rights on the vhost could
  // otherwise text any number through us, or put words in our mouth to a real buyer.
  const forgeries: Array<[string, (genuine: NotificationRequested) => unknown, string]> = [
    ['without a signature', ({ signature: _, ...rest }) => rest, 'invalid_message'],
    ['signed with another key', ({ signature: _, ...rest }) => createNotificationSigner(randomBytes(32)).sign(rest), 'forged_notification'],
    ['signed by us, then sent to another number', (n) => ({ ...n, to: '+821099990000' }), 'forged_notification'],
    ['signed by us, then its words changed', (n) => ({ ...n, params: { ...n.params, orderId: 'call +82 10 9999 0000' } }), 'forged_notification'],
  ];

  it.each(forgeries)('(%s) is dead-lettered: nothing is sent or journaled, and a genuine notice beside it is sent', async (_case, forge, code) => {
    const forgedId = uniqueOrderId('forged');
    const forged = forge(confirmationNotice(signer, forgedId));
    const genuine = confirmationNotice(signer, uniqueOrderId('genuine'));
    const messageId = `forged-${forgedId}`;
    await broker.publish(queues.notification, JSON.stringify(forged), { ...json, messageId });
    await broker.publish(queues.notification, JSON.stringify(genuine), { ...json, messageId: genuine.idempotencyKey });

    const letter = await deadLetter(messageId);
    expect(letter.properties.headers).toMatchObject({ 'x-error-code': code, 'x-error-class': 'permanent', 'x-attempt': 1 });
    await waitFor(() => sentTo(genuine.idempotencyKey).length === 1, { what: 'the genuine notice' });
    expect(sentTo(confirmationKey(forgedId))).toHaveLength(0);
    expect(sandbox.messages().filter((m) => m.to === '+821099990000')).toHaveLength(0);
    expect(await journal(forgedId)).toHaveLength(0);
  });
});

describe('a NUL character where PostgreSQL stores a key', () => {
  // PostgreSQL refuses a NUL in any text value, and it would refuse the whole batch's statement:
  // the message that carries one fails alone, at once, and the good ones beside it go through.
  it("in a notice's idempotencyKey: dead-lettered as invalid_message, nothing sent; the notice beside it is sent", async () => {
    const orderId = uniqueOrderId('nulkey');
    const { signature: _, ...unsigned } = confirmationNotice(signer, orderId);
    const withNul = signer.sign({ ...unsigned, idempotencyKey: `order-confirmed:${orderId}\u0000x` });
    const genuine = confirmationNotice(signer, uniqueOrderId('nulkey-good'));
    const messageId = `nul-key-${orderId}`;
    await broker.publish(queues.notification, JSON.stringify(withNul), { ...json, messageId });
    await broker.publish(queues.notification, JSON.stringify(genuine), { ...json, messageId: genuine.idempotencyKey });
    expect((await deadLetter(messageId)).properties.headers).toMatchObject({ 'x-error-code': 'invalid_message', 'x-error-class': 'permanent' });
    await waitFor(() => sentTo(genuine.idempotencyKey).length === 1, { what: 'the genuine notice' });
    expect(sandbox.messages().filter((m) => m.idempotencyKey.includes(orderId))).toHaveLength(0);
  });

  it("in a delay message's delayId: dead-lettered as invalid_message; an order beside it is stored and confirmed", async () => {
    const order = makeOrder();
    const message = {
      type: 'delivery.delayed',
      version: 1,
      delayId: 'dly_\u0000x',
      orderId: order.orderId,
      previousDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-09',
      reason: 'rain',
    };
    const messageId = `nul-delay-${order.orderId}`;
    await broker.publish(queues.business, JSON.stringify(message), { ...json, type: message.type, messageId });
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(order)), { ...json, messageId: `order-${order.orderId}` });
    expect((await deadLetter(messageId)).properties.headers).toMatchObject({ 'x-error-code': 'invalid_message', 'x-error-class': 'permanent' });
    await notifiedOrder(order.orderId);
  });

  it('in the id the messaging API answers with: that message is dead-lettered as provider_bad_id, the others of its batch are recorded', async () => {
    const bad = confirmationNotice(signer, uniqueOrderId('badid'));
    sandbox.setMode({ mode: 'bad-id', count: 1 });
    await broker.publish(queues.notification, JSON.stringify(bad), { ...json, messageId: bad.idempotencyKey });
    const letter = await deadLetter(bad.idempotencyKey);
    expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'provider_bad_id', 'x-error-class': 'permanent' });
    const good = confirmationNotice(signer, uniqueOrderId('badid-good'));
    await broker.publish(queues.notification, JSON.stringify(good), { ...json, messageId: good.idempotencyKey });
    await waitFor(async () => (await journal(good.orderId)).some((j) => j.event === 'notification.sent'), { what: 'the good delivery recorded' });
    expect((await journal(bad.orderId)).map((j) => [j.event, j.detail.errorCode])).toEqual([['notification.failed', 'provider_bad_id']]);
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
    expect(letter.properties.headers).toMatchObject({
      'x-error-code': 'unknown_delay',
      'x-error-class': 'permanent',
      'x-dead-letter-reason': 'permanent',
      'x-attempt': 1,
    });

    const rows = await ctx.db.selectFrom('orders').select('delivery_date').where('order_id', '=', order.orderId).execute();
    expect(rows.map((r) => r.delivery_date)).toEqual(exists ? [order.requestedDeliveryDate] : []);
    expect((await journal(order.orderId)).map((j) => j.event)).not.toContain('delivery.delayed');
    expect(sandbox.messages().filter((m) => m.template === 'delivery-delayed')).toHaveLength(0);
  });
});

describe('headers too large or nested too deep to read', () => {
  it('60 KB of headers: each message is dead-lettered as headers_too_large without them, none is held, and good orders flow', async () => {
    // 60 KB: amqplib itself encodes at most 64 KiB of headers, so a republish with our failure headers
    // added would fail; other clients send more, which the limit bounds the same way.
    const padding = 'p'.repeat(60_000);
    const orders = Array.from({ length: 20 }, () => makeOrder());
    await broker.publishAll(
      queues.business,
      orders.map((order) => ({
        body: JSON.stringify(orderSubmitted(order)),
        options: { ...json, messageId: `big-headers-${order.orderId}`, headers: { 'x-padding': padding } },
      })),
    );
    const good = makeOrder();
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(good)), { ...json, messageId: `after-big-${good.orderId}` });
    await notifiedOrder(good.orderId);

    for (const order of orders) {
      const letter = await deadLetter(`big-headers-${order.orderId}`);
      expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'headers_too_large', 'x-dead-letter-reason': 'permanent', 'x-attempt': 1 });
      expect(letter.properties.headers!['x-error-message']).toMatch(/over the 16384-byte limit/);
      expect(letter.properties.headers).not.toHaveProperty('x-padding');
      expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', order.orderId).execute()).toEqual([]);
    }
    await waitFor(async () => (await broker.depth(queues.business)) === 0, { what: 'the business queue to empty' });
  });

  it(
    'headers nested 5,000 deep: dead-lettered by their size before amqplib recurses into them, and the consumer stays connected',
    { timeout: 60_000 },
    async () => {
      const order = makeOrder();
      const messageId = `deep-headers-${order.orderId}`;
      await promisify(execFile)(process.execPath, [
        '--stack-size=20000',
        '--import',
        'tsx',
        'test/support/publish-deep-headers.ts',
        ctx.config.AMQP_URL,
        queues.business,
        '5000',
        messageId,
        JSON.stringify(orderSubmitted(order)),
      ]);
      const letter = await deadLetter(messageId);
      // 5,000 levels take 35 KB, so the size bound drops them; tables deep enough to break amqplib's
      // decoder within the bound are dropped as unreadable_headers (unit-tested in header-frame-guard).
      expect(letter.properties.headers).toMatchObject({ 'x-error-code': 'headers_too_large', 'x-dead-letter-reason': 'permanent' });
      expect(letter.properties.headers).not.toHaveProperty('deep');

      // The same consumer goes on: no reconnect was needed for the next order.
      const good = makeOrder();
      await broker.publish(queues.business, JSON.stringify(orderSubmitted(good)), { ...json, messageId: `after-deep-${good.orderId}` });
      await notifiedOrder(good.orderId);
      expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', order.orderId).execute()).toEqual([]);
      const ready = await getJson(service.baseUrl, '/health/ready');
      expect(ready.status).toBe(200);
    },
  );
});

describe("a message over the broker's maximum size", () => {
  it("is refused by RabbitMQ itself (1 MiB, set by scripts/services.sh): the publisher's channel is closed, nothing is queued, orders flow", async () => {
    const before = await broker.depth(queues.business);
    const conn = await amqp.connect(ctx.config.AMQP_URL);
    try {
      const ch = await conn.createConfirmChannel();
      const closed = new Promise<Error>((resolve) => ch.once('error', resolve));
      ch.sendToQueue(queues.business, Buffer.alloc(1024 * 1024 + 1, 0x20), json);
      expect((await closed).message).toMatch(/PRECONDITION_FAILED.*larger than configured max size/);
    } finally {
      await conn.close().catch(() => undefined);
    }
    expect(await broker.depth(queues.business)).toBe(before);
    const good = makeOrder();
    await broker.publish(queues.business, JSON.stringify(orderSubmitted(good)), { ...json, messageId: `after-huge-${good.orderId}` });
    await notifiedOrder(good.orderId);
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
// on orders 3 and on failing notifications 3; traceparent 3; forged notices 4; NUL in a key 3;
// a false gzip content-encoding 1; delivery.delayed with an unknown delay 2; 70 KB headers 20;
// headers 5,000 deep 1. Total 42.
