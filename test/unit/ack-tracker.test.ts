// The ack tracker acks runs with `multiple`, never a tag twice, never a tag that is not outstanding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAckTracker } from '../../src/platform/amqp/ack-tracker.js';

function recordingSink() {
  const frames: Array<[number, boolean]> = [];
  return { frames, sink: { ack: (tag: number, multiple: boolean) => frames.push([tag, multiple]) } };
}

describe('ack tracker', () => {
  it('acks a contiguous run with one multiple ack', () => {
    const { frames, sink } = recordingSink();
    const t = createAckTracker(sink, { maxWaiting: 100 });
    t.ack(2);
    t.ack(3);
    expect(frames).toEqual([]);
    t.ack(1);
    expect(frames).toEqual([[3, true]]);
  });

  it('with defer, acks everything settled in one turn with one frame, after the turn', () => {
    const { frames, sink } = recordingSink();
    const later: Array<() => void> = [];
    const t = createAckTracker(sink, { maxWaiting: 100, defer: (run) => later.push(run) });
    for (let tag = 1; tag <= 50; tag++) t.ack(tag);
    expect(frames).toEqual([]);
    expect(later).toHaveLength(1);
    later.shift()!();
    expect(frames).toEqual([[50, true]]);
    t.ack(52);
    t.flush();
    expect(frames).toEqual([
      [50, true],
      [52, false],
    ]);
    later.shift()!();
    expect(frames).toHaveLength(2);
  });

  it('skips nacked tags and never acks one', () => {
    const { frames, sink } = recordingSink();
    const t = createAckTracker(sink, { maxWaiting: 100 });
    t.ack(1);
    t.done(2);
    t.done(3);
    t.ack(4);
    expect(frames).toEqual([
      [1, true],
      [4, true],
    ]);
  });

  it('acks settled messages one by one when too many wait behind a slow one', () => {
    const { frames, sink } = recordingSink();
    const t = createAckTracker(sink, { maxWaiting: 2 });
    t.ack(2);
    t.ack(3);
    t.ack(4);
    expect(frames).toEqual([
      [2, false],
      [3, false],
      [4, false],
    ]);
    t.ack(1);
    expect(frames.at(-1)).toEqual([1, true]);
  });

  it('for any settlement order, acks each processed tag exactly once, never a nacked or unfinished one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }).chain((kinds) =>
          fc.tuple(
            fc.constant(kinds),
            fc.shuffledSubarray(
              kinds.map((_, i) => i + 1),
              { minLength: kinds.length, maxLength: kinds.length },
            ),
            fc.integer({ min: 1, max: 10 }),
          ),
        ),
        ([kinds, order, maxWaiting]) => {
          // The broker's view, live: tags outstanding, and which of them the consumer has finished.
          const outstanding = new Set(kinds.map((_, i) => i + 1));
          const finished = new Set<number>();
          const acked: number[] = [];
          const sink = {
            ack(tag: number, multiple: boolean) {
              expect(outstanding.has(tag)).toBe(true);
              for (const o of [...outstanding]) {
                if (o === tag || (multiple && o < tag)) {
                  expect(finished.has(o)).toBe(true);
                  expect(kinds[o - 1]).toBe(true);
                  outstanding.delete(o);
                  acked.push(o);
                }
              }
            },
          };
          const t = createAckTracker(sink, { maxWaiting });
          for (const tag of order) {
            finished.add(tag);
            if (kinds[tag - 1]) t.ack(tag);
            else {
              outstanding.delete(tag); // the caller nacked it itself
              t.done(tag);
            }
          }
          expect(outstanding.size).toBe(0);
          expect(acked.sort((a, b) => a - b)).toEqual(kinds.map((k, i) => (k ? i + 1 : 0)).filter((x) => x > 0));
        },
      ),
    );
  });
});
