// The notification actor: tells buyers through the messaging API, once per idempotency key, and
// records each delivery and failed attempt in the order's journal.
import type { ActorDefinition, Incoming, Outcome } from '../platform/amqp/actor.js';
import type { ActorQueues } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import { errorCode } from '../platform/errors.js';
import type { SwitchReader } from '../platform/switches/switch-reader.js';
import type { JournalEntry, OrderRepository } from '../orders/order-repository.js';
import type { Delivery, DeliveryRepository } from './delivery-repository.js';
import type { MessagingClient } from './messaging-client.js';
import { NotificationRequestedSchema, type NotificationRequested } from './notification-messages.js';
import { isCanonicalNotificationRequested } from './notification-fast-check.js';

export const TEMPLATE_V2_SWITCH = 'notification-template-v2';

/** The template a notification kind is sent with; a switch moves order confirmations to v2. */
function chooseTemplate(request: NotificationRequested, switches: Pick<SwitchReader, 'takesNewPath'>) {
  if (request.kind !== 'order-confirmed') return { template: request.kind, path: undefined };
  const v2 = switches.takesNewPath(TEMPLATE_V2_SWITCH, request.orderId);
  return { template: v2 ? 'order-confirmed-v2' : 'order-confirmed', path: v2 ? ('new' as const) : ('old' as const) };
}

export function createNotificationActor(deps: {
  db: Db;
  orders: OrderRepository;
  deliveries: DeliveryRepository;
  messaging: MessagingClient;
  switches: Pick<SwitchReader, 'takesNewPath'>;
  queues: ActorQueues;
}): ActorDefinition<NotificationRequested> {
  const { db } = deps;

  async function handleBatch(messages: ReadonlyArray<Incoming<NotificationRequested>>): Promise<Outcome[]> {
    const already = await deps.deliveries.deliveredKeys(db, messages.map((m) => m.body.idempotencyKey));
    // Copies of one request can arrive in the same batch (an order resubmitted, a business message
    // redelivered after a lost confirm): the first is sent and journaled, the others are done with it.
    // If the first fails, it is retried and carries the notification for all of them.
    const inBatch = new Set<string>();
    const deadline = deps.messaging.callDeadline();

    const attempts = await Promise.all(
      messages.map(async (m) => {
        const request = m.body;
        if (already.has(request.idempotencyKey) || inBatch.has(request.idempotencyKey)) return { m, skipped: true as const };
        inBatch.add(request.idempotencyKey);
        const { template, path } = chooseTemplate(request, deps.switches);
        try {
          const { id } = await deps.messaging.send({ to: request.to, template, params: request.params }, request.idempotencyKey, deadline);
          return { m, template, path, providerMessageId: id, error: undefined };
        } catch (error) {
          return { m, template, path, providerMessageId: undefined, error: error as Error };
        }
      }),
    );

    const sent: Delivery[] = [];
    const failed: JournalEntry[] = [];
    for (const a of attempts) {
      if ('skipped' in a) continue;
      const { body, traceId, attempt } = a.m;
      if (a.error) {
        failed.push({
          orderId: body.orderId, actor: 'notification', traceId, event: 'notification.failed',
          detail: { kind: body.kind, template: a.template, attempt: attempt + 1, errorCode: errorCode(a.error), error: a.error.message.slice(0, 300) },
        });
      } else if (a.providerMessageId !== undefined) {
        sent.push({
          idempotencyKey: body.idempotencyKey, orderId: body.orderId, kind: body.kind, template: a.template, providerMessageId: a.providerMessageId,
          traceId, attempt: attempt + 1, switchPath: a.path,
        });
      }
    }

    await deps.deliveries.recordOutcomes(db, sent, failed);

    return attempts.map((a): Outcome => (!('skipped' in a) && a.error ? { ok: false, error: a.error } : { ok: true }));
  }

  return {
    name: 'notification',
    queues: deps.queues,
    versions: [1],
    schema: NotificationRequestedSchema,
    isCanonical: isCanonicalNotificationRequested,
    orderIdOf: (raw) => {
      const id = (raw as { orderId?: unknown } | undefined)?.orderId;
      return typeof id === 'string' ? id.slice(0, 64) : undefined;
    },
    handleBatch,
  };
}
