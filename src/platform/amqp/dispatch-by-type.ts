// An actor whose queue carries several message types hands each type to its own step: one batch
// becomes one sub-batch per type, the steps run side by side (they touch different rows), and the
// outcomes come back in the batch's order, as the runtime expects them.
import type { Incoming, Outcome } from './actor.js';

type Typed = { type: string };
/** One step per message type, each taking only messages of its type. */
export type StepsByType<M extends Typed> = {
  [K in M['type']]: (messages: ReadonlyArray<Incoming<Extract<M, { type: K }>>>) => Promise<Outcome[]>;
};

export function dispatchByType<M extends Typed>(steps: StepsByType<M>): (messages: ReadonlyArray<Incoming<M>>) => Promise<Outcome[]> {
  return async (messages) => {
    const byType = new Map<M['type'], { at: number[]; messages: Array<Incoming<M>> }>();
    messages.forEach((m, at) => {
      const group = byType.get(m.body.type) ?? { at: [], messages: [] };
      group.at.push(at);
      group.messages.push(m);
      byType.set(m.body.type, group);
    });
    const outcomes = new Array<Outcome>(messages.length);
    await Promise.all(
      [...byType].map(async ([type, group]) => {
        // The map above grouped by `type`, so every message here is of the step's type; TypeScript
        // cannot follow that through a Map, hence this one widening.
        const step = steps[type] as (messages: ReadonlyArray<Incoming<M>>) => Promise<Outcome[]>;
        const results = await step(group.messages);
        if (results.length !== group.messages.length) {
          throw new Error(`the ${type} step answered ${results.length} outcomes for ${group.messages.length} messages; a step must answer one per message`);
        }
        group.at.forEach((at, k) => (outcomes[at] = results[k]!));
      }),
    );
    return outcomes;
  };
}
