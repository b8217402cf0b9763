// How failed_messages rows read: the columns of a summary, a row as the API shows it (summary or
// detail), and a filter as a WHERE clause. Shared by the repository's queries.
import { type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { FailedMessagesTable } from './failed-message-table.js';
import type { FailedMessageDetail, FailedMessageFilter, FailedMessageSummary } from './failed-message.js';

type Row = Selectable<FailedMessagesTable>;

export const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export const SUMMARY_COLUMNS = [
  'id',
  'message_id',
  'status',
  'actor',
  'original_queue',
  'routing_key',
  'error_code',
  'error_message',
  'error_class',
  'dead_letter_reason',
  'attempts',
  'first_failed_at',
  'last_failed_at',
  'order_id',
  'trace_id',
  'fingerprint',
  'replay_of',
  'stored_at',
] as const;

export function toSummary(r: Pick<Row, (typeof SUMMARY_COLUMNS)[number]>): FailedMessageSummary {
  return {
    id: Number(r.id),
    messageId: r.message_id,
    status: r.status,
    actor: r.actor,
    originalQueue: r.original_queue,
    routingKey: r.routing_key,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    errorClass: r.error_class,
    deadLetterReason: r.dead_letter_reason,
    attempts: r.attempts,
    firstFailedAt: iso(r.first_failed_at)!,
    lastFailedAt: iso(r.last_failed_at)!,
    orderId: r.order_id,
    traceId: r.trace_id,
    fingerprint: r.fingerprint,
    replayOf: r.replay_of === null ? null : Number(r.replay_of),
    storedAt: iso(r.stored_at)!,
  };
}

export function toDetail(r: Row, replays: number[]): FailedMessageDetail {
  const utf8 = r.body.toString('utf8');
  return {
    ...toSummary(r),
    errorStack: r.error_stack,
    body: {
      bytes: r.body.length,
      base64: r.body.toString('base64'),
      ...(r.body_json === null ? {} : { json: r.body_json }),
      // Text only when the bytes are valid UTF-8, so what is shown is what was sent.
      ...(r.body_json === null && Buffer.from(utf8, 'utf8').equals(r.body) ? { text: utf8 } : {}),
    },
    headers: r.headers,
    properties: r.properties,
    replayedAt: iso(r.replayed_at),
    replayedBy: r.replayed_by,
    discardedAt: iso(r.discarded_at),
    discardedBy: r.discarded_by,
    discardReason: r.discard_reason,
    piiMaskedAt: iso(r.pii_masked_at),
    replays,
  };
}

export function matching(f: FailedMessageFilter) {
  return (eb: ExpressionBuilder<Database, 'failed_messages'>) => {
    const c: Array<Expression<SqlBool>> = [];
    if (f.actor !== undefined) c.push(eb('actor', '=', f.actor));
    if (f.errorCode !== undefined) c.push(eb('error_code', '=', f.errorCode));
    if (f.orderId !== undefined) c.push(eb('order_id', '=', f.orderId));
    if (f.since !== undefined) c.push(eb('last_failed_at', '>=', f.since));
    if (f.until !== undefined) c.push(eb('last_failed_at', '<', f.until));
    if (f.status !== undefined) c.push(eb('status', '=', f.status));
    if (f.fingerprint !== undefined) c.push(eb('fingerprint', '=', f.fingerprint));
    if (f.ids !== undefined) c.push(f.ids.length === 0 ? eb.val(false) : eb('id', 'in', f.ids));
    return eb.and(c);
  };
}

/** Long by design: one factory returning the failed_messages queries as short methods that share their row mapping. */
