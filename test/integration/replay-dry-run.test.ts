// A replay's dry run, the way an operator uses it before replaying: per message the path the
// switches would pick, whether the buyer was already told, whether it would fail the same checks
// again and whether it can be replayed at all; a summary; and nothing changed — no publish, no
// status change, no audit columns set.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { takesNewPath } from '../../src/platform/runtime-switches/bucketing.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { adminRequest } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

type Row = { id: number; status: string; actor: string; errorCode: string; orderId: string | null; fingerprint: string };
type Judged = Record<string, unknown> & { id: number };

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let base: string;

const told = makeOrder();
const untold = makeOrder();
const conflicting = makeOrder();
const invalid = makeOrder();
const masked = makeOrder();
const byOrder = new Map<string, Row>();

const rows = async (): Promise<Row[]> => (await getJson(base, '/admin/dead-letters?limit=500', ADMIN)).body!.items as Row[];
const dryRun = (body: Record<string, unknown>, headers: Record<string, string> = ADMIN) =>
  postJson(base, '/admin/dead-letters/replay', { dryRun: true, ...body }, headers);
const flip = async (name: string, value: string | number) => {
  expect((await adminRequest(base, 'PUT', `/admin/switches/${name}`, { value }, ADMIN)).status).toBe(200);
  await waitFor(async () => (await getJson(base, `/admin/switches/${name}`, ADMIN)).body?.value === value, { what: `${name} to read ${value}` });
};

