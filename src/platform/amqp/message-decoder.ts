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

// A class, not an object literal with a getter: every message makes one, and literals with
// accessors are several times slower to create (measured: 0.4-0.7 µs against a few ns).
class DecodedIncoming<T> implements Incoming<T> {
  #log: Logger | undefined;
  constructor(
    readonly body: T,
    readonly messageId: string,
    readonly attempt: number,
    readonly redelivered: boolean,
    readonly headers: Readonly<Record<string, unknown>>,
    readonly traceId: string,
    readonly traceparent: string,
    private readonly orderId: string | undefined,
    private readonly parentLogger: Logger,
  ) {}

  // Child loggers cost an allocation; most messages never log, so build it on first use.
  get logger(): Logger {
    this.#log ??= this.parentLogger.child({ messageId: this.messageId, orderId: this.orderId, traceId: this.traceId });
    return this.#log;
  }
}

function failed(raw: unknown, code: string, message: string): DecodedMessage<never> {
  return { raw, error: new PermanentError(code, message) };
}

export function decodeMessage<T>(
  msg: ConsumeMessage,
  actor: Pick<ActorDefinition<T>, 'versions' | 'schema' | 'orderIdOf' | 'isCanonical'>,
  limits: { maxMessageBytes: number; maxAttempts: number },
  logger: Logger,
): DecodedMessage<T> {
  if (msg.content.length > limits.maxMessageBytes) {
    return failed(undefined, 'too_large', `Message of ${msg.content.length} bytes exceeds the ${limits.maxMessageBytes}-byte limit`);
  }
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const unreadable = headers[HEADERS.unreadableHeaders];
  if (typeof unreadable === 'string') {
    const [code, ...why] = unreadable.split(': ');
    const known = code === 'headers_too_large' || code === 'unreadable_headers';
    return failed(undefined, known ? code : 'unreadable_headers', `Its headers were dropped on arrival: ${known ? why.join(': ') : unreadable}`);
  }
  const { contentType, contentEncoding } = msg.properties as { contentType?: string; contentEncoding?: string };
  if (contentType !== 'application/json' || contentEncoding) {
    return failed(
      undefined,
      'invalid_content_type',
      `Expected content-type application/json without encoding, got ${contentType ?? 'none'}${contentEncoding ? ` (${contentEncoding})` : ''}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(msg.content.toString('utf8'));
  } catch {
    return failed(undefined, 'invalid_json', 'Message body is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return failed(raw, 'invalid_message', 'Message body is not a JSON object');
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && !actor.versions.includes(version)) {
    return failed(
      raw,
      'unsupported_version',
      `Contract version ${version} is not one this actor understands (${actor.versions.join(', ')}); deploy a consumer that does, then replay`,
    );
  }
  let body: T;
  if (actor.isCanonical?.(raw)) body = raw;
  else {
    const parsed = actor.schema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return failed(raw, 'invalid_message', `Message fails its contract: ${issues.join('; ')}`);
    }
    body = parsed.data;
  }
  const trace = continueTrace(headers[HEADERS.traceparent]);
  const messageId = messageIdOf(msg);
  return {
    incoming: new DecodedIncoming(
      body,
      messageId,
      readAttempt(headers, limits.maxAttempts),
      msg.fields.redelivered,
      headers,
      trace.traceId,
      trace.traceparent,
      actor.orderIdOf(raw),
      logger,
    ),
  };
}
