// All SQL about delivery delays: creating one with its affected orders, the fan-out's bookkeeping,
// the business step's idempotent application, and progress.
import { sql, type Kysely } from 'kysely';
import { anyText, jsonRecordset } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';
import type { DelayForeignSql } from './delay-foreign-sql.js';
import type { DeliveryDelayRequest } from './delay-schema.js';

type Q = Kysely<Database>;

/** A (delay, order) pair as stored: what to tell the buyer, and whom (absent while the order is missing). */
export type AppliedDelay = { previousDeliveryDate: string; newDeliveryDate: string; reason: string; contact?: { phone: string; name: string } };

export type DelayProgress = {
  delayId: string;
  sellerId: string;
  requestedDeliveryDate: string | null;
  newDeliveryDate: string;
  reason: string;
  total: number;
  published: number;
  processed: number;
  notified: number;
  /**
   * Orders not told whose delay message or notice was dead-lettered and not replayed (counted once
   * the failure batch job has moved the dead letter into PostgreSQL).
   */
  failed: number;
  startedAt: string;
  publishedAt: string | null;
  finishedAt: string | null;
};

/** Long by design: one factory returning the feature's queries as short methods, so each query sits beside its siblings and shares their helpers. */
export function createDelayRepository(foreign: DelayForeignSql) {
  const { orders } = foreign;
  return {
    /**
     * Creates the delay and snapshots the orders it concerns, once: a second identical request
     * finds the first (same delay id) and creates nothing.
     */
    async create(
      q: Q,
      delayId: string,
      request: DeliveryDelayRequest,
      traceId: string,
    ): Promise<{ created: boolean; total: number; reason: string; noticesToday: number }> {
      // One seller's delays are created one at a time, so the day's count of notices is exact.
      await sql`select pg_advisory_xact_lock(hashtext(${`delivery-delays:${request.sellerId}`}))`.execute(q);
      const inserted = await q
        .insertInto('delivery_delays')
        .values({
          delay_id: delayId,
          seller_id: request.sellerId,
          requested_delivery_date: request.requestedDeliveryDate ?? null,
          new_delivery_date: request.newDeliveryDate,
          reason: request.reason,
          total: 0,
          trace_id: traceId,
        })
        .onConflict((oc) => oc.column('delay_id').doNothing())
        .returning('delay_id')
        .executeTakeFirst();
      if (!inserted) {
        const existing = await q.selectFrom('delivery_delays').select(['total', 'reason']).where('delay_id', '=', delayId).executeTakeFirstOrThrow();
        return { created: false, total: existing.total, reason: existing.reason, noticesToday: 0 };
      }
      const result = await q
        .insertInto('delivery_delay_orders')
        .columns(['delay_id', 'order_id', 'previous_delivery_date'])
        .expression(
          orders.affected(q, delayId, {
            sellerId: request.sellerId,
            ...(request.orderIds ? { orderIds: request.orderIds } : {}),
            ...(request.requestedDeliveryDate ? { requestedDeliveryDate: request.requestedDeliveryDate } : {}),
            newDeliveryDate: request.newDeliveryDate,
          }),
        )
        .executeTakeFirst();
      const total = Number(result.numInsertedOrUpdatedRows ?? 0);
      await q.updateTable('delivery_delays').set({ total }).where('delay_id', '=', delayId).execute();
      // Buyers to be told of this seller's delays created today (UTC), this one included.
      const today = await q
        .selectFrom('delivery_delays')
        .select(sql<string>`coalesce(sum(total), 0)`.as('notices'))
        .where('seller_id', '=', request.sellerId)
        .where('created_at', '>=', sql<Date>`date_trunc('day', now() at time zone 'utc') at time zone 'utc'`)
        .executeTakeFirstOrThrow();
      return { created: true, total, reason: request.reason, noticesToday: Number(today.notices) };
    },

    /**
     * One slice of the fan-out, in one statement: locks up to `limit` orders of the delay not yet
     * published, after `after` in order id order (other fan-out runners skip locked ones), moves
     * their dates and marks them published and processed (once per (delay, order): the mark is the
     * order's delivery.delayed event).
     * Returns what to tell each buyer; an order missing now (a restore in progress) comes back
     * without a contact and is not marked processed. The caller publishes within the same
     * transaction and unmarks what it could not publish, so a process dying half-way leaves nothing
     * marked. Each row is written once, and, with no index on the marks, in place (HOT).
     */
    async applySlice(q: Q, delayId: string, options: { limit: number; after: string }): Promise<Array<{ orderId: string } & AppliedDelay>> {
      const { rows } = await sql<{ order_id: string; previous_date: string; new_date: string; reason: string; phone: string | null; name: string | null }>`
        with claimed as (
          select d.order_id, d.previous_delivery_date, d.processed_at
          from delivery_delay_orders d
          where d.delay_id = ${delayId} and d.order_id > ${options.after} and d.published_at is null
          order by d.order_id
          limit ${options.limit}
          for update of d skip locked
        ),
        delay as (select new_delivery_date, reason, created_at from delivery_delays where delay_id = ${delayId}),
        slice as (
          select c.order_id, c.previous_delivery_date, c.processed_at is null and ${orders.present} as apply,
                 ${orders.present} as present, ${orders.contact}
          from claimed c ${orders.joinOn('c')}
        ),
        moved as (${orders.moveDates(sql`select s.order_id, x.new_delivery_date, x.created_at from slice s, delay x where s.apply`)}),
        marked as (
          update delivery_delay_orders d set published_at = now(), processed_at = case when s.present then coalesce(d.processed_at, now()) end
          from slice s where d.delay_id = ${delayId} and d.order_id = s.order_id
        )
        select s.order_id, s.previous_delivery_date::text as previous_date, x.new_delivery_date::text as new_date, x.reason, s.phone, s.name
        from slice s, delay x
        order by s.order_id`.execute(q);
      return rows.map((r) => ({
        orderId: r.order_id,
        previousDeliveryDate: r.previous_date,
        newDeliveryDate: r.new_date,
        reason: r.reason,
        ...(r.phone === null || r.name === null ? {} : { contact: { phone: r.phone, name: r.name } }),
      }));
    },

    /** Marks orders of a slice as not published again: the fan-out could not publish their messages. */
    async unmarkPublished(q: Q, delayId: string, orderIds: readonly string[]): Promise<void> {
      if (orderIds.length === 0) return;
      await sql`update delivery_delay_orders set published_at = null where delay_id = ${delayId} and order_id = ${anyText(orderIds)}`.execute(q);
    },

    async finishPublishing(q: Q, delayId: string): Promise<void> {
      await q
        .updateTable('delivery_delays')
        .set({ published_at: new Date().toISOString() })
        .where('delay_id', '=', delayId)
        .where('published_at', 'is', null)
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom('delivery_delay_orders').select('order_id').where('delay_id', '=', delayId).where('published_at', 'is', null))),
        )
        .execute();
    },

    /** The trace a delay was requested under (null for a delay older than traces on delays). */
    async traceOf(q: Q, delayId: string): Promise<string | null> {
      const row = await q.selectFrom('delivery_delays').select('trace_id').where('delay_id', '=', delayId).executeTakeFirst();
      return row?.trace_id ?? null;
    },

    /** Delays whose fan-out has not finished: what a restarted process resumes. */
    async unpublished(q: Q): Promise<string[]> {
      const rows = await q.selectFrom('delivery_delays').select('delay_id').where('published_at', 'is', null).orderBy('created_at').execute();
      return rows.map((r) => r.delay_id);
    },

    /**
     * Applies delay messages in one statement (atomic without a transaction): moves each order's
     * delivery date and marks the pair processed (its delivery.delayed event), once per pair. Dates and reason come from the
     * stored delay, never from the message. Returns, per pair the delay's creation recorded
     * (`delayId:orderId`; no other pair may move a date), what to tell the buyer and whom. A
     * redelivered message finds its pair processed and changes nothing. An order ends with the date
     * of its newest delay, whatever order the messages are applied in, by any number of processes:
     * the guard is on the order row, which PostgreSQL re-checks after waiting for its lock.
     */
    async applyDelays(q: Q, items: ReadonlyArray<{ delayId: string; orderId: string }>): Promise<Map<string, AppliedDelay>> {
      if (items.length === 0) return new Map();
      const input = jsonRecordset(
        items.map((i) => ({ delay_id: i.delayId, order_id: i.orderId })),
        'delay_id text, order_id text',
      );
      const { rows } = await sql<{
        delay_id: string;
        order_id: string;
        previous_date: string;
        new_date: string;
        reason: string;
        phone: string | null;
        name: string | null;
      }>`
        with input as (select distinct on (delay_id, order_id) * from ${input}),
        known as (
          select d.delay_id, d.order_id, d.previous_delivery_date, x.new_delivery_date, x.reason, x.created_at
          from input i
          join delivery_delay_orders d using (delay_id, order_id)
          join delivery_delays x using (delay_id)
        ),
        applied as (
          update delivery_delay_orders d set processed_at = now()
          from input i
          where d.delay_id = i.delay_id and d.order_id = i.order_id and d.processed_at is null
            -- An order missing now (a restore in progress) is retried, not marked done unmoved.
            and ${orders.exists(sql`d.order_id`)}
          returning d.delay_id, d.order_id
        ),
        moved as (${orders.moveDates(sql`
          select distinct on (k.order_id) k.order_id, k.new_delivery_date, k.created_at
          from applied a join known k using (delay_id, order_id)
          order by k.order_id, k.created_at desc`)})
        select k.delay_id, k.order_id, k.previous_delivery_date::text as previous_date, k.new_delivery_date::text as new_date, k.reason, ${orders.contact}
        from known k ${orders.joinOn('k')}`.execute(q);
      return new Map(
        rows.map((r) => [
          `${r.delay_id}:${r.order_id}`,
          {
            previousDeliveryDate: r.previous_date,
            newDeliveryDate: r.new_date,
            reason: r.reason,
            ...(r.phone === null || r.name === null ? {} : { contact: { phone: r.phone, name: r.name } }),
          },
        ]),
      );
    },

    async progress(q: Q, delayId: string): Promise<DelayProgress | undefined> {
      const delay = await q.selectFrom('delivery_delays').selectAll().where('delay_id', '=', delayId).executeTakeFirst();
      if (!delay) return undefined;
      // One lookup of dead letters per order not told: the business message's id is
      // delayId:orderId, the notice's its idempotency key.
      const notice = sql`'delivery-delayed:' || d.order_id || ':' || d.delay_id`;
      const { rows } = await sql<{ published: number; processed: number; notified: number; failed: number; last_end: Date | null }>`
        select count(d.published_at)::int as published, count(d.processed_at)::int as processed,
               count(t.told_at)::int as notified, count(f.failed_at)::int as failed,
               greatest(max(t.told_at), max(f.failed_at)) as last_end
        from delivery_delay_orders d
        cross join lateral (select ${foreign.deliveredAt(notice)} as told_at) t
        cross join lateral (
          select case when t.told_at is null then ${foreign.lastFailureAt([sql`d.delay_id || ':' || d.order_id`, notice])} end as failed_at
        ) f
        where d.delay_id = ${delayId}`.execute(q);
      const counts = rows[0]!;
      // Finished once every order is told or has failed for good (an operator can still replay it),
      // at the last buyer told or the last failure stored, whichever came later. Until markFinished
      // has recorded it, the read derives it; once recorded it stays, whatever later happens to the
      // failures counted (a replay, the retention purge).
      const done = counts.notified + counts.failed >= delay.total && delay.published_at !== null;
      const finishedAt = delay.finished_at ?? (done ? (counts.last_end ? new Date(counts.last_end) : delay.published_at) : null);
      return {
        delayId,
        sellerId: delay.seller_id,
        requestedDeliveryDate: delay.requested_delivery_date,
        newDeliveryDate: delay.new_delivery_date,
        reason: delay.reason,
        total: delay.total,
        published: counts.published,
        processed: counts.processed,
        notified: counts.notified,
        failed: counts.failed,
        startedAt: delay.created_at.toISOString(),
        publishedAt: delay.published_at?.toISOString() ?? null,
        finishedAt: finishedAt?.toISOString() ?? null,
      };
    },

    /**
     * Records the finish of the published delays whose every order is told or failed for good, at
     * the later of the last buyer told and the last failure stored. Run every few seconds by the
     * processes that fan delays out; idempotent, and it looks only at unfinished delays.
     */
    async markFinished(q: Q): Promise<number> {
      const notice = sql`'delivery-delayed:' || d.order_id || ':' || d.delay_id`;
      const result = await sql`
        update delivery_delays x set finished_at = coalesce(p.last_end, x.published_at)
        from (
          select d.delay_id, count(t.told_at) + count(f.failed_at) as settled, greatest(max(t.told_at), max(f.failed_at)) as last_end
          from delivery_delays y
          join delivery_delay_orders d on d.delay_id = y.delay_id
          cross join lateral (select ${foreign.deliveredAt(notice)} as told_at) t
          cross join lateral (
            select case when t.told_at is null then ${foreign.lastFailureAt([sql`d.delay_id || ':' || d.order_id`, notice])} end as failed_at
          ) f
          where y.finished_at is null and y.published_at is not null
          group by d.delay_id
        ) p
        where x.delay_id = p.delay_id and p.settled >= x.total`.execute(q);
      return Number(result.numAffectedRows ?? 0);
    },

    /** The newest delays with their progress, newest first, for operators looking at what is running. */
    async recentProgress(q: Q, limit: number): Promise<DelayProgress[]> {
      const rows = await q.selectFrom('delivery_delays').select('delay_id').orderBy('created_at', 'desc').limit(limit).execute();
      const found = await Promise.all(rows.map((r) => this.progress(q, r.delay_id)));
      return found.filter((p) => p !== undefined);
    },
  };
}

export type DelayRepository = ReturnType<typeof createDelayRepository>;
