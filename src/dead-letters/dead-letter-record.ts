// Reads one message from the dead-letter queue into what the failed_messages table stores, and
// turns a stored row back into the message a replay publishes. Dead letters come in two kinds: the
// runtime's (our diagnostic headers, x-dead-letter-reason set) and the broker's own (a quorum queue's
// x-delivery-limit, with x-death / x-first-death-* only); both are stored with what can be derived.
// Pure, so these rules are unit-tested apart from the broker.
import { createHash } from 'node:crypto';
import type { MessageProperties } from 'amqplib';
import { HEADERS, readAttempt } from '../platform/amqp/message-headers.js';
import type { PublishOptions } from '../platform/amqp/publisher.js';
import { shardOfQueue, type Topology } from '../platform/amqp/topology.js';
import { traceIdOf } from '../platform/tracing.js';
import { amqpTime, canonical, date, fromJson, parseBodyJson, safeText, str, toJson } from './dead-letter-values.js';
import { failureFingerprint } from './failure-fingerprint.js';

export type DeadLetter = {
  dedupKey: string;
  messageId: string;
  actor: string;
  originalQueue: string | undefined;
  routingKey: string | undefined;
  errorCode: string;
  errorMessage: string;
  errorStack: string | undefined;
  /** 'retryable' | 'permanent' from the runtime, 'broker' when RabbitMQ dead-lettered it itself. */
  errorClass: string;
  deadLetterReason: string;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  orderId: string | undefined;
  traceId: string | undefined;
  fingerprint: string;
  body: Buffer;
  /** The body parsed, when it is JSON PostgreSQL can store; `body` is always the exact bytes. */
  bodyJson: unknown;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  replayOf: number | undefined;
};

/** Headers a queue rewrites on every redelivery: left out of the dedup key so a redelivered dead letter is the same one. */
const VOLATILE_HEADERS = new Set(['x-delivery-count', 'x-acquired-count']);

/** Headers that describe a failure, removed before a replay so the message starts afresh (full retries). */
const FAILURE_HEADERS = new Set<string>([
  HEADERS.attempt,
  HEADERS.firstFailedAt,
  HEADERS.lastFailedAt,
  HEADERS.errorCode,
  HEADERS.errorMessage,
  HEADERS.errorStack,
  HEADERS.errorClass,
  HEADERS.deadLetterReason,
  HEADERS.actor,
  HEADERS.originalQueue,
  HEADERS.originalRoutingKey,
  HEADERS.shard,
  HEADERS.replayOf,
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  ...VOLATILE_HEADERS,
]);

/** The attempts column is a 32-bit integer; a forged count past it is stored as the most it holds. */
const MAX_STORED_ATTEMPTS = 2_147_483_647;

type XDeath = { queue?: unknown; reason?: unknown; count?: unknown; time?: unknown; 'routing-keys'?: unknown };

/** The actor whose work or retry queue this is, by the topology's names. */
function actorOfQueue(topology: Pick<Topology, 'actors'>, queue: string | undefined): string | undefined {
  return shardOfQueue(topology, queue)?.actor;
}

