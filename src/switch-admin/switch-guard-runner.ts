// The rollback guards at work, in every process, each second:
// 1. this process's outcomes per path (counted in memory by the actors) are added to the shared
//    buckets, so a guard judges the messages of every process;
// 2. the armed guards no other process holds are locked and judged. One that trips is recorded as
//    tripped (disarmed until an operator re-arms it, so it never flaps) with the value to return to;
// 3. tripped guards whose flip is not done flip their switch back, audit the flip with the figures
//    (source 'guard') and alert through ALERT_WEBHOOK_URL; a flip ZooKeeper refused is retried.
// The schedule asks `holdsBack` before a step raises a guarded switch.
import type { AlertWebhook } from '../platform/alert-webhook.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { repeatEvery } from '../platform/repeat-every.js';
import { createPathOutcomes, type PathOutcomes } from '../platform/runtime-switches/path-outcomes.js';
import { formatSwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import type { SwitchChangeRepository } from './switch-change-repository.js';
import { BUCKET_MS, type SwitchGuard, type SwitchGuardRepository } from './switch-guard-repository.js';
import { MAX_WINDOW_MS, rollbackValue, type GuardCheck } from './switch-guard-rules.js';
import { judgeWindow, percentOf } from './switch-guard.js';

type Q = Parameters<SwitchGuardRepository['of']>[0];

type Deps = {
  db: Db;
  switches: Pick<Switches, 'get' | 'set'>;
  changes: Pick<SwitchChangeRepository, 'recordAttributed'>;
  guards: SwitchGuardRepository;
  outcomes: Pick<PathOutcomes, 'drain'>;
  alerts: AlertWebhook;
  metrics: Pick<Metrics, 'switchPathOutcomes'>;
  logger: Logger;
  intervalMs?: number;
};

const PRUNE_EVERY_PASSES = 60;

export function startSwitchGuards(deps: Deps) {
  const { db, switches, guards } = deps;
  const logger = deps.logger.child({ module: 'switch-guard' });
  const intervalMs = deps.intervalMs ?? 1_000;

  // Counts drained but not stored yet (the database was away): stored with the next pass's.
  const unsaved = createPathOutcomes();

  /** Adds this process's counts to the shared buckets; counts that could not be stored are kept for the next pass. */
  async function flush(now: Date): Promise<void> {
    const counts = deps.outcomes.drain();
    for (const c of counts) {
      // Counted here, once a second, rather than per message on the actors' hot path.
      if (c.ok > 0) deps.metrics.switchPathOutcomes.inc({ name: c.name, path: c.path, outcome: 'ok' }, c.ok);
      if (c.failed > 0) deps.metrics.switchPathOutcomes.inc({ name: c.name, path: c.path, outcome: 'failed' }, c.failed);
      unsaved.record(c.name, c.path, true, c.ok);
      unsaved.record(c.name, c.path, false, c.failed);
    }
    const toStore = unsaved.drain();
    try {
      await guards.addOutcomes(db, now, toStore);
    } catch (err) {
      for (const c of toStore) {
        unsaved.record(c.name, c.path, true, c.ok);
        unsaved.record(c.name, c.path, false, c.failed);
      }
      throw err;
    }
  }

  /** A trip as the guard row keeps it: decided once, then its flip done (or left) once. */
  type Trip = { from: number; to: number; check: GuardCheck; flipped: boolean; outcome?: string };

  /**
   * Judges the armed guards this process could lock, in one transaction that writes no switch: a
   * guard that trips is recorded as tripped with the value to return to, and so disarmed, before
   * anything is flipped. A pass that fails half-way therefore never decides a second rollback from
   * the value the first one left (which would take the switch lower than its rule says).
   */
  async function judgeArmed(now: Date): Promise<void> {
    await db.transaction().execute(async (trx) => {
      for (const guard of await guards.claimArmed(trx)) {
        const current = switches.get(guard.name)?.value;
        const check = await judgeWindow(trx, guards, guard, now, percentOf(current));
        await guards.checked(trx, guard.name, check);
        if (check.verdict === 'held' && guard.lastCheck?.verdict !== 'held') {
          await guards.addEvent(trx, { name: guard.name, actor: 'rollback guard', action: 'held', detail: check });
        }
        // At 0 every message already takes the old path: there is nothing left to roll back.
        if (check.verdict !== 'trip' || typeof current !== 'number' || current === 0) continue;
        const trip: Trip = { from: current, to: rollbackValue(guard, current), check, flipped: false };
        await guards.tripped(trx, guard.name, trip);
        await guards.addEvent(trx, { name: guard.name, actor: 'rollback guard', action: 'tripped', detail: trip });
        logger.warn(
          { name: guard.name, from: trip.from, to: trip.to, check },
          `rollback guard tripped: ${guard.name} ${trip.from} → ${trip.to}; re-arm it to roll out again`,
        );
      }
    });
  }

  /**
   * Flips back the switches of tripped guards whose flip is not done, each in its own transaction
   * with its audit row; retried at every pass while ZooKeeper is away. The flip happens only while
   * the switch still holds the value the verdict saw: a value someone set since is left alone.
   */
  async function flipTripped(): Promise<void> {
    const pending = await db.transaction().execute(async (trx) => {
      const done: Array<{ guard: SwitchGuard; trip: Trip }> = [];
      for (const guard of await guards.claimPendingFlips(trx)) {
        const trip = guard.trip as Trip;
        const current = switches.get(guard.name)?.value;
        if (current === trip.from) {
          const change = await switches.set(guard.name, trip.to);
          await deps.changes.recordAttributed(trx, {
            name: guard.name,
            oldValue: change.previous ?? null,
            newValue: formatSwitchValue(change.value),
            actor: `rollback guard (armed by ${guard.armedBy}): ${trip.check.because}`.slice(0, 500),
            reason: `rollback guard tripped: ${trip.check.because}`.slice(0, 500),
            source: 'guard',
            at: change.modifiedAt,
            mzxid: change.mzxid,
            version: change.version,
          });
          trip.outcome = `flipped ${trip.from} → ${trip.to}`;
        } else {
          // Either this flip landed in a pass that could not record it, or someone set a value since.
          trip.outcome = current === trip.to ? `flipped ${trip.from} → ${trip.to}` : `left at ${String(current)}: set by someone else after the trip`;
        }
        trip.flipped = true;
        await guards.flipDone(trx, guard.name, trip);
        done.push({ guard, trip });
      }
      return done;
    });
    for (const { guard, trip } of pending) {
      await deps.alerts.post('switch.rolled_back', {
        switch: guard.name,
        from: trip.from,
        to: trip.to,
        outcome: trip.outcome,
        because: trip.check.because,
        figures: trip.check,
        armedBy: guard.armedBy,
        rearm: `PUT /admin/switches/${guard.name}/guard (or the console's switch page) once the new path is fixed`,
      });
    }
  }

  let passes = 0;
  async function pass(now = new Date()): Promise<void> {
    await flush(now);
    await judgeArmed(now);
    await flipTripped();
    if (++passes % PRUNE_EVERY_PASSES === 0) await guards.pruneOutcomes(db, new Date(now.getTime() - MAX_WINDOW_MS - BUCKET_MS));
  }

  /**
   * Why a scheduled step must not raise `name` to `value` now, or undefined when it may: a guard
   * that rolled the switch back stays in charge until it is re-armed, and an armed guard whose new
   * path already fails above its limit holds every raise back. Lowering is always allowed.
   */
  async function holdsBack(q: Q, name: string, value: string, now = new Date()): Promise<string | undefined> {
    const guard = await guards.of(q, name);
    const current = switches.get(name)?.value;
    if (!guard || typeof current !== 'number' || Number(value) <= current) return undefined;
    if (guard.state === 'tripped')
      return `the rollback guard rolled ${name} back at ${guard.trippedAt}; re-arm it (PUT /admin/switches/${name}/guard) before raising the switch again`;
    const check = await judgeWindow(q, guards, guard, now, current);
    if (check.verdict === 'trip') return `the new path already fails above the rollback guard's limit (${check.because})`;
    return undefined;
  }

  /** Records, as the guard's event, a scheduled step it held back. */
  async function noteHeldStep(q: Q, step: { id: number; name: string; value: string; createdBy: string }, because: string): Promise<void> {
    await guards.addEvent(q, {
      name: step.name,
      actor: 'rollback guard',
      action: 'step-skipped',
      detail: { step: step.id, value: step.value, by: step.createdBy, because },
    });
  }

  const repeating = repeatEvery(
    intervalMs,
    () => pass(),
    (err) => logger.warn({ err }, 'the rollback guards could not be judged this pass; outcomes are kept and judged at the next'),
  );
  return {
    pass,
    holdsBack,
    noteHeldStep,
    async stop(): Promise<void> {
      await repeating.stop();
      // The last second's outcomes still count for the other processes' guards.
      await flush(new Date()).catch(() => undefined);
    },
  };
}

export type SwitchGuards = ReturnType<typeof startSwitchGuards>;
