// The blast radius of a switch flip before it is made: how many of the last orders a new value
// would move (exactly the buckets between the two values, by the runtime's bucketing), how many
// waiting messages it would touch, the depths a pause would stop — and that asking flips nothing,
// audits nothing and takes nothing off a queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { bucketOf } from '../../src/platform/runtime-switches/bucketing.js';
import { openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { serviceForThisFile } from '../support/service-harness.js';
import { storeOrders } from '../support/stored-orders.js';
import { ADMIN, ADMIN_TOKEN, adminRequest, switchValue } from '../support/switch-admin.js';
import { waitFor } from '../support/wait-for.js';
import { readNode } from '../support/zookeeper.js';

type Preview = Record<string, unknown> & {
  orders: { last: number; considered: number; wouldChange: number; sample: string[] };
  waiting: { actor: string; queues: Array<{ queue: string; messages: number }>; messages: number; wouldChange: number; basis: string; considered?: number };
};

const file = serviceForThisFile('switch-preview', { ADMIN_TOKEN });
let broker: Broker;
let ids: string[];
let businessQueue: string;

const preview = <T = Preview>(name: string, query: string, headers: Record<string, string> = ADMIN) =>
  adminRequest<T>(file.service.baseUrl, 'GET', `/admin/switches/${name}/preview?${query}`, undefined, headers);
const flip = async (name: string, value: string | number) => {
  expect((await adminRequest(file.service.baseUrl, 'PUT', `/admin/switches/${name}`, { value })).status).toBe(200);
  await waitFor(async () => (await switchValue(file.service.baseUrl, name)) === value, { what: `${name} to read ${value}` });
};
const inBuckets = (name: string, from: number, to: number) => ids.filter((id) => bucketOf(name, id) >= from && bucketOf(name, id) < to);

beforeAll(async () => {
  broker = await openBroker(file.ctx);
  businessQueue = `${file.ctx.config.QUEUE_PREFIX}.business`;
  // Stored as the business step stores them; none has been confirmed yet.
  ids = await storeOrders(file.ctx.db, { idPrefix: `P${file.ctx.id.slice(-6)}`, count: 2_000 });
});

afterAll(async () => {
  await broker?.close();
});

describe('previewing a percentage', () => {
  it('counts exactly the last orders whose bucket lies between the current and the new value', async () => {
    const res = await preview('order-rules-v2', 'value=30');
    expect(res.status).toBe(200);
    const moving = inBuckets('order-rules-v2', 0, 30);
    expect(res.body).toMatchObject({ name: 'order-rules-v2', kind: 'percent', current: 0, value: 30, direction: 'old-to-new', buckets: { from: 0, to: 30 } });
    expect(res.body!.orders).toMatchObject({ last: 10_000, considered: 2_000, wouldChange: moving.length });
    expect(res.body!.orders.sample).toHaveLength(20);
    for (const id of res.body!.orders.sample) expect(moving).toContain(id);
  });

  it('going down moves back exactly the orders between the two values', async () => {
    await flip('order-rules-v2', 30);
    const res = await preview('order-rules-v2', 'value=10');
    expect(res.body).toMatchObject({ current: 30, value: 10, direction: 'new-to-old', buckets: { from: 10, to: 30 } });
    expect(res.body!.orders.wouldChange).toBe(inBuckets('order-rules-v2', 10, 30).length);
    expect((await preview('order-rules-v2', 'value=30')).body).toMatchObject({ direction: 'none', orders: { wouldChange: 0, sample: [] } });
  });

  it('looks at the last N orders only', async () => {
    const res = await preview('order-rules-v2', 'value=100&last=100');
    expect(res.body!.orders).toMatchObject({ last: 100, considered: 100 });
    expect(res.body!.orders.wouldChange).toBeLessThanOrEqual(100);
  });

  it('counts the waiting confirmations from the orders not yet notified', async () => {
    const res = await preview('notification-template-v2', 'value=50');
    expect(res.body!.waiting).toMatchObject({
      actor: 'notification',
      basis: 'unnotified-orders',
      considered: 2_000,
      wouldChange: inBuckets('notification-template-v2', 0, 50).length,
    });
  });
});

describe("previewing with messages waiting in a paused actor's queue", () => {
  it('estimates the waiting business messages from the queue depth, answers a pause with the depths, and disturbs none of it', async () => {
    await flip('business-actor-paused', 'on');
    const waiting = Array.from({ length: 10 }, () => makeOrder());
    await broker.publishAll(
      businessQueue,
      waiting.map((o) => ({ body: JSON.stringify(orderSubmitted(o)), options: { contentType: 'application/json', headers: { 'x-order-id': o.orderId } } })),
    );
    await waitFor(async () => (await broker.depth(businessQueue)) === 10, { what: 'ten waiting orders' });
    const history = async () =>
      (await adminRequest<{ changes: unknown[] }>(file.service.baseUrl, 'GET', '/admin/switches/business-actor-paused/history')).body!.changes.length;
    const changes = await history();

    const rules = await preview('order-rules-v2', 'value=80');
    expect(rules.body!.waiting).toMatchObject({
      actor: 'business',
      queues: [{ queue: businessQueue, messages: 10 }],
      messages: 10,
      basis: 'queue-depth-share',
      wouldChange: 5,
    });
    const resume = await preview('business-actor-paused', 'value=off');
    expect(resume.body).toMatchObject({
      kind: 'onoff',
      current: 'on',
      value: 'off',
      effect: 'resume',
      actor: 'business',
      queues: [{ queue: businessQueue, messages: 10 }],
      messages: 10,
    });
    expect((await preview('business-actor-paused', 'value=on')).body).toMatchObject({ effect: 'none' });
    expect((await preview('notification-actor-paused', 'value=on')).body).toMatchObject({ effect: 'pause', actor: 'notification' });

    expect(await broker.depth(businessQueue)).toBe(10);
    expect(await switchValue(file.service.baseUrl, 'business-actor-paused')).toBe('on');
    expect(await switchValue(file.service.baseUrl, 'order-rules-v2')).toBe(30);
    expect((await readNode(file.ctx.config.ZK_CONNECT, `${file.ctx.config.ZK_ROOT}/switches/notification-actor-paused`)).data).toBe('off');
    expect(await history()).toBe(changes);

    await flip('business-actor-paused', 'off');
    await waitFor(async () => (await broker.depth(businessQueue)) === 0, { what: 'the waiting orders to be taken' });
  });
});

describe('a preview it cannot make', () => {
  it('answers 400 naming value for a value that does not fit the switch, and for bad parameters', async () => {
    for (const [name, query] of [
      ['order-rules-v2', 'value=banana'],
      ['order-rules-v2', 'value=on'],
      ['order-rules-v2', 'value=150'],
      ['business-actor-paused', 'value=30'],
      ['order-rules-v2', ''],
    ]) {
      const res = await preview<{ error: string; issues: Array<{ path: string }> }>(name!, query!);
      expect(res.status, `${name}?${query}`).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_failed', issues: [{ path: 'value' }] });
    }
    for (const query of ['value=10&last=0', 'value=10&last=100001', 'value=10&last=many']) {
      expect((await preview<{ issues: Array<{ path: string }> }>('order-rules-v2', query)).body).toMatchObject({ issues: [{ path: 'last' }] });
    }
  });

  it('answers 404 for an unknown switch and 401 without the admin token', async () => {
    expect(await preview('no-such-switch', 'value=10')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-at-all' }] as Array<Record<string, string>>) {
      expect((await preview('order-rules-v2', 'value=10', headers)).status).toBe(401);
    }
  });
});
