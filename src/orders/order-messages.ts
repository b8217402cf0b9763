// Message contracts on the business queue, versioned. A message is built here from an order intake
// has already parsed with OrderSchema, so it is valid by construction (the types see to it) and is
// not parsed a second time on the hot path; every consumer validates what it takes off a queue.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { OrderSchema, type Order } from './order-schema.js';

export const OrderSubmittedSchema = z.strictObject({
  type: z.literal('order.submitted'),
  version: z.literal(1),
  order: OrderSchema,
  submittedAt: z.iso.datetime(),
});
export type OrderSubmitted = z.infer<typeof OrderSubmittedSchema>;

export function orderSubmitted(order: Order, now = new Date()): OrderSubmitted {
  return { type: 'order.submitted', version: 1, order, submittedAt: now.toISOString() };
}

/**
 * Fingerprint of an order's content. zod rebuilds parsed objects in schema order, so equal orders
 * serialise identically whatever key order the client sent.
 */
export function orderHash(order: Order): string {
  return createHash('sha256').update(JSON.stringify(order)).digest('base64url');
}
