// The failure path of every actor, on the real broker and database: retries through the delay
// tiers, dead letters with every diagnostic header, the batch job storing them, replay delivering
// exactly once, and poison messages dead-lettered at once while good ones behind them go through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotificationSigner } from '../../src/notifications/notification-signature.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { confirmationNotice, serviceSigner } from '../support/notices.js';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const MAX_ATTEMPTS = 5;

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let queues: { business: string; notification: string; deadLetters: string };
let signer: NotificationSigner;

beforeAll(async () => {
  // The batch job only runs when asked, so dead letters can be looked at on the queue first.
  ctx = await createTestContext('dead-letter-path', {
    RETRY_DELAYS_MS: '100,200',
    MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    DEAD_LETTER_BATCH_INTERVAL_MS: '0',
    ADMIN_TOKEN,
  });
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

type JournalEntry = { actor: string; event: string; detail: { attempt?: number; errorCode?: string } };

async function notified(orderId: string) {
  return waitFor(
    async () => {
      const res = await getJson(service.baseUrl, `/orders/${orderId}`);
      return res.body?.status === 'notified' ? res.body : undefined;
    },
    { what: `order ${orderId} to be notified` },
  );
}

const notificationEvents = (order: Record<string, unknown>) => (order.journal as JournalEntry[]).filter((j) => j.event.startsWith('notification.'));

describe('the messaging API failing for a while, then recovering', () => {
  it('delivers every notification exactly once, with each retry in the order journal', async () => {
    sandbox.setMode({ mode: 'fail', count: 5 });
    const orders = [makeOrder(), makeOrder(), makeOrder()];
    const accepted = await Promise.all(orders.map((o) => postJson(service.baseUrl, '/orders', o)));
    expect(accepted.map((a) => a.status)).toEqual([202, 202, 202]);

    let failures = 0;
    for (const order of orders) {
      const events = notificationEvents(await notified(order.orderId));
      const failed = events.filter((e) => e.event === 'notification.failed');
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.every((f) => f.detail.errorCode === 'provider_unavailable')).toBe(true);
      // Failed attempts 1..n, then the one that went through.
      expect(events.map((e) => [e.event, e.detail.attempt])).toEqual([
        ...failed.map((_, i) => ['notification.failed', i + 1]),
        ['notification.sent', failed.length + 1],
      ]);
      failures += failed.length;
      const key = `order-confirmed:${order.orderId}`;
      expect(sandbox.messages().filter((m) => m.idempotencyKey === key)).toHaveLength(1);
      expect(await ctx.db.selectFrom('deliveries').select('idempotency_key').where('order_id', '=', order.orderId).execute()).toHaveLength(1);
    }
    expect(failures).toBe(5);
    expect(await broker.depth(queues.deadLetters)).toBe(0);
  });
});

describe('the messaging API failing for longer than every retry tier', () => {
  let rowId: number;
  const order = makeOrder();
  const key = `order-confirmed:${order.orderId}`;

  it('dead-letters the notification with every diagnostic header', async () => {
    sandbox.setMode({ mode: 'fail' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect((await postJson(service.baseUrl, '/orders', order, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` })).status).toBe(202);
    await waitFor(async () => (await broker.depth(queues.deadLetters)) === 1, { what: 'the dead letter' });

    const [letter] = await broker.peek(queues.deadLetters);
    const headers = letter!.properties.headers as Record<string, unknown>;
    expect(headers).toMatchObject({
      'x-attempt': MAX_ATTEMPTS,
      'x-error-code': 'provider_unavailable',
      'x-error-class': 'retryable',
      'x-dead-letter-reason': 'retries_exhausted',
      'x-actor': 'notification',
      'x-original-queue': queues.notification,
      'x-original-routing-key': queues.notification,
      'x-order-id': order.orderId,
    });
    expect(headers['x-error-message']).toMatch(/Messaging API failed \(500\)/);
    expect(headers['x-error-stack']).toMatch(/^RetryableError: Messaging API failed/);
    expect(headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    expect(Date.parse(headers['x-first-failed-at'] as string)).toBeLessThan(Date.parse(headers['x-last-failed-at'] as string));
    expect(letter!.properties).toMatchObject({ messageId: key, contentType: 'application/json', type: 'notification.requested' });
    expect(JSON.parse(letter!.content.toString())).toMatchObject({ type: 'notification.requested', orderId: order.orderId, idempotencyKey: key });
    expect(sandbox.requestsFor(key)).toBe(MAX_ATTEMPTS);
  });

  it('is stored by the batch job with its error, attempts and body', async () => {
    const drained = await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN);
    expect(drained.status).toBe(200);
    expect(drained.body).toMatchObject({
      ran: true,
      stored: 1,
      remaining: 0,
      byCause: [{ actor: 'notification', errorCode: 'provider_unavailable', count: 1 }],
    });
    expect(await broker.depth(queues.deadLetters)).toBe(0);

    const list = await getJson(service.baseUrl, `/admin/dead-letters?orderId=${order.orderId}`, ADMIN);
    const items = list.body!.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      status: 'new',
      actor: 'notification',
      errorCode: 'provider_unavailable',
      attempts: MAX_ATTEMPTS,
      messageId: key,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    rowId = items[0]!.id as number;

    const detail = await getJson(service.baseUrl, `/admin/dead-letters/${rowId}`, ADMIN);
    expect(detail.body).toMatchObject({
      id: rowId,
      errorClass: 'retryable',
      deadLetterReason: 'retries_exhausted',
      originalQueue: queues.notification,
      body: { json: { type: 'notification.requested', orderId: order.orderId } },
      headers: { 'x-attempt': MAX_ATTEMPTS, 'x-order-id': order.orderId },
      properties: { messageId: key, contentType: 'application/json' },
    });
    expect(detail.body!.errorStack).toMatch(/RetryableError/);
  });

  it('is delivered exactly once when replayed after the API recovers, and a second replay sends nothing', async () => {
    sandbox.setMode({ mode: 'ok' });
    const replayed = await postJson(service.baseUrl, `/admin/dead-letters/${rowId}/replay`, {}, ADMIN);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id: rowId, status: 'replayed', queue: queues.notification });

    const stored = await notified(order.orderId);
    // The replay starts with a fresh attempt counter: full retries again.
    expect(notificationEvents(stored).at(-1)).toMatchObject({ event: 'notification.sent', detail: { attempt: 1 } });
    expect(sandbox.messages().filter((m) => m.idempotencyKey === key)).toHaveLength(1);

    const again = await postJson(service.baseUrl, `/admin/dead-letters/${rowId}/replay`, {}, ADMIN);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'already_replayed' });
    await new Promise((r) => setTimeout(r, 500));
    expect(sandbox.requestsFor(key)).toBe(MAX_ATTEMPTS + 1);
    const row = await getJson(service.baseUrl, `/admin/dead-letters/${rowId}`, ADMIN);
    expect(row.body).toMatchObject({ status: 'replayed', replays: [] });
    expect(row.body!.replayedBy).toMatch(/^admin \(token [0-9a-f]{8}\)$/);
  });
});

describe("poison messages published straight onto an actor's queue", () => {
  const poison = (actor: 'business' | 'notification', orderId: string) => {
    const valid = actor === 'business' ? orderSubmitted(makeOrder({ orderId })) : confirmationNotice(signer, orderId);
    const json = (body: unknown) => Buffer.from(JSON.stringify(body));
    return [
      { kind: 'invalid_json', content: Buffer.from('{"type": "this is not json'), contentType: 'application/json' },
      {
        kind: 'invalid_message',
        content: json({ ...valid, unexpected: true, orderId: actor === 'business' ? undefined : orderId }),
        contentType: 'application/json',
      },
      { kind: 'unsupported_version', content: json({ ...valid, version: 99 }), contentType: 'application/json' },
      { kind: 'too_large', content: json({ ...valid, padding: 'x'.repeat(70_000) }), contentType: 'application/json' },
      { kind: 'invalid_content_type', content: json(valid), contentType: 'text/plain' },
    ];
  };

  it.each(['business', 'notification'] as const)(
    'dead-letters each at once with its error code, and the %s actor keeps processing good messages behind them',
    async (actor) => {
      const queue = queues[actor];
      const orderId = uniqueOrderId('P');
      const kinds = poison(actor, orderId);
      for (const p of kinds) {
        await broker.publish(queue, p.content, { contentType: p.contentType, messageId: `poison-${actor}-${p.kind}` });
      }
      const good = makeOrder();
      if (actor === 'business') {
        await broker.publish(queue, JSON.stringify(orderSubmitted(good)), { contentType: 'application/json', messageId: `good-${good.orderId}` });
        await notified(good.orderId);
      } else {
        const request = confirmationNotice(signer, good.orderId);
        await broker.publish(queue, JSON.stringify(request), { contentType: 'application/json', messageId: request.idempotencyKey });
        await waitFor(() => sandbox.messages().some((m) => m.idempotencyKey === request.idempotencyKey), { what: 'the good notification' });
      }

      await waitFor(async () => (await broker.depth(queues.deadLetters)) === kinds.length, { what: 'every poison message to be dead-lettered' });
      const letters = await broker.peek(queues.deadLetters);
      const byId = new Map(letters.map((l) => [l.properties.messageId as string, l]));
      for (const p of kinds) {
        const letter = byId.get(`poison-${actor}-${p.kind}`);
        expect(letter, p.kind).toBeDefined();
        expect(letter!.properties.headers, p.kind).toMatchObject({
          'x-error-code': p.kind,
          'x-error-class': 'permanent',
          'x-dead-letter-reason': 'permanent',
          'x-attempt': 1,
          'x-actor': actor,
          'x-original-queue': queue,
        });
        // The original body and content type, byte for byte.
        expect(letter!.content.equals(p.content), p.kind).toBe(true);
        expect(letter!.properties.contentType, p.kind).toBe(p.contentType);
      }
      expect(letters.find((l) => l.properties.messageId === `poison-${actor}-unsupported_version`)!.properties.headers).toMatchObject({
        'x-order-id': orderId,
      });

      const drained = await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN);
      expect(drained.body).toMatchObject({ stored: kinds.length, remaining: 0 });
      const list = await getJson(service.baseUrl, `/admin/dead-letters?actor=${actor}&status=new&limit=100`, ADMIN);
      const rows = (list.body!.items as Array<{ id: number; messageId: string; errorCode: string }>).filter((r) => r.messageId.startsWith(`poison-${actor}-`));
      expect(rows.map((r) => r.errorCode).sort()).toEqual(kinds.map((k) => k.kind).sort());
      const notJson = await getJson(service.baseUrl, `/admin/dead-letters/${rows.find((r) => r.errorCode === 'invalid_json')!.id}`, ADMIN);
      expect(notJson.body!.body).toEqual({ bytes: kinds[0]!.content.length, base64: kinds[0]!.content.toString('base64'), text: '{"type": "this is not json' });
    },
  );
});
