// All SQL about scheduled flips: adding steps, reading a switch's schedule, cancelling what has not
// run, and claiming the steps that are due. A claim locks its rows (FOR UPDATE SKIP LOCKED) in the
// caller's transaction, so however many processes poll, each step runs in exactly one of them.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { ScheduleStepStatus } from './switch-schedule-table.js';

type Q = Kysely<Database>;

export type ScheduleStep = {
  id: number;
  name: string;
  at: string;
  value: string;
  reason: string;
  createdBy: string;
  status: ScheduleStepStatus;
  finishedAt: string | null;
  outcome: string | null;
};

const COLUMNS = ['id', 'switch_name', 'at', 'value', 'reason', 'created_by', 'status', 'finished_at', 'outcome'] as const;

function toStep(r: {
  id: string;
  switch_name: string;
  at: Date;
  value: string;
  reason: string;
  created_by: string;
  status: ScheduleStepStatus;
  finished_at: Date | null;
  outcome: string | null;
}): ScheduleStep {
  return {
    id: Number(r.id),
    name: r.switch_name,
    at: r.at.toISOString(),
    value: r.value,
    reason: r.reason,
    createdBy: r.created_by,
    status: r.status,
    finishedAt: r.finished_at?.toISOString() ?? null,
    outcome: r.outcome,
  };
}

export function createSwitchScheduleRepository() {
  return {
    async add(q: Q, name: string, steps: ReadonlyArray<{ at: Date; value: string }>, by: { actor: string; reason: string }): Promise<ScheduleStep[]> {
      const rows = await q
        .insertInto('switch_schedule_steps')
        .values(steps.map((s) => ({ switch_name: name, at: s.at.toISOString(), value: s.value, reason: by.reason, created_by: by.actor })))
        .returning(COLUMNS)
        .execute();
      return rows.map(toStep);
    },

    /** The switch's pending steps and its last `recent` finished ones, in time order. */
    async of(q: Q, name: string, recent = 20): Promise<ScheduleStep[]> {
      const pending = await q
        .selectFrom('switch_schedule_steps')
        .select(COLUMNS)
        .where('switch_name', '=', name)
        .where('status', '=', 'pending')
        .orderBy('at')
        .execute();
      const finished = await q
        .selectFrom('switch_schedule_steps')
        .select(COLUMNS)
        .where('switch_name', '=', name)
        .where('status', '!=', 'pending')
        .orderBy('at', 'desc')
        .limit(recent)
        .execute();
      return [...finished.reverse(), ...pending].map(toStep);
    },

    /** Pending steps per switch. */
    async pendingCounts(q: Q): Promise<Map<string, number>> {
      const rows = await q
        .selectFrom('switch_schedule_steps')
        .select(['switch_name', (eb) => eb.fn.countAll<string>().as('pending')])
        .where('status', '=', 'pending')
        .groupBy('switch_name')
        .execute();
      return new Map(rows.map((r) => [r.switch_name, Number(r.pending)]));
    },

    async cancelPending(q: Q, name: string, outcome: string): Promise<number> {
      const rows = await q
        .updateTable('switch_schedule_steps')
        .set({ status: 'cancelled', finished_at: new Date().toISOString(), outcome })
        .where('switch_name', '=', name)
        .where('status', '=', 'pending')
        .returning('id')
        .execute();
      return rows.length;
    },

    /** Due pending steps, oldest first, locked for the caller's transaction; ones another process holds are skipped. */
    async claimDue(q: Q, now: Date, limit: number): Promise<ScheduleStep[]> {
      const rows = await q
        .selectFrom('switch_schedule_steps')
        .select(COLUMNS)
        .where('status', '=', 'pending')
        .where('at', '<=', now)
        .orderBy('at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toStep);
    },

    async finish(q: Q, id: number, status: 'done' | 'skipped', outcome: string): Promise<void> {
      await q.updateTable('switch_schedule_steps').set({ status, finished_at: new Date().toISOString(), outcome }).where('id', '=', String(id)).execute();
    },
  };
}

export type SwitchScheduleRepository = ReturnType<typeof createSwitchScheduleRepository>;
