// notification-template-v2 at 25%: about a quarter of orders get template v2, always the same
// ones (in every process, on retries, on a second run of the same orders), and raising the share to
// 50% only adds orders to v2, never takes one back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_SWITCHES } from '../../src/known-switches.js';
import type { Order } from '../../src/orders/order-schema.js';
import { bucketOf } from '../../src/platform/runtime-switches/bucketing.js';
import { createZookeeperSwitches } from '../../src/switch-admin/zookeeper-switches.js';
import { between, submitAll } from '../support/order-traffic.js';
import { uniqueOrderId } from '../support/orders.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN, ADMIN_TOKEN, adminRequest, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { zkCliSet } from '../support/zookeeper.js';

const SWITCH = 'notification-template-v2';

let ctx: TestContext;
let path: string;

beforeAll(async () => {
  ctx = await createTestContext('switch-percent', { ADMIN_TOKEN });
  path = `${ctx.config.ZK_ROOT}/switches/${SWITCH}`;
});

afterAll(async () => {
  await ctx?.cleanup();
});

describe('a percentage switch over 2,000 orders', () => {
  it('sends 20–30% to v2 at 25%, the same orders in every process and every time, and only adds orders at 50%', async () => {
    // Two processes' worth of switches on the same ZooKeeper root.
    const processes = [createZookeeperSwitches(ctx.config, KNOWN_SWITCHES, ctx.logger), createZookeeperSwitches(ctx.config, KNOWN_SWITCHES, ctx.logger)];
    try {
      for (const p of processes) expect(await p.start()).toEqual({ synced: true });
      const ids = Array.from({ length: 2_000 }, () => uniqueOrderId('P'));
      const split = (p: (typeof processes)[number]) => ids.filter((id) => p.takesNewPath(SWITCH, id));

      await zkCliSet(ctx.config.ZK_CONNECT, path, '25');
      await waitFor(() => processes.every((p) => p.get(SWITCH)?.value === 25));
      const at25 = split(processes[0]!);
      expect(at25.length / ids.length).toBeGreaterThanOrEqual(0.2);
      expect(at25.length / ids.length).toBeLessThanOrEqual(0.3);
      // Order by order: the other process, and the same process asked again (a retry, a replay).
      expect(split(processes[1]!)).toEqual(at25);
      expect(split(processes[0]!)).toEqual(at25);

      await zkCliSet(ctx.config.ZK_CONNECT, path, '50');
      await waitFor(() => processes.every((p) => p.get(SWITCH)?.value === 50));
      const at50 = new Set(split(processes[1]!));
      expect(at25.filter((id) => !at50.has(id))).toEqual([]);
      expect(at50.size / ids.length).toBeGreaterThanOrEqual(0.45);
      expect(at50.size / ids.length).toBeLessThanOrEqual(0.55);
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
  });
});

describe('a percentage switch through the running service', () => {
  const orders: Order[] = Array.from({ length: 120 }, () => between());
  const runs: Array<{ ctx: TestContext; sandbox: Sandbox; service: TestService }> = [];

  afterAll(async () => {
    for (const run of runs) {
      await run.service.stop();
      await run.sandbox.close();
      if (run.ctx !== ctx) await run.ctx.cleanup();
    }
  });

  /** A service with its own queues, schema and messaging sandbox, on this file's switches. */
  async function startRun(first: boolean) {
    const runCtx = first ? ctx : await createTestContext('switch-percent-run', { ADMIN_TOKEN, ZK_ROOT: ctx.config.ZK_ROOT });
    const sandbox = await startSandbox();
    const service = await startTestService(runCtx, sandbox);
    const run = { ctx: runCtx, sandbox, service };
    runs.push(run);
    return run;
  }

  /** Sends every order through a run and returns the template each buyer received. */
  async function templates(run: Awaited<ReturnType<typeof startRun>>): Promise<Map<string, string>> {
    await submitAll(run.service.baseUrl, orders);
    await waitFor(() => run.sandbox.messages().length >= orders.length, { timeoutMs: 30_000, what: 'every buyer to be told' });
    const sent = run.sandbox.messages();
    expect(sent).toHaveLength(orders.length);
    return new Map(sent.map((m) => [String(m.params.orderId), m.template]));
  }

  it('gives each order the template of its bucket, on retries too, and the same split on a second run', async () => {
    await zkCliSet(ctx.config.ZK_CONNECT, path, '25');
    const first = await startRun(true);
    await waitFor(async () => (await switchValue(first.service.baseUrl, SWITCH)) === 25);
    // The first sends fail: those orders are retried, and must keep their template.
    first.sandbox.setMode({ mode: 'fail', count: 10 });
    const firstRun = await templates(first);
    for (const order of orders) {
      expect(firstRun.get(order.orderId)).toBe(bucketOf(SWITCH, order.orderId) < 25 ? 'order-confirmed-v2' : 'order-confirmed');
    }
    expect([...firstRun.values()].filter((t) => t === 'order-confirmed-v2').length).toBeGreaterThan(0);
    const journal = await ctx.db
      .selectFrom('order_journal')
      .select(['order_id', 'event', 'detail'])
      .where('event', 'in', ['notification.failed', 'notification.sent'])
      .execute();
    const failed = journal.filter((j) => j.event === 'notification.failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.detail.template).toBe(firstRun.get(f.order_id));
    for (const s of journal.filter((j) => j.event === 'notification.sent')) {
      expect(s.detail).toMatchObject({ switch: SWITCH, path: firstRun.get(s.order_id) === 'order-confirmed-v2' ? 'new' : 'old' });
    }

    // The same orders again, through another deployment on the same switches.
    const second = await startRun(false);
    expect(await templates(second)).toEqual(firstRun);
  });

  it('moves no order back from v2 to v1 when raised to 50%', async () => {
    const flip = await adminRequest(runs[0]!.service.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, { value: 50 }, { ...ADMIN, 'x-operator': 'release-manager' });
    expect(flip).toMatchObject({ status: 200, body: { previous: '25', value: 50 } });
    const third = await startRun(false);
    await waitFor(async () => (await switchValue(third.service.baseUrl, SWITCH)) === 50);
    const at50 = await templates(third);
    const at25 = new Map([...runs[0]!.sandbox.messages()].map((m) => [String(m.params.orderId), m.template]));
    for (const order of orders) {
      if (at25.get(order.orderId) === 'order-confirmed-v2') expect(at50.get(order.orderId)).toBe('order-confirmed-v2');
      expect(at50.get(order.orderId)).toBe(bucketOf(SWITCH, order.orderId) < 50 ? 'order-confirmed-v2' : 'order-confirmed');
    }
    const v2 = (m: Map<string, string>) => [...m.values()].filter((t) => t === 'order-confirmed-v2').length;
    expect(v2(at50)).toBeGreaterThan(v2(at25));
  });
});
