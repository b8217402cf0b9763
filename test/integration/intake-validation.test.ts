// Bad orders get a precise 4xx naming the field and the reason, and nothing reaches the broker.
// The service runs the intake role only, so anything published would stay on the business queue.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { makeOrder } from '../support/orders.js';
import { postJson, serviceForThisFile } from '../support/service-harness.js';

const file = serviceForThisFile('intake-validation', { ROLE: 'intake' });

async function businessQueueDepth(): Promise<number> {
  const conn = await amqp.connect(file.ctx.config.AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue(`${file.ctx.config.QUEUE_PREFIX}.business`);
    return messageCount;
  } finally {
    await conn.close();
  }
}

const valid = makeOrder();
const item = valid.items[0]!;

// [case, the issue path expected, body]; '(body)' when the body as a whole is at fault
const invalidOrders: Array<[string, string, unknown]> = [
  ['quantity zero', 'items.0.quantity', { ...valid, items: [{ ...item, quantity: 0 }] }],
  ['negative quantity', 'items.0.quantity', { ...valid, items: [{ ...item, quantity: -1 }] }],
  ['fractional quantity', 'items.0.quantity', { ...valid, items: [{ ...item, quantity: 1.5 }] }],
  ['quantity as a string', 'items.0.quantity', { ...valid, items: [{ ...item, quantity: '2' }] }],
  ['quantity over 999', 'items.0.quantity', { ...valid, items: [{ ...item, quantity: 1000 }] }],
  ['negative price', 'items.0.unitPrice', { ...valid, items: [{ ...item, unitPrice: -5 }] }],
  ['fractional price', 'items.0.unitPrice', { ...valid, items: [{ ...item, unitPrice: 19.99 }] }],
  ['price as a float string', 'items.0.unitPrice', { ...valid, items: [{ ...item, unitPrice: '19.999' }] }],
  ['no items', 'items', { ...valid, items: [] }],
  ['101 items', 'items', { ...valid, items: Array.from({ length: 101 }, () => item) }],
  ['orderId with a space', 'orderId', { ...valid, orderId: 'A 1' }],
  ['orderId of 65 characters', 'orderId', { ...valid, orderId: 'A'.repeat(65) }],
  ['empty orderId', 'orderId', { ...valid, orderId: '' }],
  ['phone not E.164', 'buyer.phone', { ...valid, buyer: { ...valid.buyer, phone: '010-1234-5678' } }],
  ['phone in a country the deployment does not deliver to (+1)', 'buyer.phone', { ...valid, buyer: { ...valid.buyer, phone: '+14155550100' } }],
  ['unknown top-level field', '(body)', { ...valid, discountOverride: 100 }],
  ['unknown nested field', 'buyer', { ...valid, buyer: { ...valid.buyer, vip: true } }],
  ['missing orderId', 'orderId', { ...valid, orderId: undefined }],
  ['missing buyer', 'buyer', { ...valid, buyer: undefined }],
  ['currency not supported', 'currency', { ...valid, currency: 'USD' }],
  ['date that does not exist', 'requestedDeliveryDate', { ...valid, requestedDeliveryDate: '2026-02-30' }],
  ['date with a time', 'requestedDeliveryDate', { ...valid, requestedDeliveryDate: '2026-12-01T10:00:00' }],
  ['NUL in a name', 'buyer.name', { ...valid, buyer: { ...valid.buyer, name: 'Kim\u0000Minji' } }],
  ['lone surrogate in a name', 'buyer.name', { ...valid, buyer: { ...valid.buyer, name: 'Kim\ud800' } }],
  ['very long item name', 'items.0.name', { ...valid, items: [{ ...item, name: 'x'.repeat(5_000) }] }],
  ['an array instead of an object', '(body)', [valid]],
];

