// An order's delivery.delayed event is read from the delay's own row for the order (processed_at)
// instead of being written a second time into the journal: a delay over 50,000 orders wrote 50,000
// journal rows and twice as many index entries. The order_journal view gains that source; each
// delay keeps the trace it was requested under. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table delivery_delays add column trace_id text`.execute(db);
  await sql`create index delivery_delay_orders_order_idx on delivery_delay_orders (order_id)`.execute(db);
  await sql`
    update delivery_delays x set trace_id = (
      select j.trace_id from order_journal_entries j where j.event = 'delivery.delayed' and j.detail->>'delayId' = x.delay_id limit 1)`.execute(db);
  await sql`
    delete from order_journal_entries j
    where j.event = 'delivery.delayed'
      and exists (select 1 from delivery_delay_orders d where d.delay_id = j.detail->>'delayId' and d.order_id = j.order_id and d.processed_at is not null)`.execute(
    db,
  );
  await sql`
    create or replace view order_journal as
      select null::bigint as id, o.order_id, o.created_at as at, 'business'::text as actor, 'order.processed'::text as event,
             jsonb_build_object(
               'goodsTotal', o.goods_total, 'shippingFee', o.shipping_fee, 'total', o.total, 'ruleVersion', o.rule_version,
               'switch', 'order-rules-v2', 'path', case when o.rule_version = 2 then 'new' else 'old' end,
               'submittedAt', to_char(o.submitted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'attempt', o.processed_attempt) as detail,
             o.trace_id
      from orders o
      union all
      select null::bigint, d.order_id, d.sent_at, 'notification', 'notification.sent',
             jsonb_strip_nulls(jsonb_build_object(
               'kind', d.kind, 'template', d.template, 'providerMessageId', d.provider_message_id, 'attempt', d.attempt,
               'switch', case when d.switch_path is not null then 'notification-template-v2' end, 'path', d.switch_path)),
             d.trace_id
      from deliveries d
      union all
      select id, order_id, at, actor, event, detail, trace_id from order_journal_entries
      union all
      select null::bigint, d.order_id, d.processed_at, 'business', 'delivery.delayed',
             jsonb_build_object('delayId', d.delay_id, 'from', d.previous_delivery_date, 'to', x.new_delivery_date, 'reason', x.reason),
             x.trace_id
      from delivery_delay_orders d join delivery_delays x using (delay_id)
      where d.processed_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    insert into order_journal_entries (order_id, at, actor, event, detail, trace_id)
    select d.order_id, d.processed_at, 'business', 'delivery.delayed',
           jsonb_build_object('delayId', d.delay_id, 'from', d.previous_delivery_date, 'to', x.new_delivery_date, 'reason', x.reason), x.trace_id
    from delivery_delay_orders d join delivery_delays x using (delay_id)
    where d.processed_at is not null`.execute(db);
  await sql`
    create or replace view order_journal as
      select null::bigint as id, o.order_id, o.created_at as at, 'business'::text as actor, 'order.processed'::text as event,
             jsonb_build_object(
               'goodsTotal', o.goods_total, 'shippingFee', o.shipping_fee, 'total', o.total, 'ruleVersion', o.rule_version,
               'switch', 'order-rules-v2', 'path', case when o.rule_version = 2 then 'new' else 'old' end,
               'submittedAt', to_char(o.submitted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'attempt', o.processed_attempt) as detail,
             o.trace_id
      from orders o
      union all
      select null::bigint, d.order_id, d.sent_at, 'notification', 'notification.sent',
             jsonb_strip_nulls(jsonb_build_object(
               'kind', d.kind, 'template', d.template, 'providerMessageId', d.provider_message_id, 'attempt', d.attempt,
               'switch', case when d.switch_path is not null then 'notification-template-v2' end, 'path', d.switch_path)),
             d.trace_id
      from deliveries d
      union all
      select id, order_id, at, actor, event, detail, trace_id from order_journal_entries`.execute(db);
  await sql`drop index delivery_delay_orders_order_idx`.execute(db);
  await sql`alter table delivery_delays drop column trace_id`.execute(db);
}
