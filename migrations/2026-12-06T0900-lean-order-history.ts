// The happy path writes one row per actor step: the business step the order, the notification
// step the delivery. Their journal events (order.processed, notification.sent) are read from those
// rows' own columns, so `order_journal` becomes a view over them and over the rows written only when
// something unusual happens (a conflict, a failed attempt, a delay), kept in order_journal_entries.
// An order is notified when its confirmation's delivery exists, so the status column goes: it was
// a second write of every order and could disagree with the deliveries. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table order_journal rename to order_journal_entries`.execute(db);
  await sql`alter index order_journal_order_idx rename to order_journal_entries_order_idx`.execute(db);

  await sql`alter table orders add column submitted_at timestamptz, add column processed_attempt integer not null default 1`.execute(db);
  await sql`alter table deliveries add column trace_id text, add column attempt integer not null default 1, add column switch_path text`.execute(db);

  // What the journal rows said moves into the columns, then the rows the view now derives go.
  await sql`
    update orders o set submitted_at = (j.detail->>'submittedAt')::timestamptz, processed_attempt = coalesce((j.detail->>'attempt')::int, 1)
    from order_journal_entries j
    where j.order_id = o.order_id and j.event = 'order.processed'`.execute(db);
  await sql`
    update deliveries d set trace_id = j.trace_id, attempt = coalesce((j.detail->>'attempt')::int, 1), switch_path = j.detail->>'path'
    from order_journal_entries j
    where j.order_id = d.order_id and j.event = 'notification.sent' and j.detail->>'providerMessageId' = d.provider_message_id`.execute(db);
  await sql`delete from order_journal_entries where event in ('order.processed', 'notification.sent')`.execute(db);
  await sql`alter table orders drop column status`.execute(db);

  await sql`
    create view order_journal as
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
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view order_journal`.execute(db);
  await sql`alter table orders add column status text not null default 'processed'`.execute(db);
  await sql`update orders o set status = 'notified' from deliveries d where d.idempotency_key = 'order-confirmed:' || o.order_id`.execute(db);
  await sql`alter table orders alter column status drop default`.execute(db);
  await sql`
    insert into order_journal_entries (order_id, at, actor, event, detail, trace_id)
    select order_id, created_at, 'business', 'order.processed',
           jsonb_build_object('goodsTotal', goods_total, 'shippingFee', shipping_fee, 'total', total, 'ruleVersion', rule_version,
             'switch', 'order-rules-v2', 'path', case when rule_version = 2 then 'new' else 'old' end,
             'submittedAt', to_char(submitted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'attempt', processed_attempt), trace_id
    from orders`.execute(db);
  await sql`
    insert into order_journal_entries (order_id, at, actor, event, detail, trace_id)
    select order_id, sent_at, 'notification', 'notification.sent',
           jsonb_strip_nulls(jsonb_build_object('kind', kind, 'template', template, 'providerMessageId', provider_message_id, 'attempt', attempt,
             'switch', case when switch_path is not null then 'notification-template-v2' end, 'path', switch_path)), trace_id
    from deliveries`.execute(db);
  await sql`alter table deliveries drop column trace_id, drop column attempt, drop column switch_path`.execute(db);
  await sql`alter table orders drop column submitted_at, drop column processed_attempt`.execute(db);
  await sql`alter index order_journal_entries_order_idx rename to order_journal_order_idx`.execute(db);
  await sql`alter table order_journal_entries rename to order_journal`.execute(db);
}