describe('POST /orders with an invalid order', () => {
  it.each(invalidOrders)('%s → 400 naming %s', async (_case, path, body) => {
    const res = await postJson(file.service.baseUrl, '/orders', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    const issues = res.body!.issues as Array<{ path: string; message: string }>;
    expect(issues.map((i) => i.path)).toContain(path);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('lists every bad field at once', async () => {
    const res = await postJson(file.service.baseUrl, '/orders', { ...valid, orderId: '', items: [{ ...item, quantity: 0, unitPrice: -1 }] });
    const paths = (res.body!.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['orderId', 'items.0.quantity', 'items.0.unitPrice']));
  });

  it('names the unknown fields', async () => {
    const res = await postJson(file.service.baseUrl, '/orders', { ...valid, discountOverride: 100 });
    expect((res.body!.issues as Array<{ message: string }>)[0]!.message).toContain('discountOverride');
  });
});

describe('POST /orders with a body that is not an order at all', () => {
  async function send(body: string, headers: Record<string, string>) {
    const res = await fetch(`${file.service.baseUrl}/orders`, { method: 'POST', headers, body });
    return { status: res.status, body: (await res.json()) as { error: string; message: string } };
  }

  it.each([
    ['truncated JSON', 400, 'invalid_json', '{"orderId":', { 'content-type': 'application/json' }],
    ['empty body', 400, 'empty_body', '', { 'content-type': 'application/json' }],
    ['text/plain', 415, 'unsupported_media_type', JSON.stringify(valid), { 'content-type': 'text/plain' }],
    ['application/xml', 415, 'unsupported_media_type', '<order/>', { 'content-type': 'application/xml' }],
    ['form-urlencoded', 415, 'unsupported_media_type', 'orderId=1', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['__proto__ key', 400, 'invalid_json', '{"__proto__":{"x":1}}', { 'content-type': 'application/json' }],
    ['constructor.prototype key', 400, 'invalid_json', '{"constructor":{"prototype":{"x":1}}}', { 'content-type': 'application/json' }],
    ['body over 64 KiB', 413, 'body_too_large', JSON.stringify({ ...valid, pad: 'x'.repeat(70_000) }), { 'content-type': 'application/json' }],
  ])('%s → %i %s', async (_case, status, error, body, headers) => {
    const res = await send(body, headers);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.body.message.length).toBeGreaterThan(0);
  });

  it('deeply nested JSON is refused quickly without crashing the process', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const res = await send(deep, { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect((await fetch(`${file.service.baseUrl}/health/live`)).status).toBe(200);
  });

  it('an unknown route or method answers 404 in the same envelope', async () => {
    const wrongMethod = await fetch(`${file.service.baseUrl}/orders`);
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toMatchObject({ error: 'not_found' });
    const wrongPath = await postJson(file.service.baseUrl, '/order', valid);
    expect(wrongPath.status).toBe(404);
  });
});

describe('what reaches the broker', () => {
  it('none of the rejected orders was published; a valid one is', async () => {
    expect(await businessQueueDepth()).toBe(0);
    expect((await postJson(file.service.baseUrl, '/orders', makeOrder())).status).toBe(202);
    expect(await businessQueueDepth()).toBe(1);
  });
});

describe('POST /orders/batch with a buyer abroad', () => {
  it('rejects only the order whose buyer phone is in a country the deployment does not deliver to', async () => {
    const abroad = makeOrder({ buyer: { ...valid.buyer, phone: '+14155550100' } });
    const home = makeOrder();
    const res = await postJson(file.service.baseUrl, '/orders/batch', { orders: [abroad, home] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1, unavailable: 0 });
    const results = res.body!.results as Array<{ status: string; orderId: string; issues?: Array<{ path: string }> }>;
    expect(results.map((r) => [r.orderId, r.status])).toEqual([
      [abroad.orderId, 'rejected'],
      [home.orderId, 'accepted'],
    ]);
    expect(results[0]!.issues!.map((i) => i.path)).toEqual(['buyer.phone']);
  });
});
