// The decision taken for a failed message: which retry tier, or the dead-letter queue. Pure, so the
// rules are unit-tested apart from the broker.
import { isRetryable, RetryableError } from '../errors.js';

export type RetryTier = { queue: string; delayMs: number };

export type FailureDecision =
  { action: 'retry'; queue: string; delayMs: number; attempt: number } | { action: 'dead-letter'; reason: 'permanent' | 'retries_exhausted'; attempt: number };

/**
 * @param previousAttempts failed attempts before this one (the x-attempt header, already sanitised)
 * @param maxAttempts total attempts allowed, the first included
 */
export function decideFailure(error: unknown, previousAttempts: number, tiers: readonly RetryTier[], maxAttempts: number): FailureDecision {
  const attempt = previousAttempts + 1;
  if (!isRetryable(error)) return { action: 'dead-letter', reason: 'permanent', attempt };
  if (attempt >= maxAttempts || tiers.length === 0) return { action: 'dead-letter', reason: 'retries_exhausted', attempt };
  // The n-th failure waits in the n-th tier; past the last tier, the last one is reused.
  let tier = tiers[Math.min(attempt - 1, tiers.length - 1)]!;
  // A dependency that said when to come back (429 Retry-After) is not called earlier than that.
  const hint = error instanceof RetryableError ? error.retryAfterMs : undefined;
  if (hint !== undefined && hint > tier.delayMs) {
    tier = tiers.find((t) => t.delayMs >= hint) ?? tiers[tiers.length - 1]!;
  }
  return { action: 'retry', queue: tier.queue, delayMs: tier.delayMs, attempt };
}
