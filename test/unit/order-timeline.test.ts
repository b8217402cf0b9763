// Building an order's timeline: the shop's trace puts intake's acceptance first, and the operators'
// timeline puts each dead letter, its replay and its discard in time order with the hops.
import { describe, expect, it } from 'vitest';
import { deadLetterEvents, inTimeOrder, traceHops, type OrderDeadLetter } from '../../src/orders/order-timeline.js';

const journal = [
  { at: '2026-12-01T10:00:01.000Z', actor: 'business', event: 'order.processed', detail: { submittedAt: '2026-12-01T10:00:00.500Z' } },
  { at: '2026-12-01T10:00:02.000Z', actor: 'notification', event: 'notification.failed', detail: {} },
  { at: '2026-12-01T10:05:00.000Z', actor: 'notification', event: 'notification.sent', detail: {} },
];

const letter: OrderDeadLetter = {
  id: 7,
  actor: 'notification',
  status: 'replayed',
  errorCode: 'provider_rejected',
  errorMessage: 'Messaging API rejected the message (400): no error code',
  deadLetterReason: 'permanent',
  attempts: 1,
  lastFailedAt: '2026-12-01T10:00:02.001Z',
  traceId: null,
  replayOf: null,
  replayedAt: '2026-12-01T10:04:59.000Z',
  replayedBy: 'kim (token 0123abcd)',
  discardedAt: null,
  discardedBy: null,
  discardReason: null,
};

describe('an order timeline', () => {
  it('starts the trace with intake accepting the order, read from the business step', () => {
    expect(traceHops({ journal }).map((h) => h.event)).toEqual(['order.accepted', 'order.processed', 'notification.failed', 'notification.sent']);
    expect(traceHops({ journal: journal.slice(1) })[0]!.event).toBe('notification.failed');
  });

  it('puts a dead letter, its replay and its discard in time order among the hops', () => {
    const events = inTimeOrder(traceHops({ journal }), deadLetterEvents(letter));
    expect(events.map((e) => e.event)).toEqual([
      'order.accepted',
      'order.processed',
      'notification.failed',
      'message.dead_lettered',
      'dead_letter.replayed',
      'notification.sent',
    ]);
    expect(
      deadLetterEvents({
        ...letter,
        status: 'discarded',
        replayedAt: null,
        discardedAt: '2026-12-01T11:00:00.000Z',
        discardedBy: 'kim',
        discardReason: 'test',
      }).map((e) => e.event),
    ).toEqual(['message.dead_lettered', 'dead_letter.discarded']);
  });

  it('keeps events at the same instant in the order given', () => {
    const at = '2026-12-01T10:00:00.000Z';
    expect(inTimeOrder([{ at, actor: 'a', event: 'first', detail: {} }], [{ at, actor: 'b', event: 'second', detail: {} }]).map((e) => e.event)).toEqual([
      'first',
      'second',
    ]);
  });
});
