// The notice a buyer gets about a delay, built in one place for both ways a delay is applied: by the
// fan-out (set-based, the usual way) and by the business step (a delay message on the business
// queue, for an order the fan-out could not find yet, a message from before the fan-out applied
// delays itself, or a replayed dead letter).
import { notificationRequested, type NotificationRequested } from '../notifications/notification-messages.js';
import type { NotificationSigner } from '../notifications/notification-signature.js';
import type { AppliedDelay } from './delay-repository.js';

/** What the delay's creation stored, not what any message says: a notice cannot tell a buyer a date no delay set. */
export function delayNotice(
  signer: NotificationSigner,
  delayId: string,
  orderId: string,
  pair: AppliedDelay & { contact: NonNullable<AppliedDelay['contact']> },
): NotificationRequested {
  const { contact } = pair;
  const notice = notificationRequested({
    orderId,
    kind: 'delivery-delayed',
    occasion: delayId,
    to: contact.phone,
    params: { orderId, buyerName: contact.name, previousDeliveryDate: pair.previousDeliveryDate, newDeliveryDate: pair.newDeliveryDate, reason: pair.reason },
  });
  return signer.sign(notice);
}
