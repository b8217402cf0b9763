// The business step for submitted orders: price each, store it once (one statement per batch),
// refuse a conflicting resubmission, and ask for the buyer's confirmation.
import { notificationRequested } from '../notifications/notification-messages.js';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import type { Incoming, Outcome } from '../platform/amqp/actor.js';
import type { Db } from '../platform/db.js';
import { PermanentError, RetryableError } from '../platform/errors.js';
import type { PathOutcomes } from '../platform/runtime-switches/path-outcomes.js';
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import { orderHash, type OrderSubmitted } from './order-messages.js';
import type { JournalEntry, NewOrder, OrderRepository } from './order-repository.js';
import { priceOrder } from './order-rules.js';
import { RULES_V2_SWITCH, ruleVersionFor } from './order-switches.js';

export function createSubmissionHandler(deps: {
  db: Db;
  orders: OrderRepository;
  switches: Pick<SwitchReader, 'takesNewPath'>;
  /** Whether the orders priced on each rule's path were stored: what the rules switch's rollback guard judges. */
  pathOutcomes: Pick<PathOutcomes, 'record'>;
  notificationQueue: string;
  signer: NotificationSigner;
}) {
  const { db, orders } = deps;

  return async function handleSubmitted(messages: ReadonlyArray<Incoming<OrderSubmitted>>): Promise<Outcome[]> {
    // Pricing is where the rules switch sends an order down one path or the other, so it is what
    // the switch's rollback guard judges: an order whose pricing throws fails alone, retried (after
    // a rollback it takes the old rule), and counts against its path. A database that is away is not
    // the rule's fault and counts against neither.
    const priced = messages.map((m) => {
      const version = ruleVersionFor(deps.switches, m.body.order.orderId);
      try {
        return { version, pricing: priceOrder(m.body.order.items, version) };
      } catch (error) {
        return { version, error };
      }
    });
    for (const p of priced) deps.pathOutcomes.record(RULES_V2_SWITCH, p.version === 2 ? 'new' : 'old', !p.error);
    const candidates: NewOrder[] = messages.flatMap((m, i) => {
      const { pricing } = priced[i]!;
      if (!pricing) return [];
      return [
        { order: m.body.order, pricing, payloadHash: orderHash(m.body.order), traceId: m.traceId, submittedAt: m.body.submittedAt, attempt: m.attempt + 1 },
      ];
    });

    // The happy path is one statement, atomic by itself: the new orders' rows are also their
    // order.processed events. Only copies of stored orders cost more: a read, and a journal row
    // for each conflict. A process dying in between is harmless: the redelivered message finds its
    // order stored and is judged again the same way.
    const inserted = await orders.insertNew(db, candidates);
    const claimed = new Set<string>();
    const isNew = candidates.map((c) => {
      const id = c.order.orderId;
      if (inserted.has(id) && !claimed.has(id)) {
        claimed.add(id);
        return true;
      }
      return false;
    });
    const existing = await orders.stored(
      db,
      candidates.filter((_, i) => !isNew[i]).map((c) => c.order.orderId),
    );
    const verdicts = candidates.map((c, i) => {
      if (isNew[i]) return 'new' as const;
      const stored = existing.get(c.order.orderId);
      // Intake refuses an id another seller holds; this catches two sellers' first submissions of
      // one id racing each other. The loser's message fails alone: the winner's journal is not touched.
      if (stored && stored.sellerId !== c.order.sellerId) return 'foreign' as const;
      return stored?.payloadHash === c.payloadHash ? ('duplicate' as const) : ('conflict' as const);
    });
    // A duplicate is confirmed with the total that was stored, not one priced again now (a switch
    // may have moved the order to another rule since).
    const totals = new Map([...existing].map(([id, e]) => [id, e.total]));
    await orders.appendJournal(
      db,
      candidates.flatMap((c, i): JournalEntry[] =>
        verdicts[i] === 'conflict'
          ? [{ orderId: c.order.orderId, actor: 'business', traceId: c.traceId, event: 'order.conflict_rejected', detail: { payloadHash: c.payloadHash } }]
          : [],
      ),
    );

    const judged = candidates.map((c, i): Outcome => {
      const { order } = c;
      if (verdicts[i] === 'foreign') {
        return {
          ok: false,
          error: new PermanentError(
            'order_id_taken',
            `orderId ${order.orderId} is already in use by another seller; this order was not stored. Submit it under another orderId.`,
          ),
        };
      }
      if (verdicts[i] === 'conflict') {
        return {
          ok: false,
          error: new PermanentError(
            'order_conflict',
            `Order ${order.orderId} was already accepted with different content; the first one is kept. Submit changes under a new orderId.`,
          ),
        };
      }
      // A duplicate asks again for the confirmation: the first run may have died before publishing
      // it, and the notification actor sends each idempotency key once.
      const total = totals.get(order.orderId) ?? candidates[i]!.pricing.total;
      const request = deps.signer.sign(
        notificationRequested({
          orderId: order.orderId,
          kind: 'order-confirmed',
          to: order.buyer.phone,
          params: {
            orderId: order.orderId,
            buyerName: order.buyer.name,
            total,
            currency: order.currency,
            deliveryDate: order.requestedDeliveryDate,
          },
        }),
      );
      return { ok: true, emit: [{ routingKey: deps.notificationQueue, body: request, messageId: request.idempotencyKey, type: request.type }] };
    });
    let k = 0;
    return priced.map((p): Outcome => {
      if (p.pricing) return judged[k++]!;
      const cause = p.error instanceof Error ? p.error.message : String(p.error);
      return {
        ok: false,
        error: new RetryableError('pricing_failed', `Pricing with shipping rule v${p.version} failed (${cause.slice(0, 200)}); the order is retried`, {
          cause: p.error,
        }),
      };
    });
  };
}
