// An operator flips order-rules-v2 with ZooKeeper's own zkCli.sh while orders flow: the running
// service follows within a second, orders after the flip take the new rule by their sticky bucket,
// the journal says which path each took, and a bad value typed into ZooKeeper changes nothing, not
// even for a process that starts while it is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/platform/runtime-switches/bucketing.js';
import { between, startOrderFlow, submitAll } from '../support/order-traffic.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN_TOKEN, adminRequest, metric, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { readNode, zkCliSet } from '../support/zookeeper.js';

const SWITCH = 'order-rules-v2';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let path: string;

beforeAll(async () => {
  ctx = await createTestContext('switch-flip', { ADMIN_TOKEN });
  path = `${ctx.config.ZK_ROOT}/switches/${SWITCH}`;
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

/** How the business actor priced each order, from the orders table and its journal. */
async function pricing(orderIds: string[]) {
  const ids = await waitFor(
    async () => {
      const rows = await ctx.db.selectFrom('orders').select('order_id').where('order_id', 'in', orderIds).execute();
      return rows.length === orderIds.length ? orderIds : undefined;
    },
    { what: `${orderIds.length} orders to be processed` },
  );
  const rows = await ctx.db.selectFrom('orders').select(['order_id', 'rule_version', 'shipping_fee']).where('order_id', 'in', ids).execute();
  const journal = await ctx.db
    .selectFrom('order_journal')
    .select(['order_id', 'detail'])
    .where('order_id', 'in', ids)
    .where('event', '=', 'order.processed')
    .execute();
  const paths = new Map(journal.map((j) => [j.order_id, j.detail]));
  return new Map(rows.map((r) => [r.order_id, { ruleVersion: r.rule_version, shippingFee: r.shipping_fee, journal: paths.get(r.order_id) }]));
}

describe('order-rules-v2 flipped with zkCli.sh', () => {
  it('reaches the running service within a second, and orders after the flip take the new path', async () => {
    const before = Array.from({ length: 20 }, () => between());
    await submitAll(service.baseUrl, before);
    for (const p of (await pricing(before.map((o) => o.orderId))).values()) {
      expect(p).toMatchObject({ ruleVersion: 1, shippingFee: 3_000, journal: { switch: SWITCH, path: 'old' } });
    }

    const flow = startOrderFlow(service.baseUrl);
    await new Promise((r) => setTimeout(r, 300));
    await zkCliSet(ctx.config.ZK_CONNECT, path, '25');
    // Timed from zkCli.sh's exit, which comes after its write: the service sees it sooner than this.
    await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 25, { timeoutMs: 1_000, intervalMs: 20, what: 'the service to see 25' });
    await new Promise((r) => setTimeout(r, 300));
    const flowed = await flow.stop();

    const after = Array.from({ length: 200 }, () => between());
    await submitAll(service.baseUrl, after);
    const priced = await pricing(after.map((o) => o.orderId));
    let onNewPath = 0;
    for (const order of after) {
      const v2 = bucketOf(SWITCH, order.orderId) < 25;
      if (v2) onNewPath++;
      expect(priced.get(order.orderId)).toEqual({
        ruleVersion: v2 ? 2 : 1,
        shippingFee: v2 ? 0 : 3_000,
        journal: expect.objectContaining({ switch: SWITCH, path: v2 ? 'new' : 'old' }) as unknown,
      });
    }
    expect(onNewPath).toBeGreaterThan(0);

    // Nothing that flowed during the flip was lost, and none left its bucket's side.
    const flowedPricing = await pricing(flowed.map((f) => f.orderId));
    expect(flowed.length).toBeGreaterThan(5);
    for (const f of flowed) {
      if (bucketOf(SWITCH, f.orderId) >= 25) expect(flowedPricing.get(f.orderId)?.ruleVersion).toBe(1);
    }

    // The direct write is in the audit, recorded by the process that observed it.
    const history = await adminRequest(service.baseUrl, 'GET', `/admin/switches/${SWITCH}/history`);
    expect(history.body?.changes).toContainEqual(expect.objectContaining({ oldValue: '0', newValue: '25', source: 'zookeeper-observed' }));
  });

  it('ignores a bad value written with zkCli.sh and keeps the last good one', async () => {
    await zkCliSet(ctx.config.ZK_CONNECT, path, '25');
    await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 25);

    for (const bad of ['banana', '150']) {
      await zkCliSet(ctx.config.ZK_CONNECT, path, bad);
      const seen = await waitFor(
        async () => {
          const res = await adminRequest<{ rejected?: { raw: string } }>(service.baseUrl, 'GET', `/admin/switches/${SWITCH}`);
          return res.body?.rejected?.raw === bad ? res.body : undefined;
        },
        { what: `the service to notice ${bad}` },
      );
      expect(seen).toMatchObject({ value: 25, rejected: { raw: bad, reason: expect.stringContaining('whole percentage') as unknown } });
      expect((await readNode(ctx.config.ZK_CONNECT, path)).data).toBe(bad);
    }

    // Counted for the operators' dashboards, while the value in effect stays 25.
    expect(await metric(service.baseUrl, `order_actors_switch_invalid_total{name="${SWITCH}"}`)).toBe(2);
    expect(await metric(service.baseUrl, `order_actors_switch_value{name="${SWITCH}"}`)).toBe(25);

    const orders = Array.from({ length: 40 }, () => between());
    await submitAll(service.baseUrl, orders);
    const priced = await pricing(orders.map((o) => o.orderId));
    for (const order of orders) expect(priced.get(order.orderId)?.ruleVersion).toBe(bucketOf(SWITCH, order.orderId) < 25 ? 2 : 1);

    // A process that starts while the node still holds the bad value serves the last good one the
    // audit recorded (25), not the code default (0), and shows the value it refused.
    const late = await startTestService(ctx, sandbox, { ROLE: 'intake' });
    try {
      expect(await adminRequest(late.baseUrl, 'GET', `/admin/switches/${SWITCH}`)).toMatchObject({
        status: 200,
        body: { value: 25, source: 'remembered', rejected: { raw: '150' } },
      });
    } finally {
      await late.stop();
    }

    // A good value afterwards is taken again and clears the warning.
    await zkCliSet(ctx.config.ZK_CONNECT, path, '0');
    await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 0);
    expect((await adminRequest(service.baseUrl, 'GET', `/admin/switches/${SWITCH}`)).body?.rejected).toBeUndefined();
  });
});
