// Reviewing failures the way an operator does, over the admin API: the scheduled batch job and its
// alerts, groups by cause, filters, pagination, discard, replay of a group (which stops by itself
// while the cause is not fixed), and nothing at all without the admin token.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../src/bin/start-service.js';
import type { FailureGroup } from '../../src/dead-letters/failed-message.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, startSandbox, type Sandbox } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

type Row = { id: number; status: string; actor: string; errorCode: string; orderId: string | null; fingerprint: string; replayOf: number | null };
// The API's answer, as the service types it.
type Group = FailureGroup;

let ctx: TestContext;
let sandbox: Sandbox;
let service: RunningService;
let base: string;
let broker: Broker;
let webhook: AlertReceiver;
const logLines: Array<Record<string, unknown>> = [];

const rejectedOrders = [makeOrder(), makeOrder(), makeOrder()];
const badOrders = [makeOrder(), makeOrder()];

async function rows(query = ''): Promise<Row[]> {
  const res = await getJson(base, `/admin/dead-letters?limit=500${query}`, ADMIN);
  expect(res.status).toBe(200);
  return res.body!.items as Row[];
}

async function groups(query = ''): Promise<Group[]> {
  const res = await getJson(base, `/admin/dead-letters/groups${query}`, ADMIN);
  expect(res.status).toBe(200);
  return res.body!.groups as Group[];
}

beforeAll(async () => {
  webhook = await startAlertReceiver();
  const webhookUrl = webhook.url;

  ctx = await createTestContext('dead-letter-review', { RETRY_DELAYS_MS: '100,200', MAX_ATTEMPTS: '3' });
  sandbox = await startSandbox();
  // The service's own logs, to see the alert line an on-call developer would see.
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  service = await startService(
    ctx.configWith({ NOTIFY_API_URL: sandbox.url, ADMIN_TOKEN, ALERT_WEBHOOK_URL: webhookUrl, DEAD_LETTER_BATCH_INTERVAL_MS: '300' }),
    logger,
  );
  base = `http://127.0.0.1:${service.port}`;
  broker = await openBroker(ctx);

  // Three notifications the messaging API refuses (one cause), two orders that fail their contract
  // (another cause) and one message that is not JSON (a third).
  sandbox.setMode({ mode: 'reject' });
  for (const order of rejectedOrders) expect((await postJson(base, '/orders', order)).status).toBe(202);
  const businessQueue = `${ctx.config.QUEUE_PREFIX}.business`;
  for (const order of badOrders) {
    await broker.publish(businessQueue, JSON.stringify({ ...orderSubmitted(order), channel: 'fax' }), {
      contentType: 'application/json',
      headers: { 'x-order-id': order.orderId },
    });
  }
  await broker.publish(businessQueue, 'garbage', { contentType: 'application/json', messageId: 'garbage-1' });
  await waitFor(async () => (await rows()).length === 6, { what: 'the batch job to store six failures', timeoutMs: 30_000 });
});

afterAll(async () => {
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await webhook?.close();
  await ctx?.cleanup();
});

describe('the scheduled batch job', () => {
  it('alerts with counts per actor and error code: a warn log line and a webhook POST', async () => {
    const sum = (calls: Array<Record<string, unknown>>) => {
      const counts: Record<string, number> = {};
      for (const call of calls)
        for (const c of call.byCause as Array<{ actor: string; errorCode: string; count: number }>)
          counts[`${c.actor}/${c.errorCode}`] = (counts[`${c.actor}/${c.errorCode}`] ?? 0) + c.count;
      return counts;
    };
    const expected = { 'notification/provider_rejected': 3, 'business/invalid_message': 2, 'business/invalid_json': 1 };
    await waitFor(() => Object.values(sum(webhook.alerts)).reduce((a, b) => a + b, 0) === 6, { what: 'the webhook to hear of six failures' });
    expect(sum(webhook.alerts)).toEqual(expected);
    expect(webhook.alerts[0]).toMatchObject({ event: 'dead_letters.stored', queue: `${ctx.config.QUEUE_PREFIX}.dead-letters` });
    const alerts = logLines.filter((l) => l.level === 40 && l.module === 'failure-alerts' && 'byCause' in l);
    expect(sum(alerts)).toEqual(expected);
  });
});

