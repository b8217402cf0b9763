// The actors' fast contract checks may skip the zod schema only for messages the schema accepts and
// returns unchanged. Generated messages hold them to it: what our producers publish passes the
// fast path, and any message it passes, however bent, the schema accepts as it is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { isCanonicalNotificationRequested } from '../../src/notifications/notification-fast-check.js';
import { notificationRequested, NotificationRequestedSchema } from '../../src/notifications/notification-messages.js';
import { createNotificationSigner } from '../../src/notifications/notification-signature.js';
import { isCanonicalOrderSubmitted } from '../../src/orders/order-fast-check.js';
import { orderSubmitted, OrderSubmittedSchema } from '../../src/orders/order-messages.js';
import { OrderSchema } from '../../src/orders/order-schema.js';
import { makeOrder } from '../support/orders.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings near the rules' edges: control characters, lone surrogates, lengths around the limits. */
const trickyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 5 }),
  fc.constantFrom(
    '',
    '\u0000',
    'a\u007f',
    '\ud800',
    'x\udc00y',
    '+821012345678',
    '+0123',
    '2026-02-29',
    '2026-02-28',
    '2026-12-01T00:00:00.000Z',
    '2026-12-01T24:00:00Z',
    'KRW',
    'krw',
    '__proto__',
    'order.submitted',
    'notification.requested',
    'order-confirmed',
    'a b',
  ),
  fc.integer({ min: 0, max: 600 }).map((n) => 'x'.repeat(n)),
);
const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  trickyString,
  fc.integer({ min: -2, max: 100_000_001 }),
  fc.constantFrom(0.5, -0, 1e21, null, true, false, 999, 1000, 100, 101),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

