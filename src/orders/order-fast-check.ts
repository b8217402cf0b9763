// A fast path for the business actor's contract check. Intake publishes every order exactly as the
// zod schema rebuilt it, and running the whole schema again on each delivery was a measurable part
// of an order's CPU. This check accepts only messages in that canonical form (every rule of the
// schema, and the keys in the schema's order), so whatever it accepts the schema accepts unchanged;
// anything else, a forged message included, goes to the schema, which judges it and names what is
// wrong. test/unit/fast-checks.test.ts holds it to that with generated messages.
import { z } from 'zod';
import { isId } from '../platform/id-schema.js';
import { hasKeysInOrder as hasKeys, isJsonObject as isObject } from '../platform/json-shape.js';
import { isPhone } from '../platform/phone-schema.js';
import type { OrderSubmitted } from './order-messages.js';
import { CONTROL_CHARS, POSTAL_CODE } from './order-schema.js';

const DATE = z.regexes.date;
const DATETIME = z.regexes.datetime({ precision: undefined, offset: false, local: false });

const MESSAGE_KEYS = ['type', 'version', 'order', 'submittedAt'];
const ORDER_KEYS = ['orderId', 'sellerId', 'buyer', 'items', 'currency', 'shippingAddress', 'requestedDeliveryDate'];
const BUYER_KEYS = ['id', 'name', 'phone'];
const ITEM_KEYS = ['sku', 'name', 'quantity', 'unitPrice'];
const ADDRESS_KEYS = ['line1', 'city', 'postalCode'];
const ADDRESS_KEYS_WITH_LINE2 = ['line1', 'line2', 'city', 'postalCode'];

export { isId, isPhone };

/** What safeText(max) accepts. */
export function isSafeText(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= max && !CONTROL_CHARS.test(v) && v.isWellFormed();
}

const isIntIn = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function isItem(v: unknown): boolean {
  return isObject(v) && hasKeys(v, ITEM_KEYS) && isId(v.sku) && isSafeText(v.name, 200) && isIntIn(v.quantity, 1, 999) && isIntIn(v.unitPrice, 0, 100_000_000);
}

function isAddress(v: unknown): boolean {
  if (!isObject(v)) return false;
  const withLine2 = 'line2' in v;
  if (!hasKeys(v, withLine2 ? ADDRESS_KEYS_WITH_LINE2 : ADDRESS_KEYS)) return false;
  if (withLine2 && !isSafeText(v.line2, 200)) return false;
  return isSafeText(v.line1, 200) && isSafeText(v.city, 100) && typeof v.postalCode === 'string' && POSTAL_CODE.test(v.postalCode);
}

function isOrder(v: unknown): boolean {
  if (!isObject(v) || !hasKeys(v, ORDER_KEYS)) return false;
  const { buyer, items } = v;
  if (!isObject(buyer) || !hasKeys(buyer, BUYER_KEYS) || !isId(buyer.id) || !isSafeText(buyer.name, 100) || !isPhone(buyer.phone)) return false;
  if (!Array.isArray(items) || items.length < 1 || items.length > 100 || !items.every(isItem)) return false;
  return (
    isId(v.orderId) &&
    isId(v.sellerId) &&
    v.currency === 'KRW' &&
    isAddress(v.shippingAddress) &&
    typeof v.requestedDeliveryDate === 'string' &&
    DATE.test(v.requestedDeliveryDate)
  );
}

/** True only if OrderSubmittedSchema accepts `raw` and would return it as it is. */
export function isCanonicalOrderSubmitted(raw: unknown): raw is OrderSubmitted {
  return (
    isObject(raw) &&
    hasKeys(raw, MESSAGE_KEYS) &&
    raw.type === 'order.submitted' &&
    raw.version === 1 &&
    typeof raw.submittedAt === 'string' &&
    DATETIME.test(raw.submittedAt) &&
    isOrder(raw.order)
  );
}
