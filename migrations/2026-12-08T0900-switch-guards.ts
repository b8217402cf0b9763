// Rollback guards: a switch's guard (its limit, window and the value to fall back to), what happened
// to it (armed, disarmed, tripped, a scheduled step it held back), and the outcomes per path that
// every process adds up in one-second buckets, so one process can judge the failure rate of all.
// A rollback is audited as a flip under its own source, 'guard'.
import { sql, type Kysely } from 'kysely';

const SOURCES = ['cli', 'rest', 'zookeeper-observed', 'schedule', 'console'];

async function allowSources(db: Kysely<any>, sources: string[]): Promise<void> {
  await sql`alter table switch_changes drop constraint switch_changes_source_check`.execute(db);
  await sql
    .raw(`alter table switch_changes add constraint switch_changes_source_check check (source in (${sources.map((s) => `'${s}'`).join(', ')}))`)
    .execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table switch_guards (
      switch_name text primary key,
      max_failure_rate double precision not null check (max_failure_rate >= 0 and max_failure_rate < 1),
      window_ms integer not null check (window_ms > 0),
      min_messages integer not null check (min_messages > 0),
      rollback_to text,
      armed_value text not null,
      state text not null check (state in ('armed', 'tripped')),
      armed_by text not null,
      armed_at timestamptz not null default now(),
      reason text not null,
      last_check jsonb,
      last_checked_at timestamptz,
      tripped_at timestamptz,
      trip jsonb
    )`.execute(db);
  await sql`
    create table switch_guard_events (
      id bigserial primary key,
      switch_name text not null,
      at timestamptz not null default now(),
      actor text not null,
      action text not null check (action in ('armed', 'disarmed', 'tripped', 'held', 'step-skipped')),
      detail jsonb not null
    )`.execute(db);
  await sql`create index switch_guard_events_name_idx on switch_guard_events (switch_name, at)`.execute(db);
  await sql`
    create table switch_path_outcomes (
      switch_name text not null,
      path text not null check (path in ('new', 'old')),
      bucket timestamptz not null,
      ok bigint not null,
      failed bigint not null,
      primary key (switch_name, bucket, path)
    )`.execute(db);
  await allowSources(db, [...SOURCES, 'guard']);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table switch_path_outcomes`.execute(db);
  await sql`drop table switch_guard_events`.execute(db);
  await sql`drop table switch_guards`.execute(db);
  await sql`delete from switch_changes where source = 'guard'`.execute(db);
  await allowSources(db, SOURCES);
}