/** Long by design: one pass over the headers, for the two kinds of dead letter (ours and the broker's), so every field is derived in one place. */
export function readDeadLetter(
  msg: { content: Buffer; properties: MessageProperties },
  topology: Pick<Topology, 'actors'>,
  now: Date = new Date(),
): DeadLetter {
  const rawHeaders = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const headers = toJson(rawHeaders) as Record<string, unknown>;
  const body = msg.content;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const messageId = safeText(str(msg.properties.messageId) ?? bodyHash, 500);
  const stable = Object.fromEntries(Object.entries(headers).filter(([k]) => !VOLATILE_HEADERS.has(k)));
  const dedupKey = createHash('sha256')
    .update(canonical([messageId, bodyHash, stable]))
    .digest('hex');

  const ours = str(rawHeaders[HEADERS.deadLetterReason]) !== undefined;
  const deaths = Array.isArray(rawHeaders['x-death']) ? (rawHeaders['x-death'] as XDeath[]) : [];
  // RabbitMQ lists x-death most recent first; x-last-death-* exist from 3.13 on.
  const lastDeath = deaths[0];
  const deathQueue = str(rawHeaders['x-last-death-queue']) ?? str(lastDeath?.queue) ?? str(rawHeaders['x-first-death-queue']);
  const deathReason = str(rawHeaders['x-last-death-reason']) ?? str(lastDeath?.reason) ?? str(rawHeaders['x-first-death-reason']) ?? 'unknown';
  const deathTime = amqpTime(lastDeath?.time);
  const deathRoutingKey = Array.isArray(lastDeath?.['routing-keys']) ? str((lastDeath['routing-keys'] as unknown[])[0]) : undefined;

  const lastKnownCode = str(rawHeaders[HEADERS.errorCode]);
  const lastKnownMessage = str(rawHeaders[HEADERS.errorMessage]);
  const attempts = Math.min(readAttempt(rawHeaders), MAX_STORED_ATTEMPTS);
  const firstFailedAt = date(rawHeaders[HEADERS.firstFailedAt]);
  const lastFailedAt = date(rawHeaders[HEADERS.lastFailedAt]);

  let failure: Pick<
    DeadLetter,
    'actor' | 'originalQueue' | 'routingKey' | 'errorCode' | 'errorMessage' | 'errorClass' | 'deadLetterReason' | 'firstFailedAt' | 'lastFailedAt'
  >;
  if (ours) {
    const originalQueue = str(rawHeaders[HEADERS.originalQueue]);
    failure = {
      actor: str(rawHeaders[HEADERS.actor]) ?? actorOfQueue(topology, originalQueue) ?? 'unknown',
      originalQueue,
      routingKey: str(rawHeaders[HEADERS.originalRoutingKey]),
      errorCode: lastKnownCode ?? 'unknown_error',
      errorMessage: lastKnownMessage ?? '',
      errorClass: str(rawHeaders[HEADERS.errorClass]) ?? 'unknown',
      deadLetterReason: str(rawHeaders[HEADERS.deadLetterReason])!,
      firstFailedAt: firstFailedAt ?? lastFailedAt ?? now,
      lastFailedAt: lastFailedAt ?? now,
    };
  } else {
    const deliveries = typeof lastDeath?.count === 'number' ? ` (${lastDeath.count} time${lastDeath.count === 1 ? '' : 's'})` : '';
    const hint =
      deathReason === 'delivery_limit'
        ? ': it was delivered more often than the queue allows without being acked, so its consumer probably crashed or timed out on it'
        : '';
    const lastKnown = lastKnownCode ? `; the last error the runtime recorded was ${lastKnownCode}${lastKnownMessage ? `: ${lastKnownMessage}` : ''}` : '';
    failure = {
      actor: actorOfQueue(topology, deathQueue) ?? str(rawHeaders[HEADERS.actor]) ?? 'unknown',
      originalQueue: deathQueue,
      routingKey: deathRoutingKey ?? deathQueue,
      errorCode: `broker_${deathReason}`,
      errorMessage: `RabbitMQ dead-lettered the message from ${deathQueue ?? 'an unknown queue'} (${deathReason})${deliveries}${hint}${lastKnown}`,
      errorClass: 'broker',
      deadLetterReason: deathReason,
      firstFailedAt: firstFailedAt ?? deathTime ?? now,
      lastFailedAt: deathTime ?? lastFailedAt ?? now,
    };
  }

  const replayOf = Number(rawHeaders[HEADERS.replayOf]);
  const properties = toJson(Object.fromEntries(Object.entries(msg.properties).filter(([k, v]) => k !== 'headers' && v !== undefined && v !== null))) as Record<
    string,
    unknown
  >;
  const errorMessage = safeText(failure.errorMessage);
  return {
    dedupKey,
    messageId,
    ...failure,
    actor: safeText(failure.actor, 200),
    originalQueue: failure.originalQueue && safeText(failure.originalQueue, 500),
    routingKey: failure.routingKey && safeText(failure.routingKey, 500),
    errorCode: safeText(failure.errorCode, 200),
    errorMessage,
    errorStack: str(rawHeaders[HEADERS.errorStack]) && safeText(str(rawHeaders[HEADERS.errorStack])!, 10_000),
    errorClass: safeText(failure.errorClass, 50),
    deadLetterReason: safeText(failure.deadLetterReason, 200),
    attempts,
    orderId: str(rawHeaders[HEADERS.orderId]) && safeText(str(rawHeaders[HEADERS.orderId])!, 200),
    traceId: traceIdOf(rawHeaders[HEADERS.traceparent]),
    fingerprint: failureFingerprint(failure.actor, failure.errorCode, errorMessage),
    body,
    bodyJson: parseBodyJson(body),
    headers,
    properties,
    replayOf: Number.isSafeInteger(replayOf) && replayOf > 0 ? replayOf : undefined,
  };
}

/** What a replay of a stored dead letter publishes: the same body and properties, the failure headers gone, x-replay-of added. */
export function replayMessage(stored: {
  id: number;
  messageId: string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
}): PublishOptions {
  const headers = Object.fromEntries(
    Object.entries(stored.headers)
      .filter(([k]) => !FAILURE_HEADERS.has(k))
      .map(([k, v]) => [k, fromJson(v)]),
  );
  headers[HEADERS.replayOf] = stored.id;
  const p = stored.properties;
  return {
    messageId: stored.messageId,
    headers,
    contentType: str(p.contentType) ?? null,
    ...(str(p.contentEncoding) ? { contentEncoding: str(p.contentEncoding)! } : {}),
    ...(str(p.type) ? { type: str(p.type)! } : {}),
    ...(str(p.correlationId) ? { correlationId: str(p.correlationId)! } : {}),
    ...(typeof p.timestamp === 'number' ? { timestamp: p.timestamp } : {}),
  };
}

/**
 * A dead letter stored as it came when it could not be read or stored field by field (a value
 * PostgreSQL refuses that the rules above did not foresee): the exact body bytes, no headers, and
 * the error in place of the failure, so it is reviewed like any other instead of failing the drain
 * on every pass. Its dedup key is the bytes' and the message id's, so a redelivery is stored once.
 */
export function rawDeadLetter(msg: { content: Buffer; properties: Pick<MessageProperties, 'messageId'> }, err: unknown, now: Date = new Date()): DeadLetter {
  const body = msg.content;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const messageId = safeText(str(msg.properties.messageId) ?? bodyHash, 500);
  const errorCode = 'unstorable_dead_letter';
  const errorMessage = safeText(
    `The batch job could not store this dead letter field by field (${err instanceof Error ? err.message : String(err)}); ` +
      'its body is kept as it came and its headers are dropped. Read the body, then discard it or publish a corrected message.',
  );
  return {
    dedupKey: createHash('sha256').update(`raw:${messageId}:${bodyHash}`).digest('hex'),
    messageId,
    actor: 'unknown',
    originalQueue: undefined,
    routingKey: undefined,
    errorCode,
    errorMessage,
    errorStack: undefined,
    errorClass: 'permanent',
    deadLetterReason: 'unstorable',
    attempts: 0,
    firstFailedAt: now,
    lastFailedAt: now,
    orderId: undefined,
    traceId: undefined,
    fingerprint: failureFingerprint('unknown', errorCode, errorMessage),
    body,
    bodyJson: undefined,
    headers: {},
    properties: {},
    replayOf: undefined,
  };
}