/** Every path to a value inside `v`, as keys and indexes. */
function paths(v: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return [prefix, ...v.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (v !== null && typeof v === 'object') return [prefix, ...Object.entries(v).flatMap(([k, item]) => paths(item, [...prefix, k]))];
  return [prefix];
}

type Mutation = { kind: 'set'; value: Json } | { kind: 'delete' } | { kind: 'add'; key: string; value: Json } | { kind: 'reverse' };

/** Applies one mutation at one path of a deep copy. */
function mutate(original: Json, path: Array<string | number>, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(original)) as Json;
  if (path.length === 0) return m.kind === 'set' ? m.value : copy;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  const target = parent[last]!;
  if (m.kind === 'set') parent[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (m.kind === 'add' && target !== null && typeof target === 'object' && !Array.isArray(target)) {
    // Defined, not assigned: "__proto__" must become a key, as JSON.parse makes it one.
    Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  } else if (m.kind === 'reverse' && target !== null && typeof target === 'object') {
    parent[last] = Array.isArray(target) ? [...target].reverse() : Object.fromEntries(Object.entries(target).reverse());
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  jsonValue.map((value): Mutation => ({ kind: 'set', value })),
  fc.constant<Mutation>({ kind: 'delete' }),
  fc.tuple(fc.constantFrom('extra', 'line2', 'orderId', '__proto__', 'constructor'), jsonValue).map(([key, value]): Mutation => ({ kind: 'add', key, value })),
  fc.constant<Mutation>({ kind: 'reverse' }),
);

const TRICKY_VALUES: Json[] = [
  '',
  '\u0000',
  'a\u007f',
  'tab\there',
  '\ud800',
  'x\udc00y',
  'x'.repeat(65),
  'x'.repeat(101),
  'x'.repeat(201),
  'x'.repeat(501),
  '+821012345678',
  '+0123',
  '821012345678',
  '2026-02-29',
  '2026-02-30',
  '2026-12-01T00:00:00.000Z',
  '2026-12-01T24:00:00Z',
  '2026-12-01',
  'KRW',
  'krw',
  '__proto__',
  'a b',
  'ab',
  '04524',
  'order-confirmed',
  'bogus-kind',
  0,
  -1,
  -0,
  1,
  0.5,
  999,
  1000,
  100_000_000,
  100_000_001,
  1e21,
  null,
  true,
  [],
  {},
  [1],
  { a: 1 },
];

/** Every single change of one value, deletion, reordering or extra key: exhaustively, not by chance. */
function eachSingleChange(base: Json): Json[] {
  const changed: Json[] = [];
  for (const path of paths(base)) {
    for (const value of TRICKY_VALUES) changed.push(mutate(base, path, { kind: 'set', value }));
    changed.push(mutate(base, path, { kind: 'delete' }), mutate(base, path, { kind: 'reverse' }));
    for (const key of ['extra', 'line2', '__proto__', 'constructor']) changed.push(mutate(base, path, { kind: 'add', key, value: 1 }));
  }
  return changed;
}

function check(schema: z.ZodType, fast: (raw: unknown) => boolean, message: Json): void {
  const raw = JSON.parse(JSON.stringify(message)) as unknown;
  if (!fast(raw)) return;
  const parsed = schema.safeParse(raw);
  expect(parsed.success, JSON.stringify(raw)).toBe(true);
  expect(JSON.stringify(parsed.data)).toBe(JSON.stringify(raw));
}

/** The fast check never passes what the schema refuses or would change. */
function holdsTo(schema: z.ZodType, fast: (raw: unknown) => boolean, base: Json): void {
  for (const message of eachSingleChange(base)) check(schema, fast, message);
  fc.assert(
    fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (seed, mutations) => {
      let message = base;
      for (const [i, m] of mutations.entries()) {
        const all = paths(message);
        message = mutate(message, all[(seed + i * 7919) % all.length]!, m);
      }
      check(schema, fast, message);
    }),
    { numRuns: 3_000 },
  );
}

describe("the business actor's fast check", () => {
  const published = (order = makeOrder()) => JSON.parse(JSON.stringify(orderSubmitted(OrderSchema.parse(order)))) as Json;

  it('passes what intake publishes, with or without line2 and with many items', () => {
    expect(isCanonicalOrderSubmitted(published())).toBe(true);
    const items = Array.from({ length: 100 }, (_, i) => ({ sku: `s-${i}`, name: 'Sweet corn', quantity: 999, unitPrice: 100_000_000 }));
    expect(isCanonicalOrderSubmitted(published(makeOrder({ items, shippingAddress: { line1: 'a', line2: 'b', city: 'c', postalCode: '04524' } })))).toBe(true);
  });

  it('passes nothing the schema refuses or would rebuild differently', () => {
    holdsTo(
      OrderSubmittedSchema,
      isCanonicalOrderSubmitted,
      published(makeOrder({ shippingAddress: { line1: 'a', line2: 'b', city: 'c', postalCode: '04524' } })),
    );
  });

  it("leaves a client's key order, a second order or a forged version to the schema", () => {
    const message = published() as Record<string, Json>;
    expect(isCanonicalOrderSubmitted({ ...message, version: 2 })).toBe(false);
    expect(isCanonicalOrderSubmitted({ submittedAt: message.submittedAt, type: message.type, version: 1, order: message.order })).toBe(false);
  });
});

describe("the notification actor's fast check", () => {
  const published = JSON.parse(
    JSON.stringify(
      createNotificationSigner(Buffer.alloc(32, 7)).sign(
        notificationRequested({
          orderId: 'A-1',
          kind: 'delivery-delayed',
          occasion: 'dly_1',
          to: '+821012345678',
          params: { orderId: 'A-1', buyerName: 'Kim', total: 18_900, reason: 'rain' },
        }),
      ),
    ),
  ) as Json;

  it('passes what the business step and the fan-out publish', () => {
    expect(isCanonicalNotificationRequested(published)).toBe(true);
  });

  it('passes nothing the schema refuses or would rebuild differently', () => {
    holdsTo(NotificationRequestedSchema, isCanonicalNotificationRequested, published);
  });
});
