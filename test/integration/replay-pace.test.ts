// A bulk replay at the operator's rate (ratePerSecond): refused with a 400 naming the field when the
// rate is not one; paced, it sends one message a slot and replays all of them; and when replayed
// messages fail again the same way while it runs, it stops by itself and leaves the rest alone.
import { beforeAll, describe, expect, it } from 'vitest';
import type { BulkReplayReport } from '../../src/dead-letters/bulk-replay.js';
import { runCli } from '../support/cli.js';
import { ADMIN, ADMIN_TOKEN } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

type Row = { id: number; status: string; orderId: string | null; fingerprint: string; replayOf: number | null };

// One retry, half a second later: a message the messaging API fails comes back well after a replay's first check.
const file = serviceForThisFile('replay-pace', { ADMIN_TOKEN, DEAD_LETTER_BATCH_INTERVAL_MS: '200', MAX_ATTEMPTS: '2', RETRY_DELAYS_MS: '500' });
const base = () => file.service.baseUrl;

async function rows(orderIds: readonly string[]): Promise<Row[]> {
  const res = await getJson(base(), '/admin/dead-letters?limit=500', ADMIN);
  return (res.body!.items as Row[]).filter((r) => r.orderId !== null && orderIds.includes(r.orderId));
}

/**
 * Orders whose confirmations the messaging API does not take: one cause, one open failed message
 * each. Refused (400), a message fails at once; failing (500), it fails after its retry.
 */
async function failedOrders(count: number, mode: 'reject' | 'fail'): Promise<{ orderIds: string[]; groupId: string }> {
  file.sandbox.setMode({ mode });
  const orders = Array.from({ length: count }, () => makeOrder());
  for (const order of orders) expect((await postJson(base(), '/orders', order)).status).toBe(202);
  const orderIds = orders.map((o) => o.orderId);
  const stored = await waitFor(async () => ((await rows(orderIds)).length === count ? rows(orderIds) : undefined), { what: `${count} failed messages` });
  return { orderIds, groupId: stored[0]!.fingerprint };
}

describe('replaying at a chosen rate', () => {
  let group: { orderIds: string[]; groupId: string };

  beforeAll(async () => {
    group = await failedOrders(10, 'reject');
  });

  it('refuses a rate that is not one, naming ratePerSecond, and replays nothing', async () => {
    for (const ratePerSecond of [0, -1, 5_000, 'fast', null]) {
      const res = await postJson(base(), '/admin/dead-letters/replay', { groupId: group.groupId, ratePerSecond }, ADMIN);
      expect(res.status, String(ratePerSecond)).toBe(400);
      expect(res.body!.issues, String(ratePerSecond)).toEqual([expect.objectContaining({ path: 'ratePerSecond' })]);
    }
    expect((await rows(group.orderIds)).every((r) => r.status === 'new')).toBe(true);
  });

  it('sends one message a slot and replays them all: ten at five a second take about two seconds', async () => {
    file.sandbox.setMode({ mode: 'ok' });
    const started = Date.now();
    const res = await postJson(base(), '/admin/dead-letters/replay', { groupId: group.groupId, ratePerSecond: 5, probeSize: 2, probeWaitMs: 0 }, ADMIN);
    const tookMs = Date.now() - started;
    expect(res.status).toBe(200);
    const report = res.body as BulkReplayReport;
    expect(report).toMatchObject({ outcome: 'completed', untouched: 0, left: 0, pace: { ratePerSecond: 5, cameBack: [] } });
    expect(report.replayed).toHaveLength(10);
    expect(report.message).toContain('at 5/s');
    // Nine gaps of 200 ms between the first message and the last; never faster.
    const stored = await file.ctx.db.selectFrom('failed_messages').select('replayed_at').where('id', 'in', report.replayed).execute();
    const replayedAt = stored.map((r) => r.replayed_at!.getTime()).sort((a, b) => a - b);
    expect(replayedAt.at(-1)! - replayedAt[0]!).toBeGreaterThanOrEqual(1_700);
    expect(tookMs).toBeGreaterThanOrEqual(1_700);
    expect(tookMs).toBeLessThan(10_000);
    for (const orderId of group.orderIds) {
      await waitFor(async () => (await getJson(base(), `/orders/${orderId}`)).body?.status === 'notified', { what: `order ${orderId} notified` });
    }
  });

  it('stops by itself while pacing when replayed messages fail again the same way', async () => {
    const failing = await failedOrders(12, 'fail');
    // The messaging API still fails; the first one comes back only after its retry, which its short
    // watch (0 ms) does not wait for: the watch while pacing sees it.
    const res = await postJson(base(), '/admin/dead-letters/replay', { groupId: failing.groupId, ratePerSecond: 2, probeSize: 1, probeWaitMs: 0 }, ADMIN);
    expect(res.status).toBe(200);
    const report = res.body as BulkReplayReport;
    expect(report.outcome).toBe('stopped');
    expect(report.message).toMatch(/^Stopped while pacing at 2\/s: .*failed again with the same cause \(provider_unavailable\)/);
    expect(report.pace!.cameBack.length).toBeGreaterThan(0);
    expect(report.untouched).toBeGreaterThan(0);
    expect(report.replayed.length + report.untouched).toBe(12);
    // What was not replayed is still open and was never sent again.
    const open = (await rows(failing.orderIds)).filter((r) => r.status === 'new' && r.replayOf === null);
    expect(open).toHaveLength(report.untouched);
    file.sandbox.setMode({ mode: 'ok' });
  });

  it('stops when whoever asked goes away (a CLI stopped, a page left): what was sent stays sent, the rest stay open', async () => {
    const group = await failedOrders(10, 'reject');
    file.sandbox.setMode({ mode: 'ok' });
    // At 2 a second the ten take about five seconds; the caller hangs up after about one and a half.
    const hangUp = AbortSignal.timeout(1_500);
    const call = fetch(`${base()}/admin/dead-letters/replay`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ groupId: group.groupId, ratePerSecond: 2, probeSize: 1, probeWaitMs: 0 }),
      signal: hangUp,
    });
    await expect(call).rejects.toThrow();
    // The message in hand may still go; after that nothing more, however long one waits.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const sentBy = async () => (await rows(group.orderIds)).filter((r) => r.status !== 'new' && r.replayOf === null).length;
    const sent = await sentBy();
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await sentBy()).toBe(sent);
    expect((await rows(group.orderIds)).filter((r) => r.status === 'new' && r.replayOf === null)).toHaveLength(10 - sent);
  });

  it('stops at Ctrl-C in the CLI, which still prints what it sent and what it left open', async () => {
    const group = await failedOrders(10, 'reject');
    file.sandbox.setMode({ mode: 'ok' });
    const sentBy = async () => (await rows(group.orderIds)).filter((r) => r.status !== 'new' && r.replayOf === null).length;
    const run = await runCli(
      file.ctx.config,
      ['dead-letters', 'replay', '--group', group.groupId, '--rate', '2', '--probe-size', '1', '--probe-wait', '0', '--by', 'lee'],
      {},
      { interruptWhen: () => waitFor(async () => ((await sentBy()) >= 2 ? true : undefined), { what: 'two messages replayed' }) },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toMatch(
      /^Stopped: the replay was cancelled \(its caller went away or pressed Ctrl-C\) after \d+ message\(s\); \d+ other message\(s\) were not replayed and are still open/,
    );
    const sent = await sentBy();
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThan(10);
    expect((await rows(group.orderIds)).filter((r) => r.status === 'new' && r.replayOf === null)).toHaveLength(10 - sent);
  });
});
