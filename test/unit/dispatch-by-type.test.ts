// One batch of mixed message types: each step sees only its own type, the steps run side by side,
// and the outcomes come back in the batch's order.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Incoming, Outcome } from '../../src/platform/amqp/actor.js';
import { dispatchByType } from '../../src/platform/amqp/dispatch-by-type.js';

type A = { type: 'a'; n: number };
type B = { type: 'b'; s: string };
const logger = pino({ level: 'silent' });
const incoming = <T>(body: T, i: number): Incoming<T> => ({
  body,
  messageId: `m${i}`,
  attempt: 0,
  redelivered: false,
  headers: {},
  traceId: 't',
  traceparent: 'p',
  logger,
});

describe('dispatchByType', () => {
  it('hands each step its own messages and returns the outcomes in the batch order', async () => {
    const seen: string[] = [];
    const handle = dispatchByType<A | B>({
      a: async (ms) => {
        seen.push(`a:${ms.map((m) => m.body.n).join(',')}`);
        return ms.map((m): Outcome => (m.body.n % 2 ? { ok: true } : { ok: false, error: new Error(`a${m.body.n}`) }));
      },
      b: async (ms) => {
        seen.push(`b:${ms.map((m) => m.body.s).join(',')}`);
        return ms.map((m): Outcome => ({ ok: false, error: new Error(m.body.s) }));
      },
    });
    const batch = [
      { type: 'a', n: 1 },
      { type: 'b', s: 'x' },
      { type: 'a', n: 2 },
      { type: 'b', s: 'y' },
      { type: 'a', n: 3 },
    ] as Array<A | B>;
    const outcomes = await handle(batch.map(incoming));
    expect(seen.sort()).toEqual(['a:1,2,3', 'b:x,y']);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.message))).toEqual(['ok', 'x', 'a2', 'y', 'ok']);
  });

  it('calls no step for a type the batch does not hold', async () => {
    let calledB = false;
    const handle = dispatchByType<A | B>({
      a: async (ms) => ms.map((): Outcome => ({ ok: true })),
      b: async () => {
        calledB = true;
        return [];
      },
    });
    expect(await handle([incoming<A | B>({ type: 'a', n: 1 }, 0)])).toEqual([{ ok: true }]);
    expect(calledB).toBe(false);
  });

  it('refuses a step that answers the wrong number of outcomes', async () => {
    const handle = dispatchByType<A | B>({ a: async () => [], b: async () => [] });
    await expect(handle([incoming<A | B>({ type: 'a', n: 1 }, 0)])).rejects.toThrow(/answered 0 outcomes for 1 messages/);
  });
});
