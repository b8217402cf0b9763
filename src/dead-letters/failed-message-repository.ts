// All SQL about stored dead letters: storing them once, listing, grouping by cause, and the status
// transitions (new → replayed | discarded) done atomically so two operators cannot replay one twice.
// A row whose personal data was masked (pii_masked_at) is never replayed: its body is not the
// message that was sent any more. Retention's masking and deleting are in failed-message-retention.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { DeadLetter } from './dead-letter-record.js';
import { iso, matching, SUMMARY_COLUMNS, toDetail, toSummary } from './failed-message-rows.js';
import type { FailedMessageStatus } from './failed-message-table.js';
import type { FailedMessageDetail, FailedMessageFilter, FailedMessageSummary, FailureGroup, OrderFailure, StoredForReplay } from './failed-message.js';

type Q = Kysely<Database>;

export type StoredCount = { id: number; actor: string; errorCode: string };

export function createFailedMessageRepository() {
  return {
    /** Stores dead letters; one already stored (same dedup key) is skipped. Returns the new rows. */
    async insertMany(q: Q, letters: readonly DeadLetter[]): Promise<StoredCount[]> {
      if (letters.length === 0) return [];
      const rows = await q
        .insertInto('failed_messages')
        .values(
          letters.map((l) => ({
            dedup_key: l.dedupKey,
            message_id: l.messageId,
            actor: l.actor,
            original_queue: l.originalQueue ?? null,
            routing_key: l.routingKey ?? null,
            error_code: l.errorCode,
            error_message: l.errorMessage,
            error_stack: l.errorStack ?? null,
            error_class: l.errorClass,
            dead_letter_reason: l.deadLetterReason,
            attempts: l.attempts,
            first_failed_at: l.firstFailedAt.toISOString(),
            last_failed_at: l.lastFailedAt.toISOString(),
            order_id: l.orderId ?? null,
            trace_id: l.traceId ?? null,
            fingerprint: l.fingerprint,
            body: l.body,
            body_json: l.bodyJson === undefined ? null : JSON.stringify(l.bodyJson),
            headers: JSON.stringify(l.headers),
            properties: JSON.stringify(l.properties),
            replay_of: l.replayOf ?? null,
          })),
        )
        .onConflict((oc) => oc.column('dedup_key').doNothing())
        .returning(['id', 'actor', 'error_code'])
        .execute();
      return rows.map((r) => ({ id: Number(r.id), actor: r.actor, errorCode: r.error_code }));
    },

    /** Newest first; `beforeId` is the cursor (the last id of the previous page). */
    async list(q: Q, filter: FailedMessageFilter, page: { limit: number; beforeId?: number | undefined }): Promise<FailedMessageSummary[]> {
      let query = q.selectFrom('failed_messages').select(SUMMARY_COLUMNS).where(matching(filter));
      if (page.beforeId !== undefined) query = query.where('id', '<', page.beforeId);
      const rows = await query.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map(toSummary);
    },

    async groups(q: Q, filter: FailedMessageFilter, limit: number): Promise<FailureGroup[]> {
      const rows = await q
        .selectFrom('failed_messages')
        .where(matching(filter))
        .groupBy('fingerprint')
        .select((eb) => [
          'fingerprint',
          eb.fn.min('actor').as('actor'),
          eb.fn.min('error_code').as('error_code'),
          sql<string>`(array_agg(error_message order by id desc))[1]`.as('message'),
          sql<number>`count(*)`.as('count'),
          sql<number>`count(*) filter (where status = 'new')`.as('open'),
          sql<number>`count(*) filter (where last_failed_at > now() - interval '1 hour')`.as('last_hour'),
          sql<number>`count(*) filter (where last_failed_at > now() - interval '2 hours' and last_failed_at <= now() - interval '1 hour')`.as('hour_before'),
          eb.fn.min('first_failed_at').as('first_seen'),
          eb.fn.max('last_failed_at').as('last_seen'),
          eb.fn.max('id').as('sample_id'),
        ])
        .orderBy('last_seen', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        groupId: r.fingerprint,
        actor: r.actor,
        errorCode: r.error_code,
        message: r.message,
        count: Number(r.count),
        open: Number(r.open),
        trend: { lastHour: Number(r.last_hour), hourBefore: Number(r.hour_before) },
        firstSeen: iso(r.first_seen)!,
        lastSeen: iso(r.last_seen)!,
        sampleId: Number(r.sample_id),
      }));
    },

    async find(q: Q, id: number): Promise<FailedMessageDetail | undefined> {
      const row = await q.selectFrom('failed_messages').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      const replays = await q.selectFrom('failed_messages').select('id').where('replay_of', '=', id).orderBy('id').execute();
      return toDetail(
        row,
        replays.map((r) => Number(r.id)),
      );
    },

    /** Its status, and when its personal data was masked (null: not masked). */
    async stateOf(q: Q, id: number): Promise<{ status: FailedMessageStatus; piiMaskedAt: Date | null } | undefined> {
      const row = await q.selectFrom('failed_messages').select(['status', 'pii_masked_at']).where('id', '=', id).executeTakeFirst();
      return row && { status: row.status, piiMaskedAt: row.pii_masked_at };
    },

    /** new → replayed, only if still new and not masked; the row stays locked until the caller's transaction ends. */
    async claimForReplay(q: Q, id: number, by: string): Promise<FailedMessageDetail | undefined> {
      const row = await q
        .updateTable('failed_messages')
        .set({ status: 'replayed', replayed_at: sql<string>`now()`, replayed_by: by })
        .where('id', '=', id)
        .where('status', '=', 'new')
        .where('pii_masked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row ? toDetail(row, []) : undefined;
    },

    /** new → discarded, only if still new. The row stays until retention deletes it. */
    async discard(q: Q, id: number, by: string, reason: string): Promise<FailedMessageSummary | undefined> {
      const row = await q
        .updateTable('failed_messages')
        .set({ status: 'discarded', discarded_at: sql<string>`now()`, discarded_by: by, discard_reason: reason })
        .where('id', '=', id)
        .where('status', '=', 'new')
        .returning(SUMMARY_COLUMNS)
        .executeTakeFirst();
      return row ? toSummary(row) : undefined;
    },

    /** Ids of the open rows a bulk replay takes, oldest first: masked ones are not replayable. */
    async openIds(q: Q, filter: FailedMessageFilter, limit: number): Promise<Array<{ id: number; fingerprint: string }>> {
      const rows = await q
        .selectFrom('failed_messages')
        .select(['id', 'fingerprint'])
        .where(matching({ ...filter, status: 'new' }))
        .where('pii_masked_at', 'is', null)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: Number(r.id), fingerprint: r.fingerprint }));
    },

    /** Open rows that could still be replayed (not masked). */
    async countOpen(q: Q, filter: FailedMessageFilter): Promise<number> {
      const row = await q
        .selectFrom('failed_messages')
        .select(sql<number>`count(*)`.as('n'))
        .where(matching({ ...filter, status: 'new' }))
        .where('pii_masked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Ids of open rows a bulk replay skips because their personal data was masked, oldest first. */
    async maskedOpenIds(q: Q, filter: FailedMessageFilter, limit: number): Promise<number[]> {
      const rows = await q
        .selectFrom('failed_messages')
        .select('id')
        .where(matching({ ...filter, status: 'new' }))
        .where('pii_masked_at', 'is not', null)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => Number(r.id));
    },

    /** The rows a dry run of a replay looks at, oldest first: bodies and properties, masked ones included. */
    async forReplayPreview(q: Q, filter: FailedMessageFilter, limit: number): Promise<StoredForReplay[]> {
      const rows = await q
        .selectFrom('failed_messages')
        .select(['id', 'message_id', 'status', 'actor', 'original_queue', 'error_code', 'order_id', 'body', 'headers', 'properties', 'pii_masked_at'])
        .where(matching(filter))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: Number(r.id),
        messageId: r.message_id,
        status: r.status,
        actor: r.actor,
        originalQueue: r.original_queue,
        errorCode: r.error_code,
        orderId: r.order_id,
        body: r.body,
        headers: r.headers,
        properties: r.properties,
        piiMaskedAt: iso(r.pii_masked_at),
      }));
    },

    /** Every failed message of one order, oldest first, with what operators did about each. */
    async forOrder(q: Q, orderId: string): Promise<OrderFailure[]> {
      const rows = await q
        .selectFrom('failed_messages')
        .select([...SUMMARY_COLUMNS, 'replayed_at', 'replayed_by', 'discarded_at', 'discarded_by', 'discard_reason'])
        .where('order_id', '=', orderId)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        ...toSummary(r),
        replayedAt: iso(r.replayed_at),
        replayedBy: r.replayed_by,
        discardedAt: iso(r.discarded_at),
        discardedBy: r.discarded_by,
        discardReason: r.discard_reason,
      }));
    },

    /** The rows these replayed rows came back as (replayed, then failed again). */
    async replaysOf(q: Q, ids: readonly number[]): Promise<Array<{ id: number; replayOf: number; fingerprint: string; errorCode: string }>> {
      if (ids.length === 0) return [];
      const rows = await q
        .selectFrom('failed_messages')
        .select(['id', 'replay_of', 'fingerprint', 'error_code'])
        .where('replay_of', 'in', ids)
        .orderBy('id')
        .execute();
      return rows.map((r) => ({ id: Number(r.id), replayOf: Number(r.replay_of), fingerprint: r.fingerprint, errorCode: r.error_code }));
    },

    /**
     * An advisory lock naming one drain, held by one database connection for a whole run: released
     * by the caller or, if the process dies, by PostgreSQL when that connection ends.
     */
    async tryDrainLock(q: Q, name: string): Promise<boolean> {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtextextended(${name}, 0)) as locked`.execute(q);
      return rows[0]?.locked === true;
    },

    async releaseDrainLock(q: Q, name: string): Promise<void> {
      await sql`select pg_advisory_unlock(hashtextextended(${name}, 0))`.execute(q);
    },
  };
}

export type FailedMessageRepository = ReturnType<typeof createFailedMessageRepository>;

/**
 * When the last failure of the messages `messageIds` was stored while not replayed, as a scalar
 * subquery (null for none): for the delays' progress. By message id alone: a dead letter RabbitMQ
 * made itself (delivery limit) may carry no order id.
 */
export const lastFailureAtOf = (messageIds: readonly RawBuilder<unknown>[]): RawBuilder<Date | null> =>
  sql<Date | null>`(select max(stored_at) from failed_messages where status <> 'replayed' and message_id in (${sql.join(messageIds)}))`;
