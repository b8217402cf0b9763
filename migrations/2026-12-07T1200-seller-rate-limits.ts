// Per-seller overrides of the shop rate limits, set by operators, and the audit of every change to
// them (who, when, old → new, why). A null limit follows the deployment's default; 0 turns the limit
// off for that seller. Frozen once applied.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table seller_rate_limits (
      seller_id text primary key,
      orders_per_minute integer check (orders_per_minute >= 0),
      delays_per_minute integer check (delays_per_minute >= 0),
      reason text not null,
      updated_by text not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table seller_rate_limit_changes (
      id bigserial primary key,
      seller_id text not null,
      action text not null check (action in ('set', 'clear')),
      old_orders_per_minute integer,
      old_delays_per_minute integer,
      new_orders_per_minute integer,
      new_delays_per_minute integer,
      reason text,
      actor text not null,
      source text not null check (source in ('cli', 'rest')),
      at timestamptz not null default now()
    )`.execute(db);
  await sql`create index seller_rate_limit_changes_seller_idx on seller_rate_limit_changes (seller_id, at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table seller_rate_limit_changes`.execute(db);
  await sql`drop table seller_rate_limits`.execute(db);
}