describe('without the admin token', () => {
  it('answers 401 to every admin route and changes nothing', async () => {
    const [some] = await rows();
    const before = await getJson(base, `/admin/dead-letters/${some!.id}`, ADMIN);
    const requests = sandbox.messages().length;
    const wrong = { authorization: 'Bearer not-the-admin-token-at-all' };
    for (const headers of [{}, wrong]) {
      expect((await getJson(base, '/admin/dead-letters', headers)).status).toBe(401);
      expect((await getJson(base, '/admin/dead-letters/groups', headers)).status).toBe(401);
      expect((await getJson(base, `/admin/dead-letters/${some!.id}`, headers)).status).toBe(401);
      expect((await postJson(base, `/admin/dead-letters/${some!.id}/replay`, {}, headers)).status).toBe(401);
      expect((await postJson(base, `/admin/dead-letters/${some!.id}/discard`, { reason: 'no' }, headers)).status).toBe(401);
      expect((await postJson(base, '/admin/dead-letters/replay', { groupId: some!.fingerprint }, headers)).status).toBe(401);
      // Even a malformed body is refused for the token first.
      expect((await postJson(base, '/admin/dead-letters/replay', '{not json', headers)).status).toBe(401);
    }
    expect(await getJson(base, `/admin/dead-letters/${some!.id}`, ADMIN)).toEqual(before);
    expect(sandbox.messages().length).toBe(requests);
  });
});

