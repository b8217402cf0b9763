// Scheduled flips: an operator stores steps ({at, value}) for a switch with a reason; every process
// polls for due steps each second and runs each in exactly one process (the step's row is locked in
// the transaction that flips and audits it), so a step runs within a couple of seconds of its time,
// after restarts too. A step whose value no longer fits the switch, or whose switch this release no
// longer knows, is skipped with the reason; one that fails because ZooKeeper is away stays pending
// and runs at the next poll. A step that would raise a switch its rollback guard holds back is
// skipped with the guard's reason and alerted.
import type { AlertWebhook } from '../platform/alert-webhook.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { repeatEvery } from '../platform/repeat-every.js';
import { InvalidSwitchValueError, UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { formatSwitchValue, parseSwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import type { SwitchChangeRepository } from './switch-change-repository.js';
import type { SwitchGuards } from './switch-guard-runner.js';
import type { ScheduleStep, SwitchScheduleRepository } from './switch-schedule-repository.js';

export type ScheduleStepInput = { at: Date; value: string | number };

/** A step the operator asked for that cannot be stored, with the field it concerns. */
export class ScheduleStepError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export function createSwitchScheduleAdmin(deps: { db: Db; switches: Pick<Switches, 'get'>; schedule: SwitchScheduleRepository }) {
  const { db, switches, schedule } = deps;
  const known = (name: string) => {
    const view = switches.get(name);
    if (!view) throw new UnknownSwitchError(name);
    return view;
  };
  return {
    /** Validates every step (value fits the switch, time not past) before storing any of them. */
    async add(name: string, steps: readonly ScheduleStepInput[], by: { actor: string; reason: string }, now = new Date()): Promise<ScheduleStep[]> {
      const view = known(name);
      const checked = steps.map((step, i) => {
        const parsed = parseSwitchValue(step.value, view.kind);
        if (!parsed.ok) throw new ScheduleStepError(`steps.${i}.value`, parsed.reason);
        if (step.at.getTime() < now.getTime() - 1_000)
          throw new ScheduleStepError(`steps.${i}.at`, `${step.at.toISOString()} is in the past; schedule steps from now on`);
        return { at: step.at, value: formatSwitchValue(parsed.value) };
      });
      return schedule.add(db, name, checked, by);
    },
    async of(name: string): Promise<{ name: string; steps: ScheduleStep[] }> {
      known(name);
      return { name, steps: await schedule.of(db, name) };
    },
    /** Pending steps per switch, for lists. */
    pendingCounts: () => schedule.pendingCounts(db),
    async cancel(name: string, by: { actor: string; reason: string }): Promise<{ name: string; cancelled: number }> {
      known(name);
      return { name, cancelled: await schedule.cancelPending(db, name, `cancelled by ${by.actor}: ${by.reason}`) };
    },
  };
}

export type SwitchScheduleAdmin = ReturnType<typeof createSwitchScheduleAdmin>;

/** Runs due steps every `intervalMs` until stopped. */
export function startSwitchSchedule(deps: {
  db: Db;
  switches: Pick<Switches, 'set'>;
  changes: Pick<SwitchChangeRepository, 'recordAttributed'>;
  schedule: SwitchScheduleRepository;
  /** The rollback guards, which may hold a step back; such a step is skipped with the reason and alerted. */
  guards: Pick<SwitchGuards, 'holdsBack' | 'noteHeldStep'>;
  alerts: AlertWebhook;
  logger: Logger;
  intervalMs?: number;
}) {
  const { db, switches, changes, schedule } = deps;
  const logger = deps.logger.child({ module: 'switch-schedule' });
  const intervalMs = deps.intervalMs ?? 1_000;

  /** One pass: the due steps this process could lock, flipped and audited in one transaction. */
  async function runDue(now = new Date()): Promise<number> {
    const heldBack: Array<{ step: ScheduleStep; because: string }> = [];
    const ran = await db.transaction().execute(async (trx) => {
      const due = await schedule.claimDue(trx, now, 20);
      for (const step of due) {
        const because = await deps.guards.holdsBack(trx, step.name, step.value);
        if (because) {
          await schedule.finish(trx, step.id, 'skipped', `held back by the rollback guard: ${because}`);
          await deps.guards.noteHeldStep(trx, step, because);
          logger.warn({ step: step.id, name: step.name, value: step.value, because }, 'scheduled flip held back by the rollback guard');
          heldBack.push({ step, because });
          continue;
        }
        try {
          const change = await switches.set(step.name, step.value);
          await changes.recordAttributed(trx, {
            name: step.name,
            oldValue: change.previous ?? null,
            newValue: formatSwitchValue(change.value),
            actor: `schedule (step ${step.id} by ${step.createdBy}: ${step.reason})`.slice(0, 500),
            reason: step.reason,
            source: 'schedule',
            at: change.modifiedAt,
            mzxid: change.mzxid,
            version: change.version,
          });
          await schedule.finish(trx, step.id, 'done', `${change.previous ?? '(unset)'} → ${formatSwitchValue(change.value)}`);
          logger.info({ step: step.id, name: step.name, value: step.value }, 'scheduled flip done');
        } catch (err) {
          if (!(err instanceof UnknownSwitchError || err instanceof InvalidSwitchValueError)) throw err;
          await schedule.finish(trx, step.id, 'skipped', err.message);
          logger.warn({ step: step.id, name: step.name, err }, 'scheduled flip skipped');
        }
      }
      return due.length;
    });
    for (const { step, because } of heldBack) {
      await deps.alerts.post('switch.schedule_step_skipped', {
        switch: step.name,
        step: { id: step.id, at: step.at, value: step.value, by: step.createdBy, reason: step.reason },
        because,
      });
    }
    return ran;
  }

  const repeating = repeatEvery(
    intervalMs,
    () => runDue(),
    (err) => logger.warn({ err }, 'scheduled flips could not run; they stay pending and are tried again'),
  );
  return { runDue, stop: () => repeating.stop() };
}
