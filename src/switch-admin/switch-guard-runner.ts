// The rollback guards at work, in every process, each second:
// 1. this process's outcomes per path (counted in memory by the actors) are added to the shared
//    buckets, so a guard judges the messages of every process;
// 2. the armed guards no other process holds are locked and judged. One that trips flips its switch
//    back, audits the flip with the figures (source 'guard'), disarms itself until an operator
//    re-arms it (so it never flaps), and alerts through ALERT_WEBHOOK_URL.
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
import { judge, MAX_WINDOW_MS, rollbackValue, type GuardCheck } from './switch-guard-rules.js';
import { windowStart } from './switch-guard.js';

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

  async function rollBack(trx: Q, guard: SwitchGuard, check: GuardCheck, current: number) {
    const to = rollbackValue(guard, current);
    const change = await switches.set(guard.name, to);
    const actor = `rollback guard (armed by ${guard.armedBy}): ${check.because}`.slice(0, 500);
    await deps.changes.recordAttributed(trx, {
      name: guard.name,
      oldValue: change.previous ?? null,
      newValue: formatSwitchValue(change.value),
      actor,
      reason: `rollback guard tripped: ${check.because}`.slice(0, 500),
      source: 'guard',
      at: change.modifiedAt,
      mzxid: change.mzxid,
      version: change.version,
    });
    const trip = { from: current, to, check };
    await guards.tripped(trx, guard.name, trip);
    await guards.addEvent(trx, { name: guard.name, actor: 'rollback guard', action: 'tripped', detail: trip });
    logger.warn({ name: guard.name, from: current, to, check }, `rollback guard tripped: ${guard.name} ${current} → ${to}; re-arm it to roll out again`);
    return { switch: guard.name, from: current, to, because: check.because, figures: check, armedBy: guard.armedBy };
  }

  /** Judges the armed guards this process could lock; returns the rollbacks made, alerted after the commit. */
  async function judgeArmed(now: Date) {
    return db.transaction().execute(async (trx) => {
      const rolledBack = [];
      for (const guard of await guards.claimArmed(trx)) {
        const since = windowStart(guard, now);
        const check = judge(guard, { ...(await guards.countsSince(trx, guard.name, since)), since });
        await guards.checked(trx, guard.name, check);
        const current = switches.get(guard.name)?.value;
        if (check.verdict === 'held' && guard.lastCheck?.verdict !== 'held') {
          await guards.addEvent(trx, { name: guard.name, actor: 'rollback guard', action: 'held', detail: check });
        }
        // At 0 every message already takes the old path: there is nothing left to roll back.
        if (check.verdict === 'trip' && typeof current === 'number' && current > 0) rolledBack.push(await rollBack(trx, guard, check, current));
      }
      return rolledBack;
    });
  }

  let passes = 0;
  async function pass(now = new Date()): Promise<void> {
    await flush(now);
    const rolledBack = await judgeArmed(now);
    for (const r of rolledBack) {
      await deps.alerts.post('switch.rolled_back', {
        ...r,
        rearm: `PUT /admin/switches/${r.switch}/guard (or the console's switch page) once the new path is fixed`,
      });
    }
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
    const since = windowStart(guard, now);
    const check = judge(guard, { ...(await guards.countsSince(q, name, since)), since });
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
