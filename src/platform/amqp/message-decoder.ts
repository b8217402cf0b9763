// The checks every message passes before an actor sees it: size, content type, JSON, contract
// version and schema. A message failing any of them is permanent (dead-lettered at once, never
// retried); one passing them becomes the Incoming the handler works with.
import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { PermanentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { continueTrace } from '../tracing.js';
import type { ActorDefinition, Incoming } from './actor.js';
import { HEADERS, readAttempt } from './message-headers.js';

export type DecodedMessage<T> = { incoming: Incoming<T> } | { error: PermanentError; raw: unknown };

/** The message's id, or, for a producer that set none, a hash of its body (the same body, the same id). */
export function messageIdOf(msg: Pick<ConsumeMessage, 'content' | 'properties'>): string {
  return (msg.properties.messageId as string | undefined) ?? createHash('sha256').update(msg.content).digest('hex');
}

export function decodeMessage<T>(
  msg: ConsumeMessage,
  actor: Pick<ActorDefinition<T>, 'versions' | 'schema' | 'orderIdOf'>,
  limits: { maxMessageBytes: number; maxAttempts: number },
  logger: Logger,
): DecodedMessage<T> {
  let raw: unknown;
  const fail = (code: string, message: string) => ({ raw, error: new PermanentError(code, message) });
  if (msg.content.length > limits.maxMessageBytes) {
    return fail('too_large', `Message of ${msg.content.length} bytes exceeds the ${limits.maxMessageBytes}-byte limit`);
  }
  const { contentType, contentEncoding } = msg.properties as { contentType?: string; contentEncoding?: string };
  if (contentType !== 'application/json' || contentEncoding) {
    return fail('invalid_content_type', `Expected content-type application/json without encoding, got ${contentType ?? 'none'}${contentEncoding ? ` (${contentEncoding})` : ''}`);
  }
  try {
    raw = JSON.parse(msg.content.toString('utf8'));
  } catch {
    return fail('invalid_json', 'Message body is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('invalid_message', 'Message body is not a JSON object');
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && !actor.versions.includes(version)) {
    return fail('unsupported_version', `Contract version ${version} is not one this actor understands (${actor.versions.join(', ')}); deploy a consumer that does, then replay`);
  }
  const parsed = actor.schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return fail('invalid_message', `Message fails its contract: ${issues.join('; ')}`);
  }
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const trace = continueTrace(headers[HEADERS.traceparent]);
  const messageId = messageIdOf(msg);
  const orderId = actor.orderIdOf(raw);
  let log: Logger | undefined;
  return {
    incoming: {
      body: parsed.data,
      messageId,
      attempt: readAttempt(headers, limits.maxAttempts),
      redelivered: msg.fields.redelivered,
      headers,
      traceId: trace.traceId,
      traceparent: trace.traceparent,
      // Child loggers cost an allocation; most messages never log, so build it on first use.
      get logger() {
        log ??= logger.child({ messageId, orderId, traceId: trace.traceId });
        return log;
      },
    },
  };
}
