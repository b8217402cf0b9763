// A fast path for the notification actor's contract check, as order-fast-check.ts is for the
// business actor's: it accepts only notices in the form the business step and the delay fan-out
// publish them, so whatever it accepts the schema accepts; anything else goes to the schema.
import { isId } from '../platform/id-schema.js';
import { hasKeysInOrder, isJsonObject } from '../platform/json-shape.js';
import { isPhone } from '../platform/phone-schema.js';
import { IDEMPOTENCY_KEY, NOTIFICATION_KINDS, type NotificationRequested } from './notification-messages.js';

const KEYS = ['type', 'version', 'orderId', 'kind', 'to', 'params', 'idempotencyKey', 'signature'];
const KINDS: ReadonlySet<unknown> = new Set(NOTIFICATION_KINDS);

function isParams(v: unknown): boolean {
  if (!isJsonObject(v)) return false;
  for (const key in v) {
    // zod rebuilds the record, and "__proto__" would not survive that as a key.
    if (!Object.hasOwn(v, key) || key === '__proto__') return false;
    const value = v[key];
    if (typeof value === 'string' ? value.length > 500 : typeof value !== 'number' || !Number.isFinite(value)) return false;
  }
  return true;
}

/** True only if NotificationRequestedSchema accepts `raw` and would return it as it is. */
export function isCanonicalNotificationRequested(raw: unknown): raw is NotificationRequested {
  return (
    isJsonObject(raw) &&
    hasKeysInOrder(raw, KEYS) &&
    raw.type === 'notification.requested' &&
    raw.version === 1 &&
    isId(raw.orderId) &&
    KINDS.has(raw.kind) &&
    isPhone(raw.to) &&
    typeof raw.idempotencyKey === 'string' &&
    IDEMPOTENCY_KEY.test(raw.idempotencyKey) &&
    typeof raw.signature === 'string' &&
    raw.signature.length === 43 &&
    isParams(raw.params)
  );
}
