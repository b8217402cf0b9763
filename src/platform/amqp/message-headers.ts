// The AMQP headers the runtime reads and writes. Dead-lettered messages keep every header they had
// and gain the diagnostic ones, so the failure batch job and operators read them from one place.

export const HEADERS = {
  /** Failed attempts so far (our own counter: x-death counts differ across broker versions). */
  attempt: 'x-attempt',
  firstFailedAt: 'x-first-failed-at',
  lastFailedAt: 'x-last-failed-at',
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  errorStack: 'x-error-stack',
  /** 'retryable' or 'permanent'. */
  errorClass: 'x-error-class',
  /** Why it reached the dead-letter queue: 'permanent' or 'retries_exhausted' (set only by the runtime; the broker's own dead letters carry x-death instead). */
  deadLetterReason: 'x-dead-letter-reason',
  actor: 'x-actor',
  originalQueue: 'x-original-queue',
  /** The shard of its actor the message failed in (0 when unsharded); replays go back to it. */
  shard: 'x-shard',
  originalRoutingKey: 'x-original-routing-key',
  /** The order a message concerns: sharded, the consistent-hash exchange routes on it. */
  orderId: 'x-order-id',
  /** W3C trace context, as OpenTelemetry's messaging conventions carry it. */
  traceparent: 'traceparent',
  /** Set on a message republished from the failed-messages table: the id of the row it came from. */
  replayOf: 'x-replay-of',
  /** Set by the header-frame guard in place of headers too large or too deep to read; the message is dead-lettered. */
  unreadableHeaders: 'x-unreadable-headers',
} as const;

export const STACK_MAX_CHARS = 2_000;
export const ERROR_MESSAGE_MAX_CHARS = 500;

/**
 * x-attempt as a trustworthy count: missing, non-numeric or negative counts as 0. With `below`, so
 * does a count the runtime could not have written: a message waiting in a retry tier has failed
 * fewer than maxAttempts times, so a larger number was forged or copied and must not send a message
 * to the dead-letter queue on its first failure.
 */
export function readAttempt(headers: Record<string, unknown> | undefined, below = Infinity): number {
  const raw = headers?.[HEADERS.attempt];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(n) && n > 0 && n < below ? n : 0;
}