describe('groups, filters and pages', () => {
  it('shows one line per cause with counts, first and last seen, and a sample', async () => {
    const all = await groups();
    expect(all.map((g) => [g.actor, g.errorCode, g.count, g.open]).sort()).toEqual([
      ['business', 'invalid_json', 1, 1],
      ['business', 'invalid_message', 2, 2],
      ['notification', 'provider_rejected', 3, 3],
    ]);
    const rejected = all.find((g) => g.errorCode === 'provider_rejected')!;
    expect(rejected.message).toMatch(/rejected the message \(400\)/);
    expect(Date.parse(rejected.firstSeen)).toBeLessThanOrEqual(Date.parse(rejected.lastSeen));
    // All three failed within the hour this test ran in.
    expect(rejected.trend).toEqual({ lastHour: 3, hourBefore: 0 });
    const sample = await getJson(base, `/admin/dead-letters/${rejected.sampleId}`, ADMIN);
    expect(sample.body).toMatchObject({ fingerprint: rejected.groupId, errorCode: 'provider_rejected' });
    expect(await groups('?actor=business&errorCode=invalid_message')).toHaveLength(1);
  });

  it('filters by actor, error code, order, time and status', async () => {
    expect(await rows('&actor=business')).toHaveLength(3);
    expect(await rows('&actor=notification&errorCode=provider_rejected')).toHaveLength(3);
    const [one] = await rows(`&orderId=${badOrders[0]!.orderId}`);
    expect(one).toMatchObject({ actor: 'business', errorCode: 'invalid_message', orderId: badOrders[0]!.orderId });
    expect(await rows(`&since=${new Date(Date.now() + 60_000).toISOString()}`)).toHaveLength(0);
    expect(await rows('&until=2020-01-01T00:00:00Z')).toHaveLength(0);
    expect(await rows(`&since=${new Date(Date.now() - 600_000).toISOString()}&status=new`)).toHaveLength(6);
    expect((await getJson(base, '/admin/dead-letters?status=lost', ADMIN)).status).toBe(400);
    expect((await getJson(base, '/admin/dead-letters?colour=red', ADMIN)).status).toBe(400);
    expect((await getJson(base, '/admin/dead-letters/999999999', ADMIN)).status).toBe(404);
  });

  it('pages newest first with a cursor', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await getJson(base, `/admin/dead-letters?limit=4${cursor ? `&cursor=${cursor}` : ''}`, ADMIN);
      const page = res.body as { items: Row[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
  });
});

describe('discarding', () => {
  it('marks the row discarded with who, when and why, and deletes nothing', async () => {
    const [garbage] = await rows('&errorCode=invalid_json');
    expect((await postJson(base, `/admin/dead-letters/${garbage!.id}/discard`, {}, ADMIN)).status).toBe(400);
    const res = await postJson(
      base,
      `/admin/dead-letters/${garbage!.id}/discard`,
      { reason: 'test garbage from a broken producer' },
      { ...ADMIN, 'x-operator': 'kim' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: garbage!.id, status: 'discarded', discardReason: 'test garbage from a broken producer' });
    const detail = await getJson(base, `/admin/dead-letters/${garbage!.id}`, ADMIN);
    expect(detail.body).toMatchObject({ status: 'discarded', discardReason: 'test garbage from a broken producer', body: { text: 'garbage' } });
    expect(detail.body!.discardedBy).toMatch(/^kim \(token /);
    expect((await postJson(base, `/admin/dead-letters/${garbage!.id}/discard`, { reason: 'again' }, ADMIN)).status).toBe(409);
    expect((await postJson(base, `/admin/dead-letters/${garbage!.id}/replay`, {}, ADMIN)).body).toMatchObject({ error: 'already_discarded' });
    expect(await rows('&status=discarded')).toHaveLength(1);
  });
});

describe('replaying a group', () => {
  it('stops by itself when the first replayed messages fail again the same way, and says so', async () => {
    const group = (await groups()).find((g) => g.errorCode === 'provider_rejected')!;
    const res = await postJson(base, '/admin/dead-letters/replay', { groupId: group.groupId, probeSize: 1 }, ADMIN);
    expect(res.status).toBe(200);
    // Two were not touched; the probe came back as a third open row.
    expect(res.body).toMatchObject({ outcome: 'stopped', untouched: 2, left: 3 });
    expect(res.body!.message).toMatch(/failed again with the same cause \(provider_rejected\).*not fixed/);
    const [probeId] = res.body!.replayed as number[];
    const cameBack = (res.body!.probe as { cameBack: Array<{ id: number; replayOf: number; sameCause: boolean }> }).cameBack;
    expect(cameBack).toEqual([expect.objectContaining({ replayOf: probeId, sameCause: true })]);

    // The probe row is replayed; it came back as a new row linked to it; the other two were not touched.
    const inGroup = (await rows()).filter((r) => r.fingerprint === group.groupId);
    expect(inGroup.find((r) => r.id === probeId)).toMatchObject({ status: 'replayed' });
    expect(inGroup.find((r) => r.id === cameBack[0]!.id)).toMatchObject({ status: 'new', replayOf: probeId });
    expect(inGroup.filter((r) => r.status === 'new')).toHaveLength(3);
    expect((await getJson(base, `/admin/dead-letters/${probeId}`, ADMIN)).body).toMatchObject({ replays: [cameBack[0]!.id] });
  });

  it('also stops a replay by filter whose messages still fail their contract', async () => {
    const res = await postJson(base, '/admin/dead-letters/replay', { filter: { actor: 'business', errorCode: 'invalid_message' } }, ADMIN);
    expect(res.body).toMatchObject({ outcome: 'stopped', untouched: 0 });
    expect(res.body!.replayed).toHaveLength(2);
  });

  it('refuses a request that names neither or both of a group and a filter', async () => {
    expect((await postJson(base, '/admin/dead-letters/replay', {}, ADMIN)).status).toBe(400);
    expect((await postJson(base, '/admin/dead-letters/replay', { filter: {} }, ADMIN)).status).toBe(400);
    expect((await postJson(base, '/admin/dead-letters/replay', { groupId: '0123456789abcdef', filter: { actor: 'business' } }, ADMIN)).status).toBe(400);
  });

  it('replays the whole group once the cause is fixed, each message delivered exactly once', async () => {
    sandbox.setMode({ mode: 'ok' });
    const group = (await groups()).find((g) => g.errorCode === 'provider_rejected')!;
    expect(group.open).toBe(3);
    const res = await postJson(base, '/admin/dead-letters/replay', { groupId: group.groupId }, ADMIN);
    expect(res.body).toMatchObject({ outcome: 'completed', untouched: 0, left: 0 });
    expect(res.body!.replayed).toHaveLength(3);
    for (const order of rejectedOrders) {
      await waitFor(async () => (await getJson(base, `/orders/${order.orderId}`)).body?.status === 'notified', {
        what: `order ${order.orderId} to be notified`,
      });
      expect(sandbox.messages().filter((m) => m.idempotencyKey === `order-confirmed:${order.orderId}`)).toHaveLength(1);
    }
    expect((await groups('?status=new')).find((g) => g.groupId === group.groupId)).toBeUndefined();
    const again = await postJson(base, '/admin/dead-letters/replay', { groupId: group.groupId }, ADMIN);
    expect(again.body).toMatchObject({ outcome: 'nothing_to_replay', replayed: [] });
  });
});
