// ZooKeeper stops while orders flow (a private server of this test: the shared one on 2181 is never
// touched): the service keeps pricing with the last values it had, a process started during the
// outage comes up on the last values in the switch audit (not the code defaults) and says so, and
// once ZooKeeper is back, for longer than a
// session lasts, both pick up its values and any flip made after it, without a restart. Then the
// network fails instead of the server: cut long enough for the session to expire, and blackholed
// (the connection stays open, nothing arrives), which the client library alone never notices.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../src/bin/start-service.js';
import { KNOWN_SWITCHES } from '../../src/known-switches.js';
import { createZookeeperSwitches } from '../../src/switch-admin/zookeeper-switches.js';
import { startTcpProxy } from '../faults/support/tcp-proxy.js';
import { startOrderFlow } from '../support/order-traffic.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN_TOKEN, adminRequest, metric, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { startPrivateZooKeeper, zkCliSet, type PrivateZooKeeper } from '../support/zookeeper.js';

const SWITCH = 'order-rules-v2';
const PAUSE = 'notification-actor-paused';
const SESSION_MS = 2_000;

let zk: PrivateZooKeeper;
let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let path: string;
let pausePath: string;

beforeAll(async () => {
  zk = await startPrivateZooKeeper();
  ctx = await createTestContext('switch-zk-outage', {
    ADMIN_TOKEN,
    ZK_CONNECT: zk.connect,
    ZK_SESSION_TIMEOUT_MS: String(SESSION_MS),
    ZK_START_TIMEOUT_MS: '2000',
  });
  path = `${ctx.config.ZK_ROOT}/switches/${SWITCH}`;
  pausePath = `${ctx.config.ZK_ROOT}/switches/${PAUSE}`;
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  // The tree goes with the private server's data folder.
  await ctx?.cleanup();
  await zk?.remove();
});

const ruleVersions = async (ids: string[]) =>
  new Map(
    (await ctx.db.selectFrom('orders').select(['order_id', 'rule_version']).where('order_id', 'in', ids).execute()).map((r) => [r.order_id, r.rule_version]),
  );

describe('ZooKeeper stopped while orders flow', () => {
  it('serves the last values through the outage and picks up a flip made after it returns, without a restart', async () => {
    await zkCliSet(zk.connect, path, '100');
    // Notifications held by their pause switch (the test looks at pricing only): a process started
    // during the outage must keep them held.
    await zkCliSet(zk.connect, pausePath, 'on');
    await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 100, { what: 'the service to see 100' });
    await waitFor(async () => (await switchValue(service.baseUrl, PAUSE)) === 'on', { what: 'the service to see the pause' });
    const audited = async (name: string, value: string) =>
      (await ctx.db.selectFrom('switch_changes').select('id').where('switch_name', '=', name).where('new_value', '=', value).executeTakeFirst())
        ? true
        : undefined;
    await waitFor(async () => (await audited(SWITCH, '100')) && audited(PAUSE, 'on'), { what: 'the audit to record both values' });

    const flow = startOrderFlow(service.baseUrl, 50);
    await new Promise((r) => setTimeout(r, 500));

    await zk.stop();
    const stoppedAt = Date.now();
    await waitFor(async () => (await adminRequest(service.baseUrl, 'GET', '/admin/switches')).body?.stale === true, { what: 'the switches to report stale' });
    await waitFor(async () => (await metric(service.baseUrl, 'order_actors_switch_stale')) === 1, { what: 'the stale gauge' });
    // A flip cannot be made now, and says why instead of hanging.
    const refused = await adminRequest(service.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, { value: 50 });
    expect(refused).toMatchObject({ status: 503, body: { error: 'switches_unavailable' } });

    // A process that starts now cannot read ZooKeeper: it serves the last values the audit recorded
    // (100 and the pause, seen by the running service), not the code defaults (0 and off), says so,
    // shows them in its metrics, and its notification actor stays paused.
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const late = await startService(ctx.configWith({ ROLE: 'all', NOTIFY_API_URL: sandbox.url }), logger);
    const lateUrl = `http://127.0.0.1:${late.port}`;
    const lateActor = (name: string) => late.actors.find((a) => a.name === name)!;
    try {
      expect(await adminRequest(lateUrl, 'GET', `/admin/switches/${SWITCH}`)).toMatchObject({
        status: 200,
        body: { value: 100, source: 'remembered', stale: true },
      });
      expect(await adminRequest(lateUrl, 'GET', `/admin/switches/${PAUSE}`)).toMatchObject({ status: 200, body: { value: 'on', source: 'remembered' } });
      expect(lines.some((l) => l.includes('serving the last switch values recorded in the audit'))).toBe(true);
      expect(await metric(lateUrl, `order_actors_switch_value{name="${SWITCH}"}`)).toBe(100);
      expect(await metric(lateUrl, `order_actors_switch_value{name="${PAUSE}"}`)).toBe(1);
      await waitFor(() => lateActor('business').isConsuming(), { what: 'the late business actor to consume' });
      expect(lateActor('notification').isConsuming()).toBe(false);

      // Outlast the session, so that the old sessions are gone when ZooKeeper comes back.
      const outage = SESSION_MS * 2 - (Date.now() - stoppedAt);
      if (outage > 0) await new Promise((r) => setTimeout(r, outage));
      await zk.start();
      const restartedAt = Date.now();

      // The late process reads ZooKeeper itself; the flip after the restart reaches both.
      await waitFor(async () => (await adminRequest(lateUrl, 'GET', `/admin/switches/${SWITCH}`)).body?.source === 'store', {
        timeoutMs: 20_000,
        what: 'the late process to read ZooKeeper',
      });
      expect(await switchValue(lateUrl, SWITCH)).toBe(100);
      await zkCliSet(zk.connect, path, '0');
      await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 0, { timeoutMs: 20_000, what: 'the service to see the flip to 0' });
      await waitFor(async () => (await switchValue(lateUrl, SWITCH)) === 0, { timeoutMs: 20_000, what: 'the late process to see the flip to 0' });
      const flippedAt = Date.now();
      expect((await adminRequest(service.baseUrl, 'GET', '/admin/switches')).body?.stale).toBe(false);
      await waitFor(async () => (await metric(service.baseUrl, 'order_actors_switch_stale')) === 0, { what: 'the stale gauge to clear' });
      await new Promise((r) => setTimeout(r, 500));
      const accepted = await flow.stop();

      // The pause switched off in ZooKeeper: the late process follows it, as it follows the flip.
      expect(lateActor('notification').isConsuming()).toBe(false);
      await zkCliSet(zk.connect, pausePath, 'off');
      await waitFor(() => lateActor('notification').isConsuming(), { what: 'the late notification actor to resume' });

      // Every accepted order was priced; those accepted while ZooKeeper was down on the last value (v2).
      const versions = await waitFor(
        async () => {
          const v = await ruleVersions(accepted.map((a) => a.orderId));
          return v.size === accepted.length ? v : undefined;
        },
        { what: 'every accepted order to be priced' },
      );
      const during = accepted.filter((a) => a.acceptedAt > stoppedAt && a.acceptedAt < restartedAt);
      const afterFlip = accepted.filter((a) => a.acceptedAt > flippedAt);
      expect(during.length).toBeGreaterThan(10);
      expect(afterFlip.length).toBeGreaterThan(0);
      for (const a of during) expect(versions.get(a.orderId)).toBe(2);
      for (const a of afterFlip) expect(versions.get(a.orderId)).toBe(1);
    } finally {
      await late.stop();
    }
  });
});

