// The blast radius of a flip, before it is made: which orders a new value would move to the other
// path, and which waiting messages it would touch. Reads only; nothing is written or taken off a
// queue. A percentage moves exactly the orders whose bucket lies between the current value and the
// new one (the runtime's own bucketing), one way; an on/off switch pauses or resumes its actor, so
// the answer is the depth of the queues that would stop or start moving.
import type { ActorName } from '../platform/amqp/topology.js';
import { changesPath } from '../platform/runtime-switches/bucketing.js';
import { InvalidSwitchValueError, UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { parseSwitchValue, type SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';
import type { Switches } from '../platform/runtime-switches/switches.js';

export const PREVIEW_SAMPLE_SIZE = 20;
/** How many not-yet-notified orders stand in for the messages waiting for the notification actor. */
export const WAITING_KEYS_MAX = 100_000;

export type QueueDepth = { queue: string; messages: number | null };

export type SwitchPreviewDeps = {
  switches: Pick<Switches, 'get'>;
  definitions: readonly SwitchDefinition[];
  /** The newest orders' ids, newest first. */
  recentOrderIds: (limit: number) => Promise<string[]>;
  /**
   * Per actor, the ids of the orders whose messages wait for it, where they are known without
   * touching the queue; an actor without one is estimated from its queue depth.
   */
  waitingOrderIds: Partial<Record<ActorName, { basis: string; ids: (limit: number) => Promise<string[]> }>>;
  /** Ready messages in each work queue of an actor (null: the broker did not say). */
  queueDepths: (actor: ActorName) => Promise<QueueDepth[]>;
};

const total = (depths: readonly QueueDepth[]) => depths.reduce<number | null>((sum, d) => (sum === null || d.messages === null ? null : sum + d.messages), 0);

export function createSwitchPreview(deps: SwitchPreviewDeps) {
  const actorOf = new Map(deps.definitions.map((d) => [d.name, d.actor]));

  async function previewPercent(name: string, from: number, to: number, last: number, actor: ActorName | undefined) {
    const ids = await deps.recentOrderIds(last);
    const moving = ids.filter((id) => changesPath(name, id, from, to));
    const direction = to > from ? 'old-to-new' : to < from ? 'new-to-old' : 'none';
    const share = Math.abs(to - from) / 100;
    const depths = actor ? await deps.queueDepths(actor) : [];
    const messages = total(depths);
    const known = actor ? deps.waitingOrderIds[actor] : undefined;
    const waitingIds = known ? await known.ids(WAITING_KEYS_MAX) : undefined;
    const waiting = waitingIds
      ? { basis: known!.basis, considered: waitingIds.length, wouldChange: waitingIds.filter((id) => changesPath(name, id, from, to)).length }
      : { basis: 'queue-depth-share', wouldChange: messages === null ? null : Math.round(messages * share) };
    const moved =
      direction === 'none'
        ? 'No order changes path'
        : `${moving.length} of the last ${ids.length} order(s) would move ${direction === 'old-to-new' ? 'onto the new path' : 'back to the old path'}`;
    return {
      name,
      kind: 'percent' as const,
      current: from,
      value: to,
      direction,
      /** The buckets whose orders change path: [from, to). */
      buckets: { from: Math.min(from, to), to: Math.max(from, to) },
      orders: { last, considered: ids.length, wouldChange: moving.length, sample: moving.slice(0, PREVIEW_SAMPLE_SIZE) },
      waiting: { actor: actor ?? null, queues: depths, messages, ...waiting },
      message: `${moved}; of the messages waiting${actor ? ` for the ${actor} actor` : ''}, ${waiting.wouldChange ?? 'an unknown number'} would (${waiting.basis}).`,
    };
  }

  async function previewOnOff(name: string, from: 'on' | 'off', to: 'on' | 'off', actor: ActorName | undefined) {
    const effect = from === to ? 'none' : to === 'on' ? 'pause' : 'resume';
    const depths = actor ? await deps.queueDepths(actor) : [];
    const messages = total(depths);
    const waiting = `${messages ?? 'an unknown number of'} message(s) waiting${actor ? ` for the ${actor} actor` : ''}`;
    const message =
      effect === 'none'
        ? `${name} is already ${to}; nothing changes`
        : effect === 'pause'
          ? `${actor ?? 'Its'} actors would stop consuming; ${waiting} would wait, and so would everything that arrives until it is off again`
          : `${actor ?? 'Its'} actors would resume; ${waiting} would start moving`;
    return { name, kind: 'onoff' as const, current: from, value: to, effect, actor: actor ?? null, queues: depths, messages, message };
  }

  /** What setting `name` to `input` would change now. Throws UnknownSwitchError or InvalidSwitchValueError, like a flip. */
  return async function preview(name: string, input: string, last: number) {
    const view = deps.switches.get(name);
    if (!view) throw new UnknownSwitchError(name);
    const parsed = parseSwitchValue(input, view.kind);
    if (!parsed.ok) throw new InvalidSwitchValueError(name, parsed.reason);
    const actor = actorOf.get(name);
    if (typeof view.value === 'number' && typeof parsed.value === 'number') return previewPercent(name, view.value, parsed.value, last, actor);
    if (typeof view.value === 'string' && typeof parsed.value === 'string') return previewOnOff(name, view.value, parsed.value, actor);
    // A switch found only in ZooKeeper whose value changed kind: nothing to compare it with.
    throw new InvalidSwitchValueError(name, `"${input}" is not the same kind of value as its current ${String(view.value)}`);
  };
}

export type SwitchPreview = ReturnType<typeof createSwitchPreview>;
