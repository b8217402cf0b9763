// Scheduled switch flips: each step is a row, carried out by exactly one process (the row is locked
// while it runs) within seconds of its time, and audited like any flip under the source 'schedule'.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table switch_schedule_steps (
      id bigserial primary key,
      switch_name text not null,
      at timestamptz not null,
      value text not null,
      reason text not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      status text not null default 'pending' check (status in ('pending', 'done', 'skipped', 'cancelled')),
      finished_at timestamptz,
      outcome text
    )`.execute(db);
  await sql`create index switch_schedule_steps_due_idx on switch_schedule_steps (at) where status = 'pending'`.execute(db);
  await sql`create index switch_schedule_steps_name_idx on switch_schedule_steps (switch_name, at)`.execute(db);
  await sql`alter table switch_changes drop constraint switch_changes_source_check`.execute(db);
  await sql`alter table switch_changes add constraint switch_changes_source_check check (source in ('cli', 'rest', 'zookeeper-observed', 'schedule'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table switch_schedule_steps`.execute(db);
  await sql`alter table switch_changes drop constraint switch_changes_source_check`.execute(db);
  await sql`alter table switch_changes add constraint switch_changes_source_check check (source in ('cli', 'rest', 'zookeeper-observed'))`.execute(db);
}
