// All SQL about delivery delays: creating one with its affected orders, the fan-out's bookkeeping,
// the business step's idempotent application, and progress.
import { sql, type Kysely } from 'kysely';
import { anyText } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';
import type { DeliveryDelayRequest } from './delay-schema.js';

type Q = Kysely<Database>;

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
  startedAt: string;
  publishedAt: string | null;
  finishedAt: string | null;
};

export function createDelayRepository() {
  return {
    /**
     * Creates the delay and snapshots the orders it concerns, once: a second identical request
     * finds the first (same delay id) and creates nothing.
     */
    async create(q: Q, delayId: string, request: DeliveryDelayRequest): Promise<{ created: boolean; total: number }> {
      const inserted = await q
        .insertInto('delivery_delays')
        .values({
          delay_id: delayId,
          seller_id: request.sellerId,
          requested_delivery_date: request.requestedDeliveryDate ?? null,
          new_delivery_date: request.newDeliveryDate,
          reason: request.reason,
          total: 0,
        })
        .onConflict((oc) => oc.column('delay_id').doNothing())
        .returning('delay_id')
        .executeTakeFirst();
      if (!inserted) {
        const existing = await q.selectFrom('delivery_delays').select('total').where('delay_id', '=', delayId).executeTakeFirstOrThrow();
        return { created: false, total: existing.total };
      }
      let select = q
        .selectFrom('orders')
        .select([sql.lit(delayId).as('delay_id'), 'order_id', 'delivery_date as previous_delivery_date'])
        .where('seller_id', '=', request.sellerId);
      select = request.orderIds
        ? select.where('order_id', '=', anyText(request.orderIds))
        : select.where('delivery_date', '=', request.requestedDeliveryDate!);
      const result = await q
        .insertInto('delivery_delay_orders')
        .columns(['delay_id', 'order_id', 'previous_delivery_date'])
        .expression(select)
        .executeTakeFirst();
      const total = Number(result.numInsertedOrUpdatedRows ?? 0);
      await q.updateTable('delivery_delays').set({ total }).where('delay_id', '=', delayId).execute();
      return { created: true, total };
    },

    /** Locks a slice of not-yet-published orders of the delay; other fan-out runners skip them. */
    async claimUnpublished(q: Q, delayId: string, limit: number) {
      return q
        .selectFrom('delivery_delay_orders as d')
        .innerJoin('delivery_delays as x', 'x.delay_id', 'd.delay_id')
        .select(['d.order_id', 'd.previous_delivery_date', 'x.new_delivery_date', 'x.reason'])
        .where('d.delay_id', '=', delayId)
        .where('d.published_at', 'is', null)
        .orderBy('d.order_id')
        .limit(limit)
        .forUpdate('d')
        .skipLocked()
        .execute();
    },

    async markPublished(q: Q, delayId: string, orderIds: readonly string[]): Promise<void> {
      if (orderIds.length === 0) return;
      await q
        .updateTable('delivery_delay_orders')
        .set({ published_at: new Date().toISOString() })
        .where('delay_id', '=', delayId)
        .where('order_id', '=', anyText(orderIds))
        .execute();
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

    /** Delays whose fan-out has not finished: what a restarted process resumes. */
    async unpublished(q: Q): Promise<string[]> {
      const rows = await q.selectFrom('delivery_delays').select('delay_id').where('published_at', 'is', null).orderBy('created_at').execute();
      return rows.map((r) => r.delay_id);
    },

    /**
     * Moves each order's delivery date, once per (delay, order); returns the pairs applied now
     * (a redelivered message finds its pair already processed and changes nothing).
     */
    async applyToOrders(q: Q, items: ReadonlyArray<{ delayId: string; orderId: string; newDeliveryDate: string }>): Promise<Set<string>> {
      const applied = new Set<string>();
      const byDelay = new Map<string, Array<(typeof items)[number]>>();
      for (const item of items) byDelay.set(item.delayId, [...(byDelay.get(item.delayId) ?? []), item]);
      for (const [delayId, group] of byDelay) {
        const rows = await q
          .updateTable('delivery_delay_orders')
          .set({ processed_at: new Date().toISOString() })
          .where('delay_id', '=', delayId)
          .where('order_id', '=', anyText(group.map((g) => g.orderId)))
          .where('processed_at', 'is', null)
          .returning('order_id')
          .execute();
        const fresh = rows.map((r) => r.order_id);
        if (fresh.length > 0) {
          await q
            .updateTable('orders')
            .set({ delivery_date: group[0]!.newDeliveryDate, updated_at: new Date().toISOString() })
            .where('order_id', '=', anyText(fresh))
            .execute();
        }
        for (const id of fresh) applied.add(`${delayId}:${id}`);
      }
      return applied;
    },

    /**
     * The (delay, order) pairs the delay's creation recorded, as `delayId:orderId`: the only pairs a
     * delay message may name, since they are committed before the fan-out publishes anything.
     */
    async knownPairs(q: Q, items: ReadonlyArray<{ delayId: string; orderId: string }>): Promise<Set<string>> {
      if (items.length === 0) return new Set();
      const rows = await q
        .selectFrom('delivery_delay_orders')
        .select(['delay_id', 'order_id'])
        .where(sql<boolean>`(delay_id, order_id) in (select * from unnest(${items.map((i) => i.delayId)}::text[], ${items.map((i) => i.orderId)}::text[]))`)
        .execute();
      return new Set(rows.map((r) => `${r.delay_id}:${r.order_id}`));
    },

    /** Whom to tell, per order: the buyer's phone and name from the stored order. */
    async contacts(q: Q, orderIds: readonly string[]): Promise<Map<string, { phone: string; name: string }>> {
      if (orderIds.length === 0) return new Map();
      const rows = await q
        .selectFrom('orders')
        .select(['order_id', sql<string>`payload->'buyer'->>'phone'`.as('phone'), sql<string>`payload->'buyer'->>'name'`.as('name')])
        .where('order_id', '=', anyText(orderIds))
        .execute();
      return new Map(rows.map((r) => [r.order_id, { phone: r.phone, name: r.name }]));
    },

    async progress(q: Q, delayId: string): Promise<DelayProgress | undefined> {
      const delay = await q.selectFrom('delivery_delays').selectAll().where('delay_id', '=', delayId).executeTakeFirst();
      if (!delay) return undefined;
      const counts = await q
        .selectFrom('delivery_delay_orders as d')
        .leftJoin('deliveries as n', (j) => j.onRef('n.idempotency_key', '=', sql<string>`'delivery-delayed:' || d.order_id || ':' || d.delay_id`))
        .select([
          sql<number>`count(d.published_at)::int`.as('published'),
          sql<number>`count(d.processed_at)::int`.as('processed'),
          sql<number>`count(n.idempotency_key)::int`.as('notified'),
          sql<Date | null>`max(n.sent_at)`.as('lastSentAt'),
        ])
        .where('d.delay_id', '=', delayId)
        .executeTakeFirstOrThrow();
      let finishedAt = delay.finished_at;
      if (!finishedAt && counts.notified >= delay.total && delay.total >= 0 && delay.published_at) {
        finishedAt = counts.lastSentAt ?? new Date();
        await q.updateTable('delivery_delays').set({ finished_at: finishedAt.toISOString() }).where('delay_id', '=', delayId).execute();
      }
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
        startedAt: delay.created_at.toISOString(),
        publishedAt: delay.published_at?.toISOString() ?? null,
        finishedAt: finishedAt?.toISOString() ?? null,
      };
    },
  };
}

export type DelayRepository = ReturnType<typeof createDelayRepository>;
