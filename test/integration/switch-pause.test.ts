// The pause switches: while business-actor-paused or notification-actor-paused is on, that actor
// takes nothing and its messages wait in the queue (none lost, none dead-lettered); switched off,
// it drains the queue. Flipped through REST, the CLI and zkCli.sh, each audited.
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTopology, type Topology } from '../../src/platform/amqp/topology.js';
import { runCli } from '../support/cli.js';
import { between, submitAll } from '../support/order-traffic.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN_TOKEN, adminRequest } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { zkCliSet } from '../support/zookeeper.js';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let topology: Topology;
let connection: ChannelModel;
let channel: Channel;

beforeAll(async () => {
  ctx = await createTestContext('switch-pause', { ADMIN_TOKEN });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  topology = describeTopology({ prefix: ctx.config.QUEUE_PREFIX, retryDelaysMs: ctx.config.RETRY_DELAYS_MS, deliveryLimit: ctx.config.QUEUE_DELIVERY_LIMIT });
  connection = await amqp.connect(ctx.config.AMQP_URL);
  channel = await connection.createChannel();
});

afterAll(async () => {
  await channel?.close().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const depth = async (queue: string) => (await channel.checkQueue(queue)).messageCount;
const actor = (name: string) => service.actors.find((a) => a.name === name)!;
// One status per stored order: notified once its confirmation's delivery is recorded.
const orderStatuses = async (ids: string[]) =>
  (
    await ctx.db
      .selectFrom('orders as o')
      .leftJoin('deliveries as d', (join) => join.onRef('d.order_id', '=', 'o.order_id').on('d.kind', '=', 'order-confirmed'))
      .select('d.order_id as notified')
      .where('o.order_id', 'in', ids)
      .execute()
  ).map((r) => (r.notified === null ? 'processed' : 'notified'));

describe('business-actor-paused', () => {
  it('holds orders in the queue while on and processes every one after it is switched off', async () => {
    const on = await adminRequest(service.baseUrl, 'PUT', '/admin/switches/business-actor-paused', { value: 'on' });
    expect(on).toMatchObject({ status: 200, body: { previous: 'off', value: 'on' } });
    await waitFor(() => !actor('business').isConsuming(), { what: 'the business actor to stop consuming' });

    const orders = Array.from({ length: 50 }, () => between());
    await submitAll(service.baseUrl, orders);
    const ids = orders.map((o) => o.orderId);
    await waitFor(async () => (await depth(topology.actors.business.work)) === 50, { what: '50 orders waiting in the queue' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await depth(topology.actors.business.work)).toBe(50);
    expect(await orderStatuses(ids)).toEqual([]);

    const off = await runCli(ctx.config, ['switches', 'set', 'business-actor-paused', 'off', '--as', 'night-operator']);
    expect(off).toMatchObject({ code: 0 });
    expect(off.stdout).toContain('on → off');

    await waitFor(async () => (await orderStatuses(ids)).filter((s) => s === 'notified').length === 50, { timeoutMs: 30_000, what: 'all 50 orders notified' });
    expect(actor('business').isConsuming()).toBe(true);
    expect(await depth(topology.actors.business.work)).toBe(0);
    expect(await depth(topology.deadLetters)).toBe(0);
    for (const id of ids) expect(sandbox.messages().filter((m) => m.params.orderId === id)).toHaveLength(1);

    const history = await adminRequest<{ changes: unknown[] }>(service.baseUrl, 'GET', '/admin/switches/business-actor-paused/history');
    expect(history.body?.changes.slice(0, 2)).toEqual([
      expect.objectContaining({ oldValue: 'on', newValue: 'off', source: 'cli', actor: 'night-operator' }),
      expect.objectContaining({ oldValue: 'off', newValue: 'on', source: 'rest', actor: expect.stringContaining('admin (token') as unknown }),
    ]);
  });
});

describe('notification-actor-paused', () => {
  it('holds notifications while on (orders are still priced) and sends each exactly once after it is off', async () => {
    await zkCliSet(ctx.config.ZK_CONNECT, `${ctx.config.ZK_ROOT}/switches/notification-actor-paused`, 'on');
    await waitFor(() => !actor('notification').isConsuming(), { what: 'the notification actor to stop consuming' });

    const orders = Array.from({ length: 30 }, () => between());
    const ids = orders.map((o) => o.orderId);
    await submitAll(service.baseUrl, orders);
    await waitFor(async () => (await orderStatuses(ids)).length === 30, { what: 'the business actor to price all 30' });
    await waitFor(async () => (await depth(topology.actors.notification.work)) === 30, { what: '30 notifications waiting' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await depth(topology.actors.notification.work)).toBe(30);
    expect(sandbox.messages().filter((m) => ids.includes(String(m.params.orderId)))).toEqual([]);

    const off = await adminRequest(service.baseUrl, 'PUT', '/admin/switches/notification-actor-paused', { value: 'off' });
    expect(off).toMatchObject({ status: 200, body: { previous: 'on', value: 'off' } });
    await waitFor(async () => (await orderStatuses(ids)).filter((s) => s === 'notified').length === 30, { timeoutMs: 30_000, what: 'all 30 notified' });
    expect(await depth(topology.actors.notification.work)).toBe(0);
    expect(await depth(topology.deadLetters)).toBe(0);
    for (const id of ids) expect(sandbox.messages().filter((m) => m.params.orderId === id)).toHaveLength(1);
  });
});
