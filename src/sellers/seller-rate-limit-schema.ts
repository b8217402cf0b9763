// The operator's override of one seller's rate limits, as the admin routes and the CLI accept it.
import { z } from 'zod';

// Far above anything one process can serve, low enough to keep the value a plain integer in SQL.
const MAX_PER_MINUTE = 1_000_000_000;
const perMinute = z.number().int().min(0, 'at least 0 (0 means no limit)').max(MAX_PER_MINUTE);

export const RateLimitOverrideSchema = z
  .strictObject({
    /** Omitted: the seller follows SHOP_ORDERS_PER_MINUTE. 0: no limit for this seller. */
    ordersPerMinute: perMinute.optional(),
    /** Omitted: the seller follows SHOP_DELAYS_PER_MINUTE. 0: no limit for this seller. */
    delaysPerMinute: perMinute.optional(),
    reason: z.string().trim().min(1, 'say why, for the audit').max(500),
  })
  .refine((o) => o.ordersPerMinute !== undefined || o.delaysPerMinute !== undefined, {
    message: 'give ordersPerMinute, delaysPerMinute or both; to return to the defaults, clear the override instead',
    path: ['ordersPerMinute'],
  });
export type RateLimitOverrideInput = z.infer<typeof RateLimitOverrideSchema>;

export const ClearReasonSchema = z.string().trim().min(1).max(500).optional();
