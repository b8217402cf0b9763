// What a rollback guard decides, as pure functions: the settings an operator gives, the verdict on
// a window's outcomes per path, and the value a rollback returns to. The runner and the schedule ask
// these; nothing here touches a store.
import { z } from 'zod';

const WINDOW = /^([1-9][0-9]{0,4})(s|m|h)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
export const MIN_WINDOW_MS = 10_000;
export const MAX_WINDOW_MS = 6 * 3_600_000;

/** "30s", "5m", "1h" in milliseconds, or undefined when it is not such a duration. */
export function windowMs(text: string): number | undefined {
  const m = WINDOW.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

/** The duration as an operator writes it back: the largest unit that divides it. */
export function windowText(ms: number): string {
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  return `${Math.round(ms / 1_000)}s`;
}

export const GuardSettingsSchema = z.strictObject({
  maxFailureRate: z.number().min(0).lt(1, 'a share below 1, such as 0.05 for 5%'),
  window: z
    .string()
    .refine((w) => {
      const ms = windowMs(w);
      return ms !== undefined && ms >= MIN_WINDOW_MS && ms <= MAX_WINDOW_MS;
    }, 'a duration from 10s to 6h, such as 30s, 5m or 1h')
    .default('5m'),
  minMessages: z.number().int().min(1).max(1_000_000).default(50),
  /** The percentage a rollback returns to; by default the value when the guard was armed (or 0). */
  rollbackTo: z.number().int().min(0).max(100).optional(),
  reason: z.string().trim().min(1, 'say why, for the audit').max(500),
});
export type GuardSettings = z.infer<typeof GuardSettingsSchema>;

export type PathCounts = { ok: number; failed: number };
export type GuardCheck = {
  verdict: 'healthy' | 'waiting' | 'held' | 'trip';
  /** Why, in a sentence an operator reads in the audit and the alert. */
  because: string;
  newPath: PathCounts & { rate: number | null };
  oldPath: PathCounts & { rate: number | null };
  since: string;
};

/** Old-path messages the split must promise before their absence means waiting rather than judging the new path alone. */
export const OLD_PATH_EXPECTED = 5;

const rate = (c: PathCounts) => (c.ok + c.failed === 0 ? null : c.failed / (c.ok + c.failed));
const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);
const described = (c: PathCounts) => `${c.failed}/${c.ok + c.failed} failed (${pct(rate(c))})`;

/**
 * The verdict on one window. The new path trips the guard when it has at least `minMessages` and
 * fails above the limit by more than the old path does: the limit is the failure rate the release
 * may add. When the old path fails about as much, the messaging API is failing for everyone and a
 * rollback would fix nothing, so the guard holds and says so. The old path is compared as soon as it
 * has messages in the window (a few are a rough measure, but ignoring them trips on outages while
 * both paths warm up). With none, the new path is judged alone only when the switch's split says the
 * old path would have had fewer than OLD_PATH_EXPECTED by now (a rollout at or near 100%); otherwise
 * its messages are on their way (each process adds its counts once a second) and the guard waits
 * for them: judged alone in that second, an outage that fails both paths would look like the
 * release's fault.
 */
export function judge(
  settings: { maxFailureRate: number; minMessages: number },
  counts: { newPath: PathCounts; oldPath: PathCounts; since: Date },
  /** The switch's percentage now (the new path's share), when known. */
  percent?: number,
): GuardCheck {
  const newRate = rate(counts.newPath);
  const oldRate = rate(counts.oldPath);
  const base = { newPath: { ...counts.newPath, rate: newRate }, oldPath: { ...counts.oldPath, rate: oldRate }, since: counts.since.toISOString() };
  const figures = `new path ${described(counts.newPath)}, old path ${described(counts.oldPath)}, limit ${pct(settings.maxFailureRate)}`;
  const seen = counts.newPath.ok + counts.newPath.failed;
  if (seen < settings.minMessages)
    return { verdict: 'waiting', because: `${seen} of ${settings.minMessages} messages on the new path so far: ${figures}`, ...base };
  if (newRate === null || newRate <= settings.maxFailureRate) return { verdict: 'healthy', because: figures, ...base };
  const expectedOld = percent !== undefined && percent > 0 && percent < 100 ? (seen * (100 - percent)) / percent : 0;
  if (counts.oldPath.ok + counts.oldPath.failed === 0 && expectedOld >= OLD_PATH_EXPECTED) {
    return {
      verdict: 'waiting',
      because: `no messages on the old path yet, where about ${Math.round(expectedOld)} are expected at ${percent}%: waiting to compare before judging: ${figures}`,
      ...base,
    };
  }
  if (oldRate !== null && newRate - oldRate <= settings.maxFailureRate) {
    return { verdict: 'held', because: `the old path fails about as much, so a rollback would not help (an outage?): ${figures}`, ...base };
  }
  return { verdict: 'trip', because: figures, ...base };
}

/** The percentage a rollback returns to: below the current value, the operator's choice or the value at arming when it is, else 0. */
export function rollbackValue(guard: { rollbackTo: number | null; armedValue: number }, current: number): number {
  if (guard.rollbackTo !== null && guard.rollbackTo < current) return guard.rollbackTo;
  if (guard.armedValue < current) return guard.armedValue;
  return 0;
}
