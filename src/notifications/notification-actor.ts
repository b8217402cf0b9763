// The notification actor: tells buyers through the messaging API, once per idempotency key, and
// records each delivery and failed attempt in the order's journal.
import type { ActorDefinition, Incoming, Outcome } from '../platform/amqp/actor.js';
import type { ActorQueues } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import { errorCode, PermanentError } from '../platform/errors.js';
import type { PathOutcomes } from '../platform/runtime-switches/path-outcomes.js';
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import type { Delivery, DeliveryRepository, JournalLine } from './delivery-repository.js';
import type { MessagingClient } from './messaging-client.js';
import { isCanonicalNotificationRequested } from './notification-fast-check.js';
import { NotificationRequestedSchema, type NotificationRequested } from './notification-messages.js';
import type { NotificationSigner } from './notification-signature.js';
import { TEMPLATE_V2_SWITCH, templateFor } from './notification-switches.js';

/** What the notification queue carries and how a message is checked before the handler sees it (a replay's dry run checks the same). */
export const NOTIFICATION_CONTRACT = {
  versions: [1],
  schema: NotificationRequestedSchema,
  isCanonical: isCanonicalNotificationRequested,
  orderIdOf: (raw: unknown) => {
    const id = (raw as { orderId?: unknown } | undefined)?.orderId;
    return typeof id === 'string' ? id.slice(0, 64) : undefined;
  },
} satisfies Pick<ActorDefinition<NotificationRequested>, 'versions' | 'schema' | 'isCanonical' | 'orderIdOf'>;

export const forged = () =>
  new PermanentError(
    'forged_notification',
    "The notice does not carry this service's signature, so it was not published by order-actors (or its content was changed on the way); nothing was sent. Find who publishes to the notification queue.",
  );

export function createNotificationActor(deps: {
  db: Db;
  deliveries: DeliveryRepository;
  messaging: MessagingClient;
  switches: Pick<SwitchReader, 'takesNewPath'>;
  /** Whether each send on the template switch's paths worked: what its rollback guard judges. */
  pathOutcomes: Pick<PathOutcomes, 'record'>;
  signer: Pick<NotificationSigner, 'verify'>;
  queues: ActorQueues;
}): ActorDefinition<NotificationRequested> {
  const { db } = deps;

  async function handleBatch(batch: ReadonlyArray<Incoming<NotificationRequested>>): Promise<Outcome[]> {
    // A notice this service did not sign is never sent, nor journaled against the order it names.
    const genuine = batch.map((m) => deps.signer.verify(m.body));
    const messages = batch.filter((_, i) => genuine[i]);
    const outcomes = await handleGenuine(messages);
    let k = 0;
    return genuine.map((ok) => (ok ? outcomes[k++]! : { ok: false, error: forged() }));
  }

  async function handleGenuine(messages: ReadonlyArray<Incoming<NotificationRequested>>): Promise<Outcome[]> {
    if (messages.length === 0) return [];
    const already = await deps.deliveries.deliveredKeys(
      db,
      messages.map((m) => m.body.idempotencyKey),
    );
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
        const { template, path } = templateFor(request, deps.switches);
        try {
          const { id } = await deps.messaging.send({ to: request.to, template, params: request.params }, request.idempotencyKey, deadline);
          return { m, template, path, providerMessageId: id, error: undefined };
        } catch (error) {
          return { m, template, path, providerMessageId: undefined, error: error as Error };
        }
      }),
    );

    const sent: Delivery[] = [];
    const failed: JournalLine[] = [];
    for (const a of attempts) {
      if ('skipped' in a) continue;
      if (a.path) deps.pathOutcomes.record(TEMPLATE_V2_SWITCH, a.path, !a.error);
      const { body, traceId, attempt } = a.m;
      if (a.error) {
        failed.push({
          orderId: body.orderId,
          actor: 'notification',
          traceId,
          event: 'notification.failed',
          detail: { kind: body.kind, template: a.template, attempt: attempt + 1, errorCode: errorCode(a.error), error: a.error.message.slice(0, 300) },
        });
      } else if (a.providerMessageId !== undefined) {
        sent.push({
          idempotencyKey: body.idempotencyKey,
          orderId: body.orderId,
          kind: body.kind,
          template: a.template,
          providerMessageId: a.providerMessageId,
          traceId,
          attempt: attempt + 1,
          switchPath: a.path,
        });
      }
    }

    await deps.deliveries.recordOutcomes(db, sent, failed);

    return attempts.map((a): Outcome => (!('skipped' in a) && a.error ? { ok: false, error: a.error } : { ok: true }));
  }

  return {
    name: 'notification',
    queues: deps.queues,
    ...NOTIFICATION_CONTRACT,
    handleBatch,
  };
}
