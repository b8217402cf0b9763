// The business step for delivery delays: move each order's delivery date once per delay, journal
// it, and ask for the buyer to be told (again idempotent per order and delay). The fan-out applies
// delays itself; this step takes the delay messages it still sends (see delay-notice.ts).
import type { NotificationSigner } from '../notifications/notification-signature.js';
import type { Incoming, Outcome } from '../platform/amqp/actor.js';
import type { Db } from '../platform/db.js';
import { PermanentError, RetryableError } from '../platform/errors.js';
import { delayNotice } from './delay-notice.js';
import type { DelayRepository } from './delay-repository.js';
import type { DeliveryDelayed } from './delay-schema.js';

export function createDelayHandler(deps: { db: Db; delays: DelayRepository; notificationQueue: string; signer: NotificationSigner }) {
  return async function handleDelayed(messages: ReadonlyArray<Incoming<DeliveryDelayed>>): Promise<Outcome[]> {
    const pairs = await deps.delays.applyDelays(
      deps.db,
      messages.map((m) => ({ delayId: m.body.delayId, orderId: m.body.orderId })),
    );

    return messages.map((m): Outcome => {
      const { delayId, orderId } = m.body;
      // Not a pair any delay request created (forged, or sent to the wrong deployment): telling the
      // buyer of a delay that moved no date would be a lie, and no retry can make it true.
      const pair = pairs.get(`${delayId}:${orderId}`);
      if (!pair) {
        return { ok: false, error: new PermanentError('unknown_delay', `Delay ${delayId} does not concern order ${orderId}; no delivery date was moved`) };
      }
      // The fan-out only names stored orders; a missing one is a replica lag or a restore in
      // progress, worth another try rather than a dead letter.
      const { contact } = pair;
      if (!contact) return { ok: false, error: new RetryableError('order_not_found', `Order ${orderId} of delay ${delayId} is not in the database yet`) };
      const request = delayNotice(deps.signer, delayId, orderId, { ...pair, contact });
      return { ok: true, emit: [{ routingKey: deps.notificationQueue, body: request, messageId: request.idempotencyKey, type: request.type }] };
    });
  };
}
