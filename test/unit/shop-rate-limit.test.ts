// The pure part of the shop rate limits: which limit applies, what an override body may say, and
// what a shop over its limit is told.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RateLimitOverrideSchema } from '../../src/sellers/seller-rate-limit-schema.js';
import { effectiveLimits, limitOf, rateLimitedMessage, retryAfterSeconds } from '../../src/sellers/shop-rate-limit-rules.js';

const defaults = { ordersPerMinute: 300_000, delaysPerMinute: 60 };

describe('the limit in force', () => {
  it('is the default unless the seller has an override for that kind; 0 stays 0 (no limit)', () => {
    expect(effectiveLimits(defaults, undefined)).toEqual(defaults);
    const override = { ordersPerMinute: 600, delaysPerMinute: null };
    expect(limitOf(effectiveLimits(defaults, override), 'orders')).toBe(600);
    expect(limitOf(effectiveLimits(defaults, override), 'delays')).toBe(60);
    expect(limitOf(effectiveLimits(defaults, { ordersPerMinute: null, delaysPerMinute: 0 }), 'delays')).toBe(0);
  });

  it('defaults to 300,000 orders and 60 delays a minute; 0 is allowed and negative values stop the process', () => {
    const config = loadConfig({});
    expect([config.SHOP_ORDERS_PER_MINUTE, config.SHOP_DELAYS_PER_MINUTE, config.SELLER_RATE_LIMIT_RELOAD_MS]).toEqual([300_000, 60, 5_000]);
    expect(loadConfig({ SHOP_ORDERS_PER_MINUTE: '0' }).SHOP_ORDERS_PER_MINUTE).toBe(0);
    expect(() => loadConfig({ SHOP_DELAYS_PER_MINUTE: '-1' })).toThrow(/SHOP_DELAYS_PER_MINUTE/);
  });
});

describe('an override', () => {
  it('needs a reason and at least one limit, each a whole number ≥ 0', () => {
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: 10, reason: 'sale' }).success).toBe(true);
    expect(RateLimitOverrideSchema.safeParse({ delaysPerMinute: 0, reason: 'trusted' }).success).toBe(true);
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: 10 }).success).toBe(false);
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: 10, reason: '   ' }).success).toBe(false);
    expect(RateLimitOverrideSchema.safeParse({ reason: 'nothing' }).success).toBe(false);
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: 1.5, reason: 'x' }).success).toBe(false);
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: -1, reason: 'x' }).success).toBe(false);
    expect(RateLimitOverrideSchema.safeParse({ ordersPerMinute: 1, reason: 'x', other: 1 }).success).toBe(false);
  });
});

describe('the 429', () => {
  it('says the limit, the window, when to retry and what to do', () => {
    const message = rateLimitedMessage({ sellerId: 'farm-7', kind: 'orders', limit: 300, retryAfterS: 12 });
    expect(message).toContain('Seller farm-7 may make 300 order requests');
    expect(message).toContain('per minute');
    expect(message).toContain('retry after 12 s (Retry-After)');
    expect(message).toContain('POST /orders/batch');
    expect(rateLimitedMessage({ sellerId: 'farm-7', kind: 'delays', limit: 60, retryAfterS: 1 })).toContain(
      '60 delivery-delay requests (POST /delivery-delays)',
    );
  });

  it('never tells a client to retry in 0 seconds', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1_001)).toBe(2);
    expect(retryAfterSeconds(60_000)).toBe(60);
  });
});
