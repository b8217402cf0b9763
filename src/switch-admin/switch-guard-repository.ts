// All SQL about rollback guards: a switch's guard and its events, the outcomes per path that every
// process adds into shared one-second buckets, and the armed guards a judging process locks (FOR
// UPDATE SKIP LOCKED), so however many processes run, each guard is judged and tripped by one.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { PathOutcomeCount } from '../platform/runtime-switches/path-outcomes.js';
import type { GuardCheck, PathCounts } from './switch-guard-rules.js';
import type { GuardAction, GuardState, SwitchGuardsTable } from './switch-guard-table.js';

type Q = Kysely<Database>;

export const BUCKET_MS = 1_000;

export type SwitchGuard = {
  name: string;
  maxFailureRate: number;
  windowMs: number;
  minMessages: number;
  rollbackTo: number | null;
  armedValue: number;
  state: GuardState;
  armedBy: string;
  armedAt: Date;
  reason: string;
  lastCheck: (GuardCheck & { at: string }) | null;
  trippedAt: string | null;
  trip: unknown;
};

export type GuardEvent = { at: string; actor: string; action: GuardAction; detail: unknown };

const COLUMNS = [
  'switch_name',
  'max_failure_rate',
  'window_ms',
  'min_messages',
  'rollback_to',
  'armed_value',
  'state',
  'armed_by',
  'armed_at',
  'reason',
  'last_check',
  'last_checked_at',
  'tripped_at',
  'trip',
] as const;

type Row = Selectable<SwitchGuardsTable>;

function toGuard(r: Row): SwitchGuard {
  return {
    name: r.switch_name,
    maxFailureRate: r.max_failure_rate,
    windowMs: r.window_ms,
    minMessages: r.min_messages,
    rollbackTo: r.rollback_to === null ? null : Number(r.rollback_to),
    armedValue: Number(r.armed_value),
    state: r.state,
    armedBy: r.armed_by,
    armedAt: r.armed_at,
    reason: r.reason,
    lastCheck: r.last_check && r.last_checked_at ? { ...(r.last_check as GuardCheck), at: r.last_checked_at.toISOString() } : null,
    trippedAt: r.tripped_at?.toISOString() ?? null,
    trip: r.trip,
  };
}

