// What of a stored dead letter is personal data, and how it is masked once kept long enough. The
// buyer's name, phone and address travel in order messages (`order.buyer`, `order.shippingAddress`)
// and in notifications (`to`, `params.buyerName`, for confirmations and delay notices alike). Keys
// are matched wherever they appear, not only at their contract's path: a message that failed its
// contract (an older or newer version, a field in the wrong place) holds the same data elsewhere.
// Pure, so the rules are unit-tested apart from the database.

/** What a masked value becomes, in JSON and as the whole of a body that is not JSON. */
export const MASKED = '[masked]';

/**
 * Keys whose whole value is personal, compared lowercased without a header's `x-` and without
 * dashes and underscores (so a header `x-buyer-phone` is `buyerphone`). `to` is a notification's
 * recipient phone.
 */
const PERSONAL_KEYS = new Set(['to', 'phone', 'buyername', 'buyerphone', 'buyeraddress', 'shippingaddress', 'address']);
const normalise = (key: string) => key.toLowerCase().replace(/^x-/, '').replace(/[-_]/g, '');

/** Every leaf replaced by the marker; objects and arrays keep their shape, so it shows what was there. */
function maskAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAll);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  return value === null ? null : MASKED;
}

/**
 * The value with every personal field masked. A `buyer` object is masked except its `id`: the id is
 * the shop's own reference, needed to find the order, and says nothing about the person by itself.
 */
export function maskPersonalFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskPersonalFields);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const k = normalise(key);
      if (PERSONAL_KEYS.has(k)) return [key, maskAll(v)];
      if (k === 'buyer' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const buyer = Object.entries(v as Record<string, unknown>);
        return [key, Object.fromEntries(buyer.map(([bk, bv]) => [bk, bk === 'id' ? bv : maskAll(bv)]))];
      }
      return [key, maskPersonalFields(v)];
    }),
  );
}

export type StoredMessageContent = { body: Buffer; bodyJson: unknown; headers: Record<string, unknown> };

/**
 * A stored dead letter's body, parsed body and headers with the personal data masked. A body that
 * is not JSON (or was not stored as JSON) cannot be searched for it, so it becomes the marker as a
 * whole. A JSON body is written again from the masked JSON: its bytes are no longer the ones sent,
 * which is why a masked message is never replayed.
 */
export function maskStoredMessage(stored: StoredMessageContent): StoredMessageContent {
  const headers = maskPersonalFields(stored.headers) as Record<string, unknown>;
  if (stored.bodyJson === null || stored.bodyJson === undefined) return { body: Buffer.from(MASKED), bodyJson: null, headers };
  const bodyJson = maskPersonalFields(stored.bodyJson);
  return { body: Buffer.from(JSON.stringify(bodyJson)), bodyJson, headers };
}
