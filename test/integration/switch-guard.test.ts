// The rollback guard on the real ZooKeeper, PostgreSQL and RabbitMQ, with two processes sending
// notifications: when the messaging API refuses the new template, the guard counts the failures of
// both processes, flips the template switch back, audits the rollback with its figures and alerts;
// every buyer is still told exactly once (the retries take the old path). It then stays disarmed
// (no flapping) and holds back a scheduled raise until an operator re-arms it. When both paths fail
// alike it holds: rolling back would not help. Its routes need the admin token and say what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { runCli } from '../support/cli.js';
import { between, submitAll } from '../support/order-traffic.js';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN_TOKEN, adminRequest, metric, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const SWITCH = 'notification-template-v2';
const NEW_TEMPLATE = 'order-confirmed-v2';

let ctx: TestContext;
let sandbox: Sandbox;
let alerts: AlertReceiver;
let services: TestService[];

beforeAll(async () => {
  alerts = await startAlertReceiver();
  ctx = await createTestContext('switch-guard', {
    ADMIN_TOKEN,
    ALERT_WEBHOOK_URL: alerts.url,
    SWITCH_GUARD_INTERVAL_MS: '200',
    SWITCH_SCHEDULE_POLL_MS: '200',
    RETRY_DELAYS_MS: '300,600',
    MAX_ATTEMPTS: '6',
  });
  sandbox = await startSandbox();
  // Two processes send notifications: the guard must judge the failures of both.
  services = [await startTestService(ctx, sandbox), await startTestService(ctx, sandbox, { ROLE: 'notification' })];
});

afterAll(async () => {
  for (const s of services ?? []) await s.stop();
  await sandbox?.close();
  await alerts?.close();
  await ctx?.cleanup();
});

const base = () => services[0]!.baseUrl;
type Guard = {
  state: 'armed' | 'tripped';
  window: string;
  armedValue: number;
  trip: { from: number; to: number; check: { because: string } } | null;
  lastCheck: { verdict: string } | null;
  now: { verdict: string; newPath: { ok: number; failed: number } };
  events: Array<{ action: string; actor: string }>;
};
const guard = async () => (await adminRequest<Guard>(base(), 'GET', `/admin/switches/${SWITCH}/guard`)).body!;
const flip = (value: number) => adminRequest(base(), 'PUT', `/admin/switches/${SWITCH}`, { value });
const arm = (body: Record<string, unknown>) =>
  adminRequest<Guard>(base(), 'PUT', `/admin/switches/${SWITCH}/guard`, { window: '1m', minMessages: 10, reason: 'watch the v2 template', ...body });
const told = (orderIds: readonly string[]) => {
  const ids = new Set(orderIds);
  return sandbox.messages().filter((m) => ids.has(String(m.params.orderId)));
};

