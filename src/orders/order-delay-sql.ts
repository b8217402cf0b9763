// How a delivery delay reads and moves orders, as SQL the delay's statements embed (handed to the
// delays feature by the composition root): the orders table's SQL stays in the orders feature,
// and a delay's date change stays one set-based statement with its own bookkeeping.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { anyText } from '../platform/batch-sql.js';
import type { Database } from '../platform/database-schema.js';

export const ORDERS_FOR_DELAYS = {
  affected(
    q: Kysely<Database>,
    delayId: string,
    scope: { sellerId: string; orderIds?: readonly string[]; requestedDeliveryDate?: string; newDeliveryDate: string },
  ): RawBuilder<unknown> {
    let select = q
      .selectFrom('orders')
      .select([sql.lit(delayId).as('delay_id'), 'order_id', 'delivery_date as previous_delivery_date'])
      .where('seller_id', '=', scope.sellerId);
    // An order already due on the new date (moved there by an earlier delay) is not told again.
    select = scope.orderIds
      ? select.where('order_id', '=', anyText(scope.orderIds)).where('delivery_date', '<>', scope.newDeliveryDate)
      : select.where('delivery_date', '=', scope.requestedDeliveryDate!);
    return sql`${select}`;
  },
  joinOn: (alias: string): RawBuilder<unknown> => sql`left join orders o on o.order_id = ${sql.ref(`${alias}.order_id`)}`,
  present: sql<boolean>`o.order_id is not null`,
  contact: sql`o.payload->'buyer'->>'phone' as phone, o.payload->'buyer'->>'name' as name`,
  exists: (orderIdRef: RawBuilder<unknown>): RawBuilder<boolean> => sql<boolean>`exists (select 1 from orders o where o.order_id = ${orderIdRef})`,
  moveDates: (source: RawBuilder<unknown>): RawBuilder<unknown> => sql`
    update orders o set delivery_date = m.new_delivery_date, last_delay_at = m.created_at, updated_at = now()
    from (${source}) m
    where o.order_id = m.order_id
      -- A delay applied late never undoes a newer delay of the same order.
      and (o.last_delay_at is null or o.last_delay_at < m.created_at)`,
};
