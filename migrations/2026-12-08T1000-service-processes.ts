// The processes of a deployment, each keeping its own row current (a heartbeat), so that any
// process can tell operators which processes run, where, and how their ZooKeeper sessions stand.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table service_processes (
      id text primary key,
      role text not null,
      host text not null,
      pid integer not null,
      started_at timestamptz not null,
      last_seen_at timestamptz not null default now(),
      stopped_at timestamptz,
      heartbeat_ms integer not null,
      zookeeper_state text not null,
      zookeeper_since timestamptz not null,
      switches_stale boolean not null,
      broker_nodes jsonb not null default '[]'
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table service_processes`.execute(db);
}