describe('the rollback guard', () => {
  it('refuses what it cannot guard, naming the field, and answers nothing without the admin token', async () => {
    expect((await adminRequest(base(), 'GET', `/admin/switches/${SWITCH}/guard`, undefined, {})).status).toBe(401);
    const noGuard = await adminRequest<{ message: string }>(base(), 'GET', `/admin/switches/${SWITCH}/guard`);
    expect(noGuard.status).toBe(404);
    expect(noGuard.body!.message).toContain(`PUT /admin/switches/${SWITCH}/guard`);
    const onOff = await adminRequest<{ issues: Array<{ path: string }> }>(base(), 'PUT', '/admin/switches/business-actor-paused/guard', {
      maxFailureRate: 0.1,
      reason: 'x',
    });
    expect(onOff.status).toBe(400);
    expect(onOff.body!.issues[0]!.path).toBe('name');
    const bad = await arm({ maxFailureRate: 1.5, window: '2d' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('maxFailureRate');
    expect(JSON.stringify(bad.body)).toContain('window');
    expect((await adminRequest(base(), 'PUT', '/admin/switches/no-such-switch/guard', { maxFailureRate: 0.1, reason: 'x' })).status).toBe(404);
  });

  it('rolls the switch back when the new path fails, audits and alerts with the figures, and every buyer is told once', async () => {
    expect((await arm({ maxFailureRate: 0.2 })).status).toBe(200);
    expect((await flip(50)).status).toBe(200);
    // The provider refuses the new template only: the release is at fault, not the provider.
    sandbox.setMode({ mode: 'fail', template: NEW_TEMPLATE });
    const orders = Array.from({ length: 60 }, () => between());
    await submitAll(base(), orders);

    await waitFor(async () => (await switchValue(base(), SWITCH)) === 0, { what: 'the guard to roll the switch back to 0', timeoutMs: 20_000 });
    const tripped = await guard();
    expect(tripped.state).toBe('tripped');
    expect(tripped.trip).toMatchObject({ from: 50, to: 0 });
    expect(tripped.trip!.check.because).toMatch(/^new path \d+\/\d+ failed \(100\.0%\), old path \d+\/\d+ failed \(0\.0%\), limit 20\.0%$/);
    expect(tripped.events.map((e) => e.action)).toEqual(['tripped', 'armed']);

    const audit = await ctx.db.selectFrom('switch_changes').select(['old_value', 'new_value', 'actor']).where('source', '=', 'guard').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ old_value: '50', new_value: '0' });
    expect(audit[0]!.actor).toMatch(/^rollback guard \(armed by admin \(token [0-9a-f]{8}\)\): new path/);
    await waitFor(() => alerts.alerts.some((a) => a.event === 'switch.rolled_back'), { what: 'the rollback alert' });
    expect(alerts.alerts.find((a) => a.event === 'switch.rolled_back')).toMatchObject({ switch: SWITCH, from: 50, to: 0, source: 'order-actors' });

    // The refused sends are retried on the old path now: nothing is lost, nobody is told twice.
    const ids = orders.map((o) => o.orderId);
    await waitFor(() => told(ids).length === orders.length, { what: 'every buyer told', timeoutMs: 20_000 });
    expect(new Set(told(ids).map((m) => m.idempotencyKey)).size).toBe(orders.length);
    expect(told(ids).every((m) => m.template === 'order-confirmed')).toBe(true);
    // Each process exports what it counted.
    const series = `order_actors_switch_path_outcomes_total{name="${SWITCH}",path="new",outcome="failed"}`;
    const failedNew = await Promise.all(services.map(async (s) => (await metric(s.baseUrl, series)) ?? 0));
    expect(failedNew.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('stays disarmed after a rollback: no flapping, and a scheduled raise is held back and alerted until it is re-armed', async () => {
    // An operator raises it by hand: the tripped guard does not fight them.
    expect((await flip(30)).status).toBe(200);
    await submitAll(
      base(),
      Array.from({ length: 20 }, () => between()),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await switchValue(base(), SWITCH)).toBe(30);
    expect((await guard()).state).toBe('tripped');

    const at = new Date(Date.now() + 500).toISOString();
    const scheduled = await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, { steps: [{ at, value: 100 }], reason: 'finish the rollout' });
    expect(scheduled.status).toBe(201);
    await waitFor(() => alerts.alerts.some((a) => a.event === 'switch.schedule_step_skipped'), { what: 'the held-back step alert', timeoutMs: 8_000 });
    const steps = (await adminRequest<{ steps: Array<{ status: string; outcome: string }> }>(base(), 'GET', `/admin/switches/${SWITCH}/schedule`)).body!.steps;
    expect(steps.at(-1)).toMatchObject({ status: 'skipped' });
    expect(steps.at(-1)!.outcome).toContain('re-arm it');
    expect(await switchValue(base(), SWITCH)).toBe(30);
    expect((await guard()).events[0]!.action).toBe('step-skipped');

    // Re-armed, it is back in charge.
    sandbox.setMode({ mode: 'ok' });
    const rearmed = await arm({ maxFailureRate: 0.2 });
    expect(rearmed.status).toBe(200);
    expect(rearmed.body).toMatchObject({ state: 'armed', armedValue: 30, trip: null });
  });

  it('holds when the old path fails as much as the new one (an outage a rollback would not fix), and can be disarmed', async () => {
    sandbox.setMode({ mode: 'fail' });
    await submitAll(
      base(),
      Array.from({ length: 60 }, () => between()),
    );
    let last: Guard | undefined;
    await waitFor(async () => (last = await guard()).lastCheck?.verdict === 'held', { what: 'the guard to hold', timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}; the guard: ${JSON.stringify(last)}`);
    });
    expect(await switchValue(base(), SWITCH)).toBe(30);
    expect((await guard()).events.map((e) => e.action)).toContain('held');

    const disarmed = await adminRequest(base(), 'DELETE', `/admin/switches/${SWITCH}/guard?reason=outage%20over`);
    expect(disarmed.status).toBe(200);
    sandbox.setMode({ mode: 'ok' });
    expect((await adminRequest(base(), 'GET', `/admin/switches/${SWITCH}/guard`)).status).toBe(404);
    const events = await ctx.db.selectFrom('switch_guard_events').select(['action', 'detail']).where('switch_name', '=', SWITCH).orderBy('id').execute();
    const actions = events.map((e) => e.action).filter((a, i, all) => a !== all[i - 1]);
    expect(actions).toEqual(['armed', 'tripped', 'step-skipped', 'armed', 'held', 'disarmed']);
    await flip(0);
  });

  it('is armed, shown and disarmed from the CLI, which names a bad option', async () => {
    const bad = await runCli(ctx.config, ['switches', 'guard', SWITCH, '--max-failure-rate', '2', '--reason', 'x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--max-failure-rate: ');
    const armed = await runCli(ctx.config, [
      'switches',
      'guard',
      SWITCH,
      '--max-failure-rate',
      '0.05',
      '--window',
      '10m',
      '--reason',
      'ramp v2',
      '--as',
      'kim',
    ]);
    expect(armed.code).toBe(0);
    expect(armed.stdout).toContain('state:    armed');
    const status = await runCli(ctx.config, ['switches', 'guard-status', SWITCH, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ name: SWITCH, state: 'armed', window: '10m', maxFailureRate: 0.05, armedBy: 'kim (cli)' });
    expect((await guard()).state).toBe('armed');
    const off = await runCli(ctx.config, ['switches', 'unguard', SWITCH, '--reason', 'done']);
    expect(off.code).toBe(0);
    expect((await adminRequest(base(), 'GET', `/admin/switches/${SWITCH}/guard`)).status).toBe(404);
  });
});
