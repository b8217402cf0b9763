// The headers a failed message carries into its retry tier or the dead-letter queue: every header
// it had, plus why, where and how often it failed. The failure batch job and operators read them.
import type { ConsumeMessage } from 'amqplib';
import { errorCode, isRetryable } from '../errors.js';
import { ERROR_MESSAGE_MAX_CHARS, HEADERS, STACK_MAX_CHARS } from './message-headers.js';
import type { PublishOptions } from './publisher.js';
import type { FailureDecision } from './retry-policy.js';

export function failureHeaders(
  msg: Pick<ConsumeMessage, 'properties' | 'fields'>,
  failure: {
    error: Error;
    decision: FailureDecision;
    actor: string;
    queue: string;
    shard: number;
    orderId: string | undefined;
    traceparent: string | undefined;
    now: Date;
  },
): Record<string, unknown> {
  const { error, decision } = failure;
  const headers: Record<string, unknown> = { ...msg.properties.headers };
  const now = failure.now.toISOString();
  Object.assign(headers, {
    [HEADERS.attempt]: decision.attempt,
    [HEADERS.firstFailedAt]: (headers[HEADERS.firstFailedAt] as string | undefined) ?? now,
    [HEADERS.lastFailedAt]: now,
    [HEADERS.errorCode]: errorCode(error),
    [HEADERS.errorMessage]: String(error.message).slice(0, ERROR_MESSAGE_MAX_CHARS),
    [HEADERS.errorStack]: String(error.stack ?? '').slice(0, STACK_MAX_CHARS),
    [HEADERS.errorClass]: isRetryable(error) ? 'retryable' : 'permanent',
    [HEADERS.actor]: failure.actor,
    [HEADERS.originalQueue]: failure.queue,
    [HEADERS.shard]: failure.shard,
    [HEADERS.originalRoutingKey]: msg.fields.routingKey,
    ...(failure.orderId === undefined ? {} : { [HEADERS.orderId]: failure.orderId }),
  });
  if (failure.traceparent !== undefined) headers[HEADERS.traceparent] ??= failure.traceparent;
  if (decision.action === 'dead-letter') headers[HEADERS.deadLetterReason] = decision.reason;
  // A message moved back by hand from the dead-letter queue must not look dead-lettered by us later.
  else delete headers[HEADERS.deadLetterReason];
  return headers;
}

/**
 * How a failed message is published to its retry tier or the dead-letter queue: its own body under
 * the failure headers, with the original properties, so that a message refused for its content type
 * reaches the dead-letter table, and a replay, exactly as it was sent.
 */
export function parkedCopyOptions(msg: Pick<ConsumeMessage, 'properties'>, messageId: string, headers: Record<string, unknown>): PublishOptions {
  const p = msg.properties;
  return {
    messageId,
    headers,
    ...(p.type ? { type: p.type as string } : {}),
    ...(p.timestamp ? { timestamp: p.timestamp as number } : {}),
    contentType: (p.contentType as string | undefined) ?? null,
    ...(p.contentEncoding ? { contentEncoding: p.contentEncoding as string } : {}),
    ...(p.correlationId ? { correlationId: p.correlationId as string } : {}),
  };
}
