// Notification messages name a phone number and the words to send it, so anyone who may publish on
// the vhost could otherwise text any number through us. Every notice this service publishes carries
// an HMAC of its content under a key kept in the database; the notification actor sends only notices
// whose HMAC it can check, and dead-letters the rest as forged.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../platform/db.js';
import type { NotificationRequested, UnsignedNotification } from './notification-messages.js';

export type NotificationSigner = {
  sign(notice: UnsignedNotification): NotificationRequested;
  /** True only when the notice's signature is this service's HMAC of its content. */
  verify(notice: NotificationRequested): boolean;
};

/** Every field that decides who is told what, in a fixed order (params keep their own order). */
function signedContent(n: UnsignedNotification): string {
  return JSON.stringify([n.type, n.version, n.orderId, n.kind, n.to, n.params, n.idempotencyKey]);
}

export function createNotificationSigner(key: Buffer): NotificationSigner {
  const mac = (n: UnsignedNotification) => createHmac('sha256', key).update(signedContent(n)).digest();
  return {
    sign: (notice) => ({ ...notice, signature: mac(notice).toString('base64url') }),
    verify(notice) {
      const given = Buffer.from(notice.signature, 'base64url');
      const expected = mac(notice);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/**
 * The key, made once by whichever process starts first and shared by all through the database: no
 * setting to keep equal across machines. Whoever can read this table is trusted anyway.
 */
export async function loadNotificationKey(db: Db): Promise<Buffer> {
  await db
    .insertInto('notification_signing_keys')
    .values({ name: 'current', secret: randomBytes(32) })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('notification_signing_keys').select('secret').where('name', '=', 'current').executeTakeFirstOrThrow();
  return row.secret;
}
