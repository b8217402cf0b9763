// The order a shop submits: the one source of truth for intake validation, the message contract
// and the OpenAPI document. Strict objects: an unknown field is an error, never silently dropped.
import { z } from 'zod';
import { ID, IdSchema } from '../platform/id-schema.js';
import { PHONE, PhoneSchema } from '../platform/phone-schema.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Free text that PostgreSQL can store and a phone screen can show: no control characters, no lone surrogates. */
export const safeText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters (such as \\u0000)')
    .refine((s) => s.isWellFormed(), 'must be valid Unicode (no lone surrogates)');

// Re-exported: an order's ids and phone follow the service-wide grammars.
export { ID, IdSchema, PHONE, PhoneSchema };

export const POSTAL_CODE = /^[A-Za-z0-9 -]{3,10}$/;

/** A calendar day that exists, e.g. 2026-12-01 (not 2026-02-30). */
export const CalendarDateSchema = z.iso.date('a calendar date YYYY-MM-DD that exists');

export const OrderItemSchema = z.strictObject({
  sku: IdSchema,
  name: safeText(200),
  quantity: z.number().int().min(1).max(999),
  // KRW has no minor unit: prices are whole won.
  unitPrice: z.number().int().min(0).max(100_000_000),
});

export const OrderSchema = z
  .strictObject({
    orderId: IdSchema,
    sellerId: IdSchema,
    buyer: z.strictObject({
      id: IdSchema,
      name: safeText(100),
      // The countries a deployment accepts are its setting, so the routes say which (phone-country-policy.ts).
      phone: PhoneSchema.describe('E.164, in a country this deployment delivers to (PHONE_COUNTRY_CODES); others are refused with 400 naming buyer.phone'),
    }),
    items: z.array(OrderItemSchema).min(1).max(100),
    currency: z.literal('KRW', 'only KRW is supported'),
    shippingAddress: z.strictObject({
      line1: safeText(200),
      line2: safeText(200).optional(),
      city: safeText(100),
      postalCode: z.string().regex(POSTAL_CODE, '3–10 letters, digits, spaces or dashes'),
    }),
    requestedDeliveryDate: CalendarDateSchema,
  })
  // The OpenAPI document's component: POST /orders takes one, POST /orders/batch a list of them.
  .meta({ id: 'Order' });

export type Order = z.infer<typeof OrderSchema>;
export type OrderItem = z.infer<typeof OrderItemSchema>;
