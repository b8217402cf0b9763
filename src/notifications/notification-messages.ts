// Message contract on the notification queue: what to tell which buyer, and the key that makes the
// telling happen once however often the message is delivered.
import { z } from 'zod';
import { IdSchema } from '../platform/id-schema.js';
import { PhoneSchema } from '../platform/phone-schema.js';

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export const NOTIFICATION_KINDS = ['order-confirmed', 'delivery-delayed'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NotificationRequestedSchema = z.strictObject({
  type: z.literal('notification.requested'),
  version: z.literal(1),
  orderId: IdSchema,
  kind: z.enum(NOTIFICATION_KINDS),
  to: PhoneSchema,
  params: z.record(z.string(), z.union([z.string().max(500), z.number()])),
  // Printable ASCII only: it is a database key and the provider's idempotency header, and a NUL
  // would make PostgreSQL refuse the whole batch it is written with.
  idempotencyKey: z.string().regex(IDEMPOTENCY_KEY, '1–200 printable ASCII characters, no spaces'),
  /** This service's HMAC of the rest (see notification-signature.ts): a forged notice is refused. */
  signature: z.string().length(43),
});
export type NotificationRequested = z.infer<typeof NotificationRequestedSchema>;
export type UnsignedNotification = Omit<NotificationRequested, 'signature'>;

/**
 * One key per logical notification: the kind (not the template variant a switch picks, so flipping
 * a switch between two attempts cannot send twice), the order, and the occasion (e.g. a delay id).
 */
export function idempotencyKey(kind: NotificationKind, orderId: string, occasion?: string): string {
  return occasion ? `${kind}:${orderId}:${occasion}` : `${kind}:${orderId}`;
}

/** A notice before it is signed: publishers sign it with their NotificationSigner. */
export function notificationRequested(input: Omit<UnsignedNotification, 'type' | 'version' | 'idempotencyKey'> & { occasion?: string }): UnsignedNotification {
  const { occasion, ...rest } = input;
  return { type: 'notification.requested', version: 1, ...rest, idempotencyKey: idempotencyKey(input.kind, input.orderId, occasion) };
}
