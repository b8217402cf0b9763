// The rollback guard's judgement, as pure functions: when it waits, holds or trips, the value it
// rolls back to, and the window an operator writes.
import { describe, expect, it } from 'vitest';
import { GuardSettingsSchema, judge, rollbackValue, windowMs, windowText } from '../../src/switch-admin/switch-guard-rules.js';

const since = new Date('2026-12-07T09:00:00Z');
const settings = { maxFailureRate: 0.05, minMessages: 50 };
const verdict = (newPath: [number, number], oldPath: [number, number]) =>
  judge(settings, { newPath: { ok: newPath[0], failed: newPath[1] }, oldPath: { ok: oldPath[0], failed: oldPath[1] }, since }).verdict;

describe('judge', () => {
  it('waits for minMessages on the new path, however bad the first ones are', () => {
    expect(verdict([0, 49], [100, 0])).toBe('waiting');
  });
  it('is healthy at or below the limit', () => {
    expect(verdict([95, 5], [100, 0])).toBe('healthy');
  });
  it('trips when the new path fails above the limit by more than the old path', () => {
    expect(verdict([90, 10], [100, 0])).toBe('trip');
    expect(verdict([60, 40], [80, 20])).toBe('trip');
  });
  it('holds when the old path fails about as much (the provider is down for everyone)', () => {
    expect(verdict([0, 100], [0, 100])).toBe('held');
    expect(verdict([70, 30], [72, 28])).toBe('held');
  });
  it('judges the new path alone when the old path has no messages (a rollout at 100%)', () => {
    expect(verdict([90, 10], [0, 0])).toBe('trip');
    const at = (percent: number) => judge(settings, { newPath: { ok: 0, failed: 60 }, oldPath: { ok: 0, failed: 0 }, since }, percent);
    expect(at(100).verdict).toBe('trip');
    // At 99% the old path would have had under one of them: its silence says nothing.
    expect(at(99).verdict).toBe('trip');
  });
  it('waits for the old path while the split says its messages are on their way, so an outage is not blamed on the release', () => {
    const check = judge(settings, { newPath: { ok: 0, failed: 60 }, oldPath: { ok: 0, failed: 0 }, since }, 30);
    expect(check.verdict).toBe('waiting');
    expect(check.because).toBe(
      'no messages on the old path yet, where about 140 are expected at 30%: waiting to compare before judging: new path 60/60 failed (100.0%), old path 0/0 failed (n/a), limit 5.0%',
    );
    // Once they are counted, it judges as ever: the outage holds it.
    expect(judge(settings, { newPath: { ok: 0, failed: 60 }, oldPath: { ok: 0, failed: 140 }, since }, 30).verdict).toBe('held');
  });
  it('compares with the old path as soon as it has messages, few as they are', () => {
    expect(verdict([90, 10], [0, 3])).toBe('held');
    expect(verdict([90, 10], [3, 0])).toBe('trip');
  });
  it('says the figures in the sentence the audit and the alert carry', () => {
    const check = judge(settings, { newPath: { ok: 45, failed: 15 }, oldPath: { ok: 60, failed: 0 }, since });
    expect(check.because).toBe('new path 15/60 failed (25.0%), old path 0/60 failed (0.0%), limit 5.0%');
    expect(check.newPath.rate).toBe(0.25);
  });
});

describe('rollbackValue', () => {
  it("returns to the operator's choice, else the value at arming, when below the current value", () => {
    expect(rollbackValue({ rollbackTo: 10, armedValue: 0 }, 50)).toBe(10);
    expect(rollbackValue({ rollbackTo: null, armedValue: 20 }, 50)).toBe(20);
  });
  it('returns to 0 when neither is below the current value (armed mid-rollout)', () => {
    expect(rollbackValue({ rollbackTo: 60, armedValue: 50 }, 50)).toBe(0);
  });
});

describe('the window', () => {
  it('reads and writes s, m and h', () => {
    expect(windowMs('30s')).toBe(30_000);
    expect(windowMs('5m')).toBe(300_000);
    expect(windowMs('1h')).toBe(3_600_000);
    expect(windowMs('5 m')).toBeUndefined();
    expect(windowText(300_000)).toBe('5m');
    expect(windowText(90_000)).toBe('90s');
  });
  it('is refused outside 10s–6h with what to write instead', () => {
    const parsed = GuardSettingsSchema.safeParse({ maxFailureRate: 0.05, window: '7h', reason: 'r' });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toContain('such as 30s, 5m or 1h');
    expect(GuardSettingsSchema.parse({ maxFailureRate: 0.05, reason: 'r' })).toMatchObject({ window: '5m', minMessages: 50 });
  });
});
