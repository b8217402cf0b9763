// Operating switches: the admin routes (token required, values validated before anything is
// written, 404 for unknown switches), the CLI, one audit row per change however many processes saw
// it, and ZooKeeper ACLs that keep switches read-only for clients without ZK_AUTH.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_SWITCHES } from '../../src/known-switches.js';
import { createZookeeperSwitches } from '../../src/switch-admin/zookeeper-switches.js';
import { runCli } from '../support/cli.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN, ADMIN_TOKEN, adminRequest, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { readNode, removeTree, zkCli, zkCliSet } from '../support/zookeeper.js';

const SWITCH = 'order-rules-v2';

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let path: string;

beforeAll(async () => {
  ctx = await createTestContext('switch-admin', { ADMIN_TOKEN });
  path = `${ctx.config.ZK_ROOT}/switches/${SWITCH}`;
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  // The protected subtree needs the credential; ctx.cleanup removes the rest.
  if (ctx) await removeTree(ctx.config.ZK_CONNECT, ctx.config.ZK_ROOT, 'switch-admins:s3cret');
  await ctx?.cleanup();
});

type Listed = { stale: boolean; switches: Array<Record<string, unknown>> };
const history = async (name: string) =>
  (await adminRequest<{ changes: Array<Record<string, unknown>> }>(service.baseUrl, 'GET', `/admin/switches/${name}/history`)).body!.changes;

describe('the admin switch routes', () => {
  it('answer 401 without the admin token, and change nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-the-admin-token-at-all' }] as Array<Record<string, string>>) {
      expect((await adminRequest(service.baseUrl, 'GET', '/admin/switches', undefined, headers)).status).toBe(401);
      expect((await adminRequest(service.baseUrl, 'GET', `/admin/switches/${SWITCH}/history`, undefined, headers)).status).toBe(401);
      const put = await adminRequest(service.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, { value: 100 }, headers);
      expect(put).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    }
    expect((await readNode(ctx.config.ZK_CONNECT, path)).data).toBe('0');
  });

  it('list every switch with value, default, kind and description', async () => {
    const res = await adminRequest<Listed>(service.baseUrl, 'GET', '/admin/switches');
    expect(res.status).toBe(200);
    expect(res.body?.stale).toBe(false);
    expect(res.body?.switches.map((s) => [s.name, s.value, s.default, s.kind])).toEqual([
      ['business-actor-paused', 'off', 'off', 'onoff'],
      ['notification-actor-paused', 'off', 'off', 'onoff'],
      ['notification-template-v2', 0, 0, 'percent'],
      ['order-rules-v2', 0, 0, 'percent'],
    ]);
    // Created with their defaults at first start, and recorded as such.
    expect(res.body?.switches[3]).toMatchObject({
      source: 'store',
      description: expect.stringContaining('rule v2') as unknown,
      lastChange: { newValue: '0', source: 'zookeeper-observed' },
    });
  });

  it('flip a switch with PUT, audited with who, why and old → new', async () => {
    const res = await adminRequest(
      service.baseUrl,
      'PUT',
      `/admin/switches/${SWITCH}`,
      { value: '25', reason: 'a quarter of orders on rules v2' },
      { ...ADMIN, 'x-operator': 'alice' },
    );
    expect(res).toMatchObject({ status: 200, body: { name: SWITCH, previous: '0', value: 25 } });
    expect((await readNode(ctx.config.ZK_CONNECT, path)).data).toBe('25');
    expect(await switchValue(service.baseUrl, SWITCH)).toBe(25);
    const [last] = await history(SWITCH);
    expect(last).toMatchObject({
      oldValue: '0',
      newValue: '25',
      source: 'rest',
      reason: 'a quarter of orders on rules v2',
      actor: expect.stringMatching(/^alice \(token [0-9a-f]{8}\)$/) as unknown,
    });
    // The service also observed its own write: still one row for the change.
    await new Promise((r) => setTimeout(r, 300));
    expect((await history(SWITCH)).filter((c) => c.newValue === '25')).toHaveLength(1);
  });

  it('refuse a bad value with 400 and the reason, before writing anything', async () => {
    for (const value of ['banana', 150, 'on', -1, 2.5]) {
      const res = await adminRequest(service.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, { value });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        error: 'validation_failed',
        issues: [{ path: 'value', message: expect.stringContaining(`"${value}" is not a valid value`) as unknown }],
      });
    }
    expect((await adminRequest(service.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, {})).status).toBe(400);
    expect((await adminRequest(service.baseUrl, 'PUT', '/admin/switches/business-actor-paused', { value: 50 })).status).toBe(400);
    expect((await readNode(ctx.config.ZK_CONNECT, path)).data).toBe('25');
    expect(await history(SWITCH)).toHaveLength(2);
  });

  it('answer 404 for a switch that does not exist', async () => {
    expect((await adminRequest(service.baseUrl, 'GET', '/admin/switches/no-such-switch')).status).toBe(404);
    const put = await adminRequest(service.baseUrl, 'PUT', '/admin/switches/no-such-switch', { value: 'on' });
    expect(put).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await adminRequest(service.baseUrl, 'GET', '/admin/switches/no-such-switch/history')).status).toBe(404);
  });
});

