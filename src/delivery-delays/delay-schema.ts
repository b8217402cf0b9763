// The delivery-delay request a seller sends, and the message the fan-out puts on the business queue
// for each affected order. Versioned message contract, like every other.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CalendarDateSchema, IdSchema, safeText } from '../orders/order-schema.js';

export const MAX_DELAY_ORDER_IDS = 10_000;

export const DeliveryDelayRequestSchema = z
  .strictObject({
    sellerId: IdSchema,
    /** Select the seller's orders due that day… */
    requestedDeliveryDate: CalendarDateSchema.optional(),
    /** …or name them (up to 10,000). */
    orderIds: z.array(IdSchema).min(1).max(MAX_DELAY_ORDER_IDS).optional(),
    newDeliveryDate: CalendarDateSchema,
    reason: safeText(200),
  })
  .refine((r) => (r.requestedDeliveryDate === undefined) !== (r.orderIds === undefined), {
    message: 'give either requestedDeliveryDate or orderIds, not both',
    path: ['requestedDeliveryDate'],
  })
  .refine((r) => r.requestedDeliveryDate === undefined || r.newDeliveryDate > r.requestedDeliveryDate, {
    message: 'must be later than requestedDeliveryDate',
    path: ['newDeliveryDate'],
  })
  // The OpenAPI document's component for the body of POST /delivery-delays.
  .meta({ id: 'DeliveryDelayRequest' });
export type DeliveryDelayRequest = z.infer<typeof DeliveryDelayRequestSchema>;

/**
 * The same orders moved to the same date always get the same id, so a seller (or a client retry)
 * sending it twice creates one delay and tells each buyer once. The reason is left out: a request
 * that only words the reason differently must not tell every buyer again.
 */
export function delayIdOf(request: DeliveryDelayRequest): string {
  const canonical = JSON.stringify([
    request.sellerId,
    request.requestedDeliveryDate ?? null,
    request.orderIds ? [...new Set(request.orderIds)].sort() : null,
    request.newDeliveryDate,
  ]);
  return `dly_${createHash('sha256').update(canonical).digest('base64url').slice(0, 22)}`;
}

export const DeliveryDelayedSchema = z.strictObject({
  type: z.literal('delivery.delayed'),
  version: z.literal(1),
  delayId: IdSchema,
  orderId: IdSchema,
  previousDeliveryDate: CalendarDateSchema,
  newDeliveryDate: CalendarDateSchema,
  reason: safeText(200),
});
export type DeliveryDelayed = z.infer<typeof DeliveryDelayedSchema>;
