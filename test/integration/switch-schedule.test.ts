// Scheduled flips on the real ZooKeeper and PostgreSQL: a step runs within seconds of its time and
// is audited as a flip (source schedule), once however many processes poll; a step that does not fit
// the switch is refused before anything is stored; cancelled steps never run; the routes need the
// admin token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { ADMIN_TOKEN, adminRequest, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const SWITCH = 'notification-template-v2';

let ctx: TestContext;
let sandbox: Sandbox;
let services: TestService[];

beforeAll(async () => {
  ctx = await createTestContext('switch-schedule', { ADMIN_TOKEN, SWITCH_SCHEDULE_POLL_MS: '200' });
  sandbox = await startSandbox();
  // Two processes poll the same schedule: each step must still run once.
  services = [await startTestService(ctx, sandbox), await startTestService(ctx, sandbox, { ROLE: 'intake' })];
});

afterAll(async () => {
  for (const s of services ?? []) await s.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const base = () => services[0]!.baseUrl;
type Step = { id: number; at: string; value: string; status: string; outcome: string | null };
const scheduleOf = async () => (await adminRequest<{ steps: Step[] }>(base(), 'GET', `/admin/switches/${SWITCH}/schedule`)).body!.steps;
const auditRows = () =>
  ctx.db
    .selectFrom('switch_changes')
    .select(['new_value', 'source', 'actor'])
    .where('switch_name', '=', SWITCH)
    .where('source', '=', 'schedule')
    .orderBy('at')
    .execute();

describe('a scheduled flip', () => {
  it('runs within seconds of its time in exactly one process, audited as a flip with the schedule as its actor', async () => {
    const at = new Date(Date.now() + 1_500);
    const later = new Date(Date.now() + 3_000);
    const res = await adminRequest<{ steps: Step[] }>(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, {
      steps: [
        { at: at.toISOString(), value: 10 },
        { at: later.toISOString(), value: '50' },
      ],
      reason: 'ramp the new template',
    });
    expect(res.status).toBe(201);
    expect(res.body!.steps.map((s) => [s.value, s.status])).toEqual([
      ['10', 'pending'],
      ['50', 'pending'],
    ]);

    await waitFor(async () => (await switchValue(base(), SWITCH)) === 10, { what: 'the first step', timeoutMs: 5_000 });
    const firstSeen = Date.now();
    expect(firstSeen - at.getTime()).toBeLessThan(5_000);
    await waitFor(async () => (await switchValue(services[1]!.baseUrl, SWITCH)) === 50, {
      what: 'the second step, seen by the other process',
      timeoutMs: 6_000,
    });

    const steps = await scheduleOf();
    expect(steps.map((s) => [s.value, s.status])).toEqual([
      ['10', 'done'],
      ['50', 'done'],
    ]);
    const audit = await auditRows();
    expect(audit.map((r) => r.new_value)).toEqual(['10', '50']);
    expect(audit[0]!.actor).toMatch(/^schedule \(step \d+ by admin \(token [0-9a-f]{8}\): ramp the new template\)$/);
  });

  it('refuses a step that does not fit the switch or lies in the past, and stores none of the request', async () => {
    const before = (await scheduleOf()).length;
    const wrongKind = await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, {
      steps: [
        { at: new Date(Date.now() + 60_000).toISOString(), value: 20 },
        { at: new Date(Date.now() + 120_000).toISOString(), value: 'on' },
      ],
      reason: 'bad second step',
    });
    expect(wrongKind).toMatchObject({ status: 400, body: { error: 'validation_failed', issues: [{ path: 'steps.1.value' }] } });
    const past = await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, {
      steps: [{ at: '2020-01-01T00:00:00Z', value: 5 }],
      reason: 'too late',
    });
    expect(past).toMatchObject({ status: 400, body: { issues: [{ path: 'steps.0.at' }] } });
    const noReason = await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, {
      steps: [{ at: new Date(Date.now() + 60_000).toISOString(), value: 5 }],
    });
    expect(noReason).toMatchObject({ status: 400, body: { issues: [{ path: 'reason' }] } });
    expect(
      (
        await adminRequest(base(), 'POST', '/admin/switches/no-such-switch/schedule', {
          steps: [{ at: new Date(Date.now() + 60_000).toISOString(), value: 5 }],
          reason: 'x',
        })
      ).status,
    ).toBe(404);
    expect((await scheduleOf()).length).toBe(before);
  });

  it('does not run once cancelled', async () => {
    const value = await switchValue(base(), SWITCH);
    await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, {
      steps: [{ at: new Date(Date.now() + 1_000).toISOString(), value: 77 }],
      reason: 'to be cancelled',
    });
    const cancelled = await adminRequest(base(), 'DELETE', `/admin/switches/${SWITCH}/schedule?reason=changed+my+mind`);
    expect(cancelled).toMatchObject({ status: 200, body: { cancelled: 1 } });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await switchValue(base(), SWITCH)).toBe(value);
    expect((await scheduleOf()).at(-1)).toMatchObject({ value: '77', status: 'cancelled', outcome: expect.stringMatching(/changed my mind/) as unknown });
  });

  it('answers 401 without the admin token', async () => {
    const none = { authorization: 'Bearer wrong-token-wrong-token' };
    expect((await adminRequest(base(), 'GET', `/admin/switches/${SWITCH}/schedule`, undefined, none)).status).toBe(401);
    expect((await adminRequest(base(), 'POST', `/admin/switches/${SWITCH}/schedule`, { steps: [], reason: 'x' }, none)).status).toBe(401);
    expect((await adminRequest(base(), 'DELETE', `/admin/switches/${SWITCH}/schedule`, undefined, none)).status).toBe(401);
  });
});