describe('the switches CLI', () => {
  it('lists, gets, sets (validated, audited) and shows history', async () => {
    const set = await runCli(ctx.config, ['switches', 'set', SWITCH, '30', '--as', 'bob', '--reason', 'ramp on']);
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain(`${SWITCH}: 25 → 30`);
    await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 30);

    const bad = await runCli(ctx.config, ['switches', 'set', SWITCH, 'banana']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"banana" is not a valid value');
    expect((await readNode(ctx.config.ZK_CONNECT, path)).data).toBe('30');

    const list = await runCli(ctx.config, ['switches', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/NAME +VALUE +DEFAULT +KIND +LAST CHANGE/);
    expect(list.stdout).toMatch(new RegExp(`${SWITCH} +30 +0 +percent +\\S+ 25 → 30 via cli by bob`));

    const json = JSON.parse((await runCli(ctx.config, ['switches', 'list', '--json'])).stdout) as Listed;
    expect(json.switches.find((s) => s.name === SWITCH)).toMatchObject({ value: 30, lastChange: { source: 'cli', actor: 'bob' } });

    const get = await runCli(ctx.config, ['switches', 'get', SWITCH]);
    expect(get.stdout).toMatch(/value: +30 \(percent; default 0\)/);

    const hist = await runCli(ctx.config, ['switches', 'history', SWITCH]);
    const lines = hist.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/AT +CHANGE +SOURCE +ACTOR +WHY/);
    expect(lines.slice(1).map((l) => l.split(/ {2,}/).slice(1))).toEqual([
      ['25 → 30', 'cli', 'bob', 'ramp on'],
      ['0 → 25', 'rest', expect.stringContaining('alice') as unknown, 'a quarter of orders on rules v2'],
      ['(none) → 0', 'zookeeper-observed', 'order-actors (created with the default)'],
    ]);

    const unknown = await runCli(ctx.config, ['switches', 'get', 'no-such-switch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No switch named "no-such-switch"');
    // Each run is a fresh Node process compiling TypeScript: slow on a busy 2-core machine.
  }, 120_000);
});

describe('changes made directly in ZooKeeper', () => {
  it('are recorded once however many processes observe them', async () => {
    const second = await startTestService(ctx, sandbox, { ROLE: 'intake' });
    try {
      await zkCliSet(ctx.config.ZK_CONNECT, path, '40');
      await waitFor(async () => (await switchValue(service.baseUrl, SWITCH)) === 40 && (await switchValue(second.baseUrl, SWITCH)) === 40);
      await waitFor(async () => (await history(SWITCH))[0]?.newValue === '40');
      await new Promise((r) => setTimeout(r, 500));
      const rows = (await history(SWITCH)).filter((c) => c.newValue === '40');
      expect(rows).toEqual([expect.objectContaining({ oldValue: '30', source: 'zookeeper-observed', actor: 'zookeeper (direct write)' })]);
    } finally {
      await second.stop();
    }
  });
});

describe('with ZK_AUTH', () => {
  it('creates switches that everyone can read and only holders of the credential can change', async () => {
    const config = ctx.configWith({ ZK_ROOT: `${ctx.config.ZK_ROOT}/protected`, ZK_AUTH: 'switch-admins:s3cret' });
    const protectedPath = `${config.ZK_ROOT}/switches/${SWITCH}`;
    const switches = createZookeeperSwitches(config, KNOWN_SWITCHES, ctx.logger);
    try {
      expect(await switches.start()).toEqual({ synced: true });
      const node = await readNode(ctx.config.ZK_CONNECT, protectedPath);
      // digest holder: all permissions (31); world: read (1).
      expect(node).toEqual({ data: '0', acl: ['digest:switch-admins:31', 'world:anyone:1'] });

      const refused = await zkCli(ctx.config.ZK_CONNECT, ['set', protectedPath, '100']);
      expect(refused.code).not.toBe(0);
      expect(`${refused.stdout}${refused.stderr}`).toMatch(/Insufficient permission|NoAuth/);
      expect((await readNode(ctx.config.ZK_CONNECT, protectedPath)).data).toBe('0');

      // The credential holder can, through the CLI or an authenticated zkCli.sh session.
      const set = await runCli(config, ['switches', 'set', SWITCH, '10', '--as', 'carol']);
      expect(set).toMatchObject({ code: 0 });
      await waitFor(() => switches.get(SWITCH)?.value === 10);
      const withAuth = await zkCli(ctx.config.ZK_CONNECT, [], `addauth digest switch-admins:s3cret\nset ${protectedPath} 20\nquit\n`);
      expect(withAuth.code).toBe(0);
      await waitFor(() => switches.get(SWITCH)?.value === 20);
    } finally {
      await switches.close();
    }
  });
});