export function createSwitchGuardRepository() {
  return {
    /** Arms (or re-arms) a guard: its settings, by whom, why and the switch's value now; it starts unjudged. */
    async arm(q: Q, g: Omit<SwitchGuard, 'state' | 'armedAt' | 'lastCheck' | 'trippedAt' | 'trip'>): Promise<SwitchGuard> {
      const values = {
        max_failure_rate: g.maxFailureRate,
        window_ms: g.windowMs,
        min_messages: g.minMessages,
        rollback_to: g.rollbackTo === null ? null : String(g.rollbackTo),
        armed_value: String(g.armedValue),
        state: 'armed' as const,
        armed_by: g.armedBy,
        armed_at: new Date().toISOString(),
        reason: g.reason,
      };
      const row = await q
        .insertInto('switch_guards')
        .values({ switch_name: g.name, ...values })
        .onConflict((oc) => oc.column('switch_name').doUpdateSet({ ...values, tripped_at: null, trip: null }))
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toGuard(row);
    },

    async of(q: Q, name: string): Promise<SwitchGuard | undefined> {
      const row = await q.selectFrom('switch_guards').select(COLUMNS).where('switch_name', '=', name).executeTakeFirst();
      return row && toGuard(row);
    },

    /** Every guard, for the lists that show each switch's. */
    async all(q: Q): Promise<SwitchGuard[]> {
      const rows = await q.selectFrom('switch_guards').select(COLUMNS).execute();
      return rows.map(toGuard);
    },

    async remove(q: Q, name: string): Promise<boolean> {
      const rows = await q.deleteFrom('switch_guards').where('switch_name', '=', name).returning('switch_name').execute();
      return rows.length > 0;
    },

    /** The armed guards no other process is judging right now, locked for the caller's transaction. */
    async claimArmed(q: Q): Promise<SwitchGuard[]> {
      const rows = await q.selectFrom('switch_guards').select(COLUMNS).where('state', '=', 'armed').forUpdate().skipLocked().execute();
      return rows.map(toGuard);
    },

    /** Tripped guards whose flip back is not done yet (ZooKeeper was away), locked for the caller's transaction. */
    async claimPendingFlips(q: Q): Promise<SwitchGuard[]> {
      const rows = await q
        .selectFrom('switch_guards')
        .select(COLUMNS)
        .where('state', '=', 'tripped')
        .where(sql<boolean>`(trip->>'flipped')::boolean is false`)
        .forUpdate()
        .skipLocked()
        .execute();
      return rows.map(toGuard);
    },

    /** Records how the flip of a tripped guard ended. */
    async flipDone(q: Q, name: string, trip: unknown): Promise<void> {
      await q
        .updateTable('switch_guards')
        .set({ trip: JSON.stringify(trip) })
        .where('switch_name', '=', name)
        .execute();
    },

    async checked(q: Q, name: string, check: GuardCheck): Promise<void> {
      await q
        .updateTable('switch_guards')
        .set({ last_check: JSON.stringify(check), last_checked_at: new Date().toISOString() })
        .where('switch_name', '=', name)
        .execute();
    },

    async tripped(q: Q, name: string, trip: unknown): Promise<void> {
      await q
        .updateTable('switch_guards')
        .set({ state: 'tripped', tripped_at: new Date().toISOString(), trip: JSON.stringify(trip) })
        .where('switch_name', '=', name)
        .execute();
    },

    async addEvent(q: Q, e: { name: string; actor: string; action: GuardAction; detail: unknown }): Promise<void> {
      await q
        .insertInto('switch_guard_events')
        .values({ switch_name: e.name, actor: e.actor, action: e.action, detail: JSON.stringify(e.detail) })
        .execute();
    },

    async events(q: Q, name: string, limit = 20): Promise<GuardEvent[]> {
      const rows = await q
        .selectFrom('switch_guard_events')
        .select(['at', 'actor', 'action', 'detail'])
        .where('switch_name', '=', name)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ at: r.at.toISOString(), actor: r.actor, action: r.action, detail: r.detail }));
    },

    /** Adds one process's counts into the bucket that holds `at`; processes adding to one bucket wait on its row, once a second each. */
    async addOutcomes(q: Q, at: Date, counts: readonly PathOutcomeCount[]): Promise<void> {
      if (counts.length === 0) return;
      // Rows in one order in every process: two processes adding to the same rows never wait on each other crosswise.
      const rows = [...counts].sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
      const bucket = new Date(Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS).toISOString();
      await q
        .insertInto('switch_path_outcomes')
        .values(rows.map((c) => ({ switch_name: c.name, path: c.path, bucket, ok: c.ok, failed: c.failed })))
        .onConflict((oc) =>
          oc.columns(['switch_name', 'bucket', 'path']).doUpdateSet({
            ok: sql`switch_path_outcomes.ok + excluded.ok`,
            failed: sql`switch_path_outcomes.failed + excluded.failed`,
          }),
        )
        .execute();
    },

    /** The outcomes per path from the bucket that holds `since` on. */
    async countsSince(q: Q, name: string, since: Date): Promise<{ newPath: PathCounts; oldPath: PathCounts }> {
      const rows = await q
        .selectFrom('switch_path_outcomes')
        .select(['path', (eb) => eb.fn.sum<string>('ok').as('ok'), (eb) => eb.fn.sum<string>('failed').as('failed')])
        .where('switch_name', '=', name)
        .where('bucket', '>=', new Date(Math.floor(since.getTime() / BUCKET_MS) * BUCKET_MS))
        .groupBy('path')
        .execute();
      const of = (path: 'new' | 'old') => {
        const r = rows.find((x) => x.path === path);
        return { ok: Number(r?.ok ?? 0), failed: Number(r?.failed ?? 0) };
      };
      return { newPath: of('new'), oldPath: of('old') };
    },

    async pruneOutcomes(q: Q, before: Date): Promise<void> {
      await q.deleteFrom('switch_path_outcomes').where('bucket', '<', before).execute();
    },
  };
}

export type SwitchGuardRepository = ReturnType<typeof createSwitchGuardRepository>;
