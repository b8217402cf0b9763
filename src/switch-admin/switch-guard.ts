// What an operator does with a switch's rollback guard, shared by the admin routes, the console and
// the CLI: arm it (or re-arm it after a rollback), read it with the live figures of its window and
// its events, and disarm it. Every change is an event with who and why. Only percentage switches
// have a new and an old path to compare.
import type { Db } from '../platform/db.js';
import { UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import type { GuardEvent, SwitchGuard, SwitchGuardRepository } from './switch-guard-repository.js';
import { judge, windowMs, windowText, type GuardCheck, type GuardSettings } from './switch-guard-rules.js';

/** A guard that cannot be armed as asked, with the field it concerns. */
export class GuardSettingError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** No guard on this switch. */
export class NoGuardError extends Error {
  constructor(name: string) {
    super(`Switch ${name} has no rollback guard; arm one with PUT /admin/switches/${name}/guard`);
  }
}

export type GuardView = Omit<SwitchGuard, 'armedAt' | 'windowMs'> & {
  window: string;
  armedAt: string;
  /** The window's figures now, judged as the guard judges them. */
  now: GuardCheck;
  events: GuardEvent[];
};

/** A switch's value as the percentage a guard's judgement takes, if it is one. */
export const percentOf = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** The start of a guard's window: its length back from now, but never before it was armed. */
export const windowStart = (guard: Pick<SwitchGuard, 'windowMs' | 'armedAt'>, now: Date) =>
  new Date(Math.max(now.getTime() - guard.windowMs, guard.armedAt.getTime()));

/** The guard's window as it stands at `now`, judged as the guard judges it. */
export async function judgeWindow(
  q: Parameters<SwitchGuardRepository['countsSince']>[0],
  guards: Pick<SwitchGuardRepository, 'countsSince'>,
  guard: SwitchGuard,
  now: Date,
  /** The switch's percentage now, when known: see judge. */
  percent: number | undefined,
): Promise<GuardCheck> {
  const since = windowStart(guard, now);
  return judge(guard, { ...(await guards.countsSince(q, guard.name, since)), since }, percent);
}

export function createSwitchGuardAdmin(deps: { db: Db; switches: Pick<Switches, 'get'>; guards: SwitchGuardRepository }) {
  const { db, guards } = deps;

  function percentSwitch(name: string): number {
    const view = deps.switches.get(name);
    if (!view) throw new UnknownSwitchError(name);
    if (view.kind !== 'percent' || typeof view.value !== 'number')
      throw new GuardSettingError('name', `${name} is an on/off switch; only a percentage switch has a new and an old path for a guard to compare`);
    return view.value;
  }

  async function viewOf(guard: SwitchGuard, now = new Date()): Promise<GuardView> {
    const { windowMs: ms, armedAt, ...rest } = guard;
    return {
      ...rest,
      window: windowText(ms),
      armedAt: armedAt.toISOString(),
      now: await judgeWindow(db, guards, guard, now, percentOf(deps.switches.get(guard.name)?.value)),
      events: await guards.events(db, guard.name),
    };
  }

  return {
    /** Arms the guard (re-arming a tripped one) with the switch's current value as the value at arming. */
    async arm(name: string, settings: GuardSettings, actor: string): Promise<GuardView> {
      const current = percentSwitch(name);
      const guard = await db.transaction().execute(async (trx) => {
        const armed = await guards.arm(trx, {
          name,
          maxFailureRate: settings.maxFailureRate,
          windowMs: windowMs(settings.window)!,
          minMessages: settings.minMessages,
          rollbackTo: settings.rollbackTo ?? null,
          armedValue: current,
          armedBy: actor,
          reason: settings.reason,
        });
        await guards.addEvent(trx, { name, actor, action: 'armed', detail: { ...settings, armedValue: current } });
        return armed;
      });
      return viewOf(guard);
    },

    async of(name: string): Promise<GuardView> {
      percentSwitch(name);
      const guard = await guards.of(db, name);
      if (!guard) throw new NoGuardError(name);
      return viewOf(guard);
    },

    /** Every switch's guard as stored (state, trip), without its window's figures: for lists. */
    async all(): Promise<Map<string, SwitchGuard>> {
      return new Map((await guards.all(db)).map((g) => [g.name, g]));
    },

    async disarm(name: string, by: { actor: string; reason: string }): Promise<{ name: string; disarmed: true }> {
      percentSwitch(name);
      await db.transaction().execute(async (trx) => {
        if (!(await guards.remove(trx, name))) throw new NoGuardError(name);
        await guards.addEvent(trx, { name, actor: by.actor, action: 'disarmed', detail: { reason: by.reason } });
      });
      return { name, disarmed: true };
    },
  };
}

export type SwitchGuardAdmin = ReturnType<typeof createSwitchGuardAdmin>;