beforeAll(async () => {
  ctx = await createTestContext('replay-dry-run', { ADMIN_TOKEN, MAX_ATTEMPTS: '2', DEAD_LETTER_BATCH_INTERVAL_MS: '200' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  base = service.baseUrl;
  broker = await openBroker(ctx);
  const businessQueue = `${ctx.config.QUEUE_PREFIX}.business`;

  // Two confirmations the messaging API refuses; then one of those buyers is told after all (its
  // order resubmitted once the API accepts again), so its dead letter concerns a buyer already told.
  sandbox.setMode({ mode: 'reject' });
  for (const order of [told, untold]) expect((await postJson(base, '/orders', order)).status).toBe(202);
  await waitFor(async () => (await rows()).length === 2, { what: 'two refused confirmations to be stored' });
  sandbox.setMode({ mode: 'ok' });
  expect((await postJson(base, '/orders', told)).status).toBe(202);
  await waitFor(() => sandbox.messages().some((m) => m.idempotencyKey === `order-confirmed:${told.orderId}`), {
    what: 'the resubmitted order to be confirmed',
  });
  // An order resubmitted with other content (valid, refused by the business step) and two that fail their contract.
  expect((await postJson(base, '/orders', conflicting)).status).toBe(202);
  await waitFor(() => sandbox.messages().some((m) => m.idempotencyKey === `order-confirmed:${conflicting.orderId}`), {
    what: 'the first order to be confirmed',
  });
  expect((await postJson(base, '/orders', { ...conflicting, items: [{ ...conflicting.items[0]!, quantity: 3 }] })).status).toBe(202);
  for (const order of [invalid, masked]) {
    await broker.publish(businessQueue, JSON.stringify({ ...orderSubmitted(order), channel: 'fax' }), {
      contentType: 'application/json',
      headers: { 'x-order-id': order.orderId },
    });
  }
  await waitFor(async () => (await rows()).length === 5, { what: 'five failed messages to be stored' });
  for (const r of await rows()) byOrder.set(r.orderId!, r);
  // As the retention step does after DEAD_LETTER_PII_DAYS.
  await sql`update failed_messages set pii_masked_at = now() where id = ${byOrder.get(masked.orderId)!.id}`.execute(ctx.db);

  await flip('order-rules-v2', 50);
  await flip('notification-template-v2', 100);
  // Paused actors leave anything published in their queues, where the tests would see it.
  await flip('business-actor-paused', 'on');
  await flip('notification-actor-paused', 'on');
});

afterAll(async () => {
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

describe('a dry run of a replay', () => {
  it('says per message what a replay would do now, and sums it up', async () => {
    const res = await dryRun({ filter: { since: '2000-01-01T00:00:00Z' } });
    expect(res.status).toBe(200);
    const messages = res.body!.messages as Judged[];
    const of = (orderId: string, actor: string) => messages.find((m) => m.orderId === orderId && m.actor === actor);
    const template = { name: 'template-order-confirmed-v2', switch: { name: 'notification-template-v2', value: 100, newPath: true } };
    expect(of(told.orderId, 'notification')).toMatchObject({
      replayable: true,
      validation: { passes: true },
      path: template,
      buyerAlreadyTold: true,
      type: 'notification.requested',
    });
    expect(of(untold.orderId, 'notification')).toMatchObject({ replayable: true, validation: { passes: true }, path: template, buyerAlreadyTold: false });
    const v2 = takesNewPath('order-rules-v2', conflicting.orderId, 50);
    expect(of(conflicting.orderId, 'business')).toMatchObject({
      errorCode: 'order_conflict',
      replayable: true,
      validation: { passes: true },
      path: { name: `pricing-rule-v${v2 ? 2 : 1}`, switch: { name: 'order-rules-v2', value: 50, newPath: v2 } },
      buyerAlreadyTold: true,
    });
    expect(of(invalid.orderId, 'business')).toMatchObject({
      replayable: true,
      validation: { passes: false, errorCode: 'invalid_message', sameAsBefore: true, message: expect.stringContaining('channel') as unknown },
      path: null,
      buyerAlreadyTold: null,
    });
    expect(of(masked.orderId, 'business')).toMatchObject({ replayable: false, notReplayable: { code: 'pii_masked' }, validation: null, queue: null });
    expect(res.body!.summary).toEqual({
      messages: 5,
      replayable: 4,
      byPath: { 'template-order-confirmed-v2': 2, [`pricing-rule-v${v2 ? 2 : 1}`]: 1 },
      alreadyTold: 2,
      wouldFailValidation: 1,
      notReplayable: 1,
    });
    expect(res.body).toMatchObject({ dryRun: true, truncated: false, message: expect.stringContaining('nothing was replayed') as unknown });
  });

  it('takes a group or named rows; named rows are shown whatever their status', async () => {
    const refused = byOrder.get(untold.orderId)!;
    const group = await dryRun({ groupId: refused.fingerprint });
    expect((group.body!.messages as Judged[]).map((m) => m.orderId).sort()).toEqual([told.orderId, untold.orderId].sort());
    const named = await dryRun({ ids: [byOrder.get(masked.orderId)!.id, refused.id] });
    expect((named.body!.messages as Judged[]).map((m) => m.id)).toEqual([refused.id, byOrder.get(masked.orderId)!.id].sort((a, b) => a - b));
    expect(named.body!.summary).toMatchObject({ messages: 2, replayable: 1, notReplayable: 1 });
  });

  it('changes nothing: no publish, no status change, no audit', async () => {
    const before = await rows();
    const sent = sandbox.messages().length;
    await dryRun({ filter: { since: '2000-01-01T00:00:00Z' } });
    await dryRun({ ids: before.map((r) => r.id) });
    // The actors are paused: a publish would wait in its queue. Give a stray one time to land.
    await new Promise((r) => setTimeout(r, 300));
    for (const queue of ['business', 'notification']) expect(await broker.depth(`${ctx.config.QUEUE_PREFIX}.${queue}`)).toBe(0);
    expect(await rows()).toEqual(before);
    const audit = await sql<{
      n: string;
    }>`select count(*) as n from failed_messages where replayed_at is not null or replayed_by is not null or discarded_at is not null`.execute(ctx.db);
    expect(Number(audit.rows[0]!.n)).toBe(0);
    expect(sandbox.messages()).toHaveLength(sent);
  });

  it('answers 400 for a selection it cannot take and 404 for rows that do not exist', async () => {
    for (const body of [{}, { ids: [] }, { ids: [1], groupId: '0123456789abcdef' }, { filter: {} }, { ids: ['one'] }, { dryRun: 'yes', ids: [1] }]) {
      const res = await dryRun(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_failed' });
    }
    const missing = await dryRun({ ids: [987_654_321] });
    expect(missing).toMatchObject({ status: 404, body: { error: 'not_found', message: expect.stringContaining('987654321') as unknown } });
  });

  it('answers 401 without the admin token', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-at-all' }] as Array<Record<string, string>>) {
      expect((await dryRun({ filter: { since: '2000-01-01T00:00:00Z' } }, headers)).status).toBe(401);
    }
  });
});
