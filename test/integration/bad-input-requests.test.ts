// Malformed HTTP requests the other files do not send (bulk intake, delivery delays, reads, the admin
// API, ambiguous credentials): each gets its documented 4xx naming the culprit, and afterwards the
// database, the queues, the switches and the messaging API are exactly as they were before.
// The service runs the intake role only, so anything wrongly published would stay on a queue.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN, ADMIN_TOKEN, adminRequest } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let queues: { business: string; notification: string; deadLetters: string };
/** A stored failed message, so discard and replay have a real row to be refused on. */
let rowId: number;
let before: Awaited<ReturnType<typeof snapshot>>;

type Issues = Array<{ path: string; message: string }>;
/** Whether the 400 names `what`: as the issue's path, or in its message (unknown fields are named there). */
const names = (body: Record<string, unknown> | undefined, what: string) =>
  ((body?.issues ?? []) as Issues).some((i) => i.path === what || i.message.includes(what));

/** Everything a bad request could wrongly change, as a user or an operator would look at it. */
async function snapshot() {
  const count = async (table: 'orders' | 'order_journal' | 'deliveries' | 'delivery_delays' | 'delivery_delay_orders' | 'switch_changes') =>
    Number(
      (
        await ctx.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const switches = await adminRequest<{ switches: Array<{ name: string; value: unknown }> }>(service.baseUrl, 'GET', '/admin/switches', undefined, ADMIN);
  return {
    rows: {
      orders: await count('orders'),
      journal: await count('order_journal'),
      deliveries: await count('deliveries'),
      delays: await count('delivery_delays'),
      delayOrders: await count('delivery_delay_orders'),
      switchChanges: await count('switch_changes'),
    },
    failedMessages: await ctx.db.selectFrom('failed_messages').select(['id', 'status', 'discard_reason']).orderBy('id').execute(),
    queues: {
      business: await broker.depth(queues.business),
      notification: await broker.depth(queues.notification),
      deadLetters: await broker.depth(queues.deadLetters),
    },
    switches: switches.body!.switches.map((s) => [s.name, s.value]),
    sentToBuyers: sandbox.messages().length,
  };
}

beforeAll(async () => {
  ctx = await createTestContext('bad-input-requests', { ADMIN_TOKEN, DEAD_LETTER_BATCH_INTERVAL_MS: '0' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox, { ROLE: 'intake' });
  broker = await openBroker(ctx);
  const prefix = ctx.config.QUEUE_PREFIX;
  queues = { business: `${prefix}.business`, notification: `${prefix}.notification`, deadLetters: `${prefix}.dead-letters` };

  // One dead letter as the runtime parks it, stored by the batch job.
  await broker.publish(queues.deadLetters, '{"type":"order.submitted","version":1}', {
    contentType: 'application/json',
    messageId: 'bad-input-seed',
    headers: {
      'x-dead-letter-reason': 'permanent',
      'x-error-code': 'invalid_message',
      'x-error-class': 'permanent',
      'x-actor': 'business',
      'x-attempt': 1,
      'x-original-queue': queues.business,
    },
  });
  expect((await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN)).body).toMatchObject({ stored: 1 });
  rowId = (await ctx.db.selectFrom('failed_messages').select('id').executeTakeFirstOrThrow()).id;
  before = await snapshot();
});

afterAll(async () => {
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const order = makeOrder();

describe('POST /orders/batch with a malformed batch', () => {
  it.each([
    ['a body that is an array, not an object', '(body)', [order]],
    ['a body that is a string', '(body)', '"orders"'],
    ['orders that is an object, not an array', 'orders', { orders: { 0: order } }],
    ['orders that is a string', 'orders', { orders: 'all of them' }],
    ['an unknown field next to orders', 'dryRun', { orders: [order], dryRun: true }],
  ])('%s → 400 naming %s', async (_case, path, body) => {
    const res = await postJson(service.baseUrl, '/orders/batch', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    expect(names(res.body, path)).toBe(true);
  });

  it('rejects elements that are null, a number or an array one by one, without an orderId to name', async () => {
    const res = await postJson(service.baseUrl, '/orders/batch', { orders: [null, 42, [order]] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 0, rejected: 3, unavailable: 0 });
    const results = res.body!.results as Array<{ index: number; status: string; orderId?: string; issues: Issues }>;
    expect(results.map((r) => [r.index, r.status, r.orderId])).toEqual([
      [0, 'rejected', undefined],
      [1, 'rejected', undefined],
      [2, 'rejected', undefined],
    ]);
    for (const r of results) expect(r.issues.map((i) => i.path)).toEqual(['(body)']);
  });

  it('a body over 2 MiB → 413 body_too_large', async () => {
    const body = JSON.stringify({ orders: [{ ...order, note: 'x'.repeat(2 * 1024 * 1024) }] });
    const res = await postJson(service.baseUrl, '/orders/batch', body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'body_too_large' });
  });
});

describe('POST /delivery-delays with a malformed request', () => {
  const valid = { sellerId: 'farm-7', requestedDeliveryDate: '2026-12-01', newDeliveryDate: '2026-12-03', reason: 'heavy rain' };
  const { requestedDeliveryDate: _unused, ...byIds } = valid;

  it.each([
    ['an unknown field', 'notifyBuyers', { ...valid, notifyBuyers: false }],
    ['an invalid id among orderIds', 'orderIds.1', { ...byIds, orderIds: ['A-1', 'A 2'] }],
    ['a reason with \\u0000', 'reason', { ...valid, reason: 'rain\u0000' }],
    ['a reason of 201 characters', 'reason', { ...valid, reason: 'r'.repeat(201) }],
    ['both requestedDeliveryDate and orderIds', 'requestedDeliveryDate', { ...valid, orderIds: ['A-1'] }],
    ['no sellerId', 'sellerId', { ...valid, sellerId: undefined }],
    ['a requested date without a day', 'requestedDeliveryDate', { ...valid, requestedDeliveryDate: '2026-12' }],
    ['a new date without a day', 'newDeliveryDate', { ...valid, newDeliveryDate: '2026-12' }],
    ['a body that is an array', '(body)', [valid]],
  ])('%s → 400 naming %s', async (_case, path, body) => {
    const res = await postJson(service.baseUrl, '/delivery-delays', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    expect(names(res.body, path)).toBe(true);
  });
});

describe('reads with a malformed id', () => {
  it.each([
    ['an order id of 65 characters', `/orders/${'A'.repeat(65)}`, 'orderId'],
    ['an order id with a percent-encoded control character', '/orders/A-%01-1', 'orderId'],
    ['an order id with a percent-encoded NUL, on the trace route', '/orders/A%00/trace', 'orderId'],
    ['a delay id without its prefix', '/delivery-delays/12345', 'delayId'],
    ['a delay id with a percent-encoded newline', '/delivery-delays/dly_abc%0A', 'delayId'],
  ])('%s → 400 naming the id', async (_case, path, field) => {
    const res = await getJson(service.baseUrl, path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    expect(names(res.body, field)).toBe(true);
  });

  // The router refuses these before any route runs; they still get the one envelope, and the path
  // is not echoed back.
  it.each([
    ["an order id of 300 characters (past the router's 100-character parameter limit)", `/orders/${'A'.repeat(300)}`, 414, 'uri_too_long'],
    ['an order id that is not valid percent-encoding', '/orders/A%E0%A4%A', 400, 'invalid_url'],
    ['a delay id that is not valid percent-encoding', '/delivery-delays/dly_%ZZ', 400, 'invalid_url'],
  ])('%s → %i %s', async (_case, path, status, error) => {
    const res = await getJson(service.baseUrl, path);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error, message: expect.any(String) as unknown });
    expect(res.body!.message).not.toContain('AAAA');
  });
});

describe('the admin API with malformed parameters', () => {
  it.each([
    ['since that is not a date', 'since', 'since=yesterday'],
    ['since without a time zone', 'since', 'since=2026-11-27T09:00:00'],
    ['a status outside the enum', 'status', 'status=lost'],
    ['limit 0', 'limit', 'limit=0'],
    ['limit 10,000', 'limit', 'limit=10000'],
    ['a garbage cursor', 'cursor', 'cursor=%27%3B%20drop%20table%20failed_messages'],
    ['an unknown filter', 'colour', 'colour=red'],
  ])('GET /admin/dead-letters with %s → 400 naming %s', async (_case, param, query) => {
    const res = await getJson(service.baseUrl, `/admin/dead-letters?${query}`, ADMIN);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'validation_failed' });
    expect(names(res.body, param)).toBe(true);
  });

  it.each(['abc', '1.5', '-1', '0', '99999999999999999999'])('GET /admin/dead-letters/%s → 400 naming id', async (id) => {
    const res = await getJson(service.baseUrl, `/admin/dead-letters/${id}`, ADMIN);
    expect(res.status).toBe(400);
    expect(names(res.body, 'id')).toBe(true);
  });

  it('replay or discard of an unknown id → 404 not_found', async () => {
    const replay = await postJson(service.baseUrl, '/admin/dead-letters/987654321/replay', {}, ADMIN);
    expect(replay).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const discard = await postJson(service.baseUrl, '/admin/dead-letters/987654321/discard', { reason: 'duplicate of an incident' }, ADMIN);
    expect(discard).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it.each([
    ['no reason', 'reason', {}],
    ['an empty reason', 'reason', { reason: '' }],
    ['a reason of spaces only', 'reason', { reason: '   ' }],
    ['a reason of 10,000 characters', 'reason', { reason: 'x'.repeat(10_000) }],
    ['a reason that is a number', 'reason', { reason: 42 }],
    ['an unknown field', 'force', { reason: 'ok', force: true }],
  ])('discard of a stored failure with %s → 400 naming %s, and the row stays new', async (_case, path, body) => {
    const res = await postJson(service.baseUrl, `/admin/dead-letters/${rowId}/discard`, body, ADMIN);
    expect(res.status).toBe(400);
    expect(names(res.body, path)).toBe(true);
    expect((await getJson(service.baseUrl, `/admin/dead-letters/${rowId}`, ADMIN)).body).toMatchObject({ status: 'new' });
  });

  it('discard without any body → 400', async () => {
    const res = await fetch(`${service.baseUrl}/admin/dead-letters/${rowId}/discard`, { method: 'POST', headers: ADMIN });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('validation_failed');
  });

  it.each([
    ['"50.5"', '50.5'],
    ['an empty string', ''],
    ['null', null],
    ['true', true],
    ['a list', ['50']],
  ])('PUT /admin/switches/order-rules-v2 with value %s → 400 naming value', async (_case, value) => {
    const res = await adminRequest(service.baseUrl, 'PUT', '/admin/switches/order-rules-v2', { value }, ADMIN);
    expect(res.status).toBe(400);
    expect(names(res.body, 'value')).toBe(true);
  });

  it('PUT of a switch name that cannot exist → 400 naming name; the values are unchanged', async () => {
    const res = await adminRequest(service.baseUrl, 'PUT', '/admin/switches/Order_Rules', { value: 10 }, ADMIN);
    expect(res.status).toBe(400);
    expect(names(res.body, 'name')).toBe(true);
    expect((await adminRequest(service.baseUrl, 'GET', '/admin/switches/order-rules-v2', undefined, ADMIN)).body).toMatchObject({ value: 0 });
  });
});

/** One request written byte by byte, for header shapes fetch will not send (two Authorization headers). */
function rawRequest(path: string, headerLines: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(service.port, '127.0.0.1', () => {
      socket.write([`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, 'Connection: close', '', ''].join('\r\n'));
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])));
    socket.on('error', reject);
  });
}

describe('admin credentials that are ambiguous or wrong', () => {
  const good = `Authorization: Bearer ${ADMIN_TOKEN}`;

  it('the token alone is accepted (the control case)', async () => {
    expect(await rawRequest('/admin/dead-letters', [good])).toBe(200);
  });

  it.each([
    ['two Authorization headers, the good one first', [good, 'Authorization: Bearer not-the-admin-token-at-all']],
    ['two Authorization headers, the good one last', ['Authorization: Bearer not-the-admin-token-at-all', good]],
    ['the same good header twice', [good, good]],
    ['the token followed by more text', [`${good} extra`]],
    ['the scheme in lower case with nothing after it', ['Authorization: bearer']],
  ])('%s → 401', async (_case, lines) => {
    expect(await rawRequest('/admin/dead-letters', lines)).toBe(401);
  });

  it('trailing spaces are not part of the header (RFC 9110 §5.5): the service never sees them, so the token is the token', async () => {
    expect(await rawRequest('/admin/dead-letters', [`${good}   `])).toBe(200);
  });
});

describe('after the whole battery', () => {
  it('the service is alive and nothing changed: rows, queues, switches, failed messages, messages to buyers', async () => {
    expect((await fetch(`${service.baseUrl}/health/live`)).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });
});

describe('duplicate orderIds in one batch', () => {
  it('are both accepted and both published; the business actor stores the order once and the buyer is told once', async () => {
    const twin = makeOrder();
    const res = await postJson(service.baseUrl, '/orders/batch', { orders: [twin, twin] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await broker.depth(queues.business)).toBe(before.queues.business + 2);

    // Workers come up only now, so the two copies were both waiting on the queue.
    const worker = await startTestService(ctx, sandbox, { ROLE: 'all' });
    try {
      const view = await waitFor(
        async () => {
          const res = await getJson(service.baseUrl, `/orders/${twin.orderId}`);
          return res.body?.status === 'notified' ? res : undefined;
        },
        { what: 'the order to be confirmed' },
      );
      await waitFor(async () => (await broker.depth(queues.business)) === 0 && (await broker.depth(queues.notification)) === 0, {
        what: 'the queues to drain',
      });
      expect((view.body!.journal as Array<{ event: string }>).filter((j) => j.event === 'order.processed')).toHaveLength(1);
      expect(await ctx.db.selectFrom('orders').select('order_id').where('order_id', '=', twin.orderId).execute()).toHaveLength(1);
      expect(sandbox.messages().filter((m) => m.idempotencyKey === `order-confirmed:${twin.orderId}`)).toHaveLength(1);
      expect(await broker.depth(queues.deadLetters)).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});

// Malformed inputs in this file, 58: bulk intake 9 (array body, string body, orders an object,
// orders a string, unknown field, null / number / array elements, over 2 MiB); delivery delays 9;
// reads 8 (5 answered by the route, 3 by the router); dead-letter filters 7, ids 5, unknown id for
// replay and discard 2, discard bodies 7; switch values 5 and a switch name 1; credentials 5, plus
// trailing spaces, which HTTP itself strips (accepted, documented). Also one well-formed but
// suspicious input: duplicate orderIds in one batch.
