// What limit applies to a seller, and what a shop is told when it is over it: pure, so the service,
// the admin routes and the CLI agree, and so it can be tested without a server.

export const RATE_LIMIT_KINDS = ['orders', 'delays'] as const;
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number];

/** The window every shop limit counts in. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Requests per minute for each kind; 0 means no limit. */
export type ShopRateLimits = { ordersPerMinute: number; delaysPerMinute: number };

/** An operator's override for one seller; null follows the deployment's default for that kind. */
export type RateLimitOverride = { ordersPerMinute: number | null; delaysPerMinute: number | null };

export function effectiveLimits(defaults: ShopRateLimits, override: RateLimitOverride | undefined): ShopRateLimits {
  return {
    ordersPerMinute: override?.ordersPerMinute ?? defaults.ordersPerMinute,
    delaysPerMinute: override?.delaysPerMinute ?? defaults.delaysPerMinute,
  };
}

export function limitOf(limits: ShopRateLimits, kind: RateLimitKind): number {
  return kind === 'orders' ? limits.ordersPerMinute : limits.delaysPerMinute;
}

/** Whole seconds until the window renews, never 0: a client told "retry in 0 s" would spin. */
export function retryAfterSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

const WHAT: Record<RateLimitKind, { requests: string; advice: string }> = {
  orders: {
    requests: 'order requests (POST /orders and POST /orders/batch together; a batch counts as one)',
    advice: 'send many orders as one POST /orders/batch (up to 1,000)',
  },
  delays: {
    requests: 'delivery-delay requests (POST /delivery-delays)',
    advice: 'name many orders in one delay (orderIds) instead of one delay per order',
  },
};

/** The 429's message: the limit, its window, when to retry and what to do about it. */
export function rateLimitedMessage(input: { sellerId: string; kind: RateLimitKind; limit: number; retryAfterS: number }): string {
  const what = WHAT[input.kind];
  return (
    `Seller ${input.sellerId} may make ${input.limit} ${what.requests} per minute to this server, and has made them all in the current minute. ` +
    `Nothing was accepted; retry after ${input.retryAfterS} s (Retry-After). To stay under the limit, ${what.advice}; if you need more, ask the operator to raise your limit.`
  );
}
