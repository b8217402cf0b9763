// Notices as the service publishes them: signed with the key the service keeps in the test's schema,
// so a test can put a genuine notice straight onto the notification queue.
import { notificationRequested, type NotificationRequested } from '../../src/notifications/notification-messages.js';
import { createNotificationSigner, loadNotificationKey, type NotificationSigner } from '../../src/notifications/notification-signature.js';
import type { Db } from '../../src/platform/db.js';

export async function serviceSigner(db: Db): Promise<NotificationSigner> {
  return createNotificationSigner(await loadNotificationKey(db));
}

/** An order confirmation for `orderId` to a fixed buyer, signed as the business step signs it. */
export function confirmationNotice(signer: NotificationSigner, orderId: string, to = '+821012345678'): NotificationRequested {
  return signer.sign(notificationRequested({ orderId, kind: 'order-confirmed', to, params: { orderId } }));
}
