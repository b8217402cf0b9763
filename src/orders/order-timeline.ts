// An order's hops in time order, built once for the shop's trace (GET /orders/{id}/trace) and the
// operators' timeline (GET /admin/orders/{id}/timeline), which adds the order's dead letters and
// what operators did with them.
import type { OrderView } from './order-repository.js';

export type TimelineEvent = { at: string; actor: string; event: string; detail: Record<string, unknown> };

/** Events from several sources in one time order; events at the same instant keep the order given. */
export function inTimeOrder(...sources: ReadonlyArray<readonly TimelineEvent[]>): TimelineEvent[] {
  return sources.flat().sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * The hops the journal records, with intake's acceptance first. The journal is written by each actor
 * in the same transaction as its work, so no hop is claimed that did not commit; intake writes none,
 * so its acceptance is read from the time the business step stored with the order.
 */
export function traceHops(view: Pick<OrderView, 'journal'>): TimelineEvent[] {
  const processed = view.journal.find((j) => j.event === 'order.processed');
  const submittedAt = processed?.detail.submittedAt;
  const accepted = typeof submittedAt === 'string' ? [{ at: submittedAt, actor: 'intake', event: 'order.accepted', detail: {} }] : [];
  return inTimeOrder(accepted, view.journal);
}

/** What the operators' timeline needs of a failed message of the order (the dead-letters feature hands these over). */
export type OrderDeadLetter = {
  id: number;
  actor: string;
  status: string;
  errorCode: string;
  errorMessage: string;
  deadLetterReason: string;
  attempts: number;
  lastFailedAt: string;
  traceId: string | null;
  replayOf: number | null;
  replayedAt: string | null;
  replayedBy: string | null;
  discardedAt: string | null;
  discardedBy: string | null;
  discardReason: string | null;
};

/** A dead letter as the events it stands for: it failed, then perhaps an operator replayed or discarded it. */
export function deadLetterEvents(letter: OrderDeadLetter): TimelineEvent[] {
  const deadLetterId = letter.id;
  return [
    {
      at: letter.lastFailedAt,
      actor: letter.actor,
      event: 'message.dead_lettered',
      detail: {
        deadLetterId,
        errorCode: letter.errorCode,
        errorMessage: letter.errorMessage,
        reason: letter.deadLetterReason,
        attempts: letter.attempts,
        status: letter.status,
        ...(letter.replayOf === null ? {} : { replayOf: letter.replayOf }),
      },
    },
    ...(letter.replayedAt
      ? [{ at: letter.replayedAt, actor: 'operator', event: 'dead_letter.replayed', detail: { deadLetterId, by: letter.replayedBy } }]
      : []),
    ...(letter.discardedAt
      ? [
          {
            at: letter.discardedAt,
            actor: 'operator',
            event: 'dead_letter.discarded',
            detail: { deadLetterId, by: letter.discardedBy, reason: letter.discardReason },
          },
        ]
      : []),
  ];
}