describe('ZooKeeper cut off by the network while it keeps running', () => {
  it('serves the last values, replaces the expired or silent session, and reads what changed meanwhile', async () => {
    const proxy = await startTcpProxy({ port: zk.port });
    const switches = createZookeeperSwitches(ctx.configWith({ ZK_CONNECT: `127.0.0.1:${proxy.port}` }), KNOWN_SWITCHES, ctx.logger);
    try {
      expect(await switches.start()).toEqual({ synced: true });
      await zkCliSet(zk.connect, path, '10');
      await waitFor(() => switches.get(SWITCH)?.value === 10);

      // Cut for two sessions: the server expires ours meanwhile; the client learns it on reconnecting.
      proxy.setMode({ mode: 'cut' });
      await waitFor(() => switches.isStale(), { what: 'stale after the cut' });
      await zkCliSet(zk.connect, path, '20');
      await new Promise((r) => setTimeout(r, SESSION_MS * 2));
      expect(switches.get(SWITCH)?.value).toBe(10);
      expect(switches.takesNewPath(SWITCH, 'any-order')).toBe(switches.takesNewPath(SWITCH, 'any-order'));
      proxy.setMode({ mode: 'pass' });
      await waitFor(() => switches.get(SWITCH)?.value === 20 && !switches.isStale(), { timeoutMs: 20_000, what: 'the change made during the cut' });

      // Blackholed: the old connection looks open but answers nothing, until probes give up on it.
      proxy.setMode({ mode: 'blackhole' });
      await waitFor(() => switches.isStale(), { what: 'stale in the blackhole' });
      await zkCliSet(zk.connect, path, '30');
      await new Promise((r) => setTimeout(r, SESSION_MS * 2));
      expect(switches.get(SWITCH)?.value).toBe(20);
      proxy.setMode({ mode: 'pass' });
      await waitFor(() => switches.get(SWITCH)?.value === 30 && !switches.isStale(), { timeoutMs: 20_000, what: 'the change made in the blackhole' });

      // And the new session watches again: a flip now arrives at once.
      await zkCliSet(zk.connect, path, '40');
      await waitFor(() => switches.get(SWITCH)?.value === 40, { timeoutMs: 1_000 });
    } finally {
      await switches.close();
      await proxy.close();
    }
  });
});
