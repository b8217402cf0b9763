// The key notification messages are signed with (see src/notifications/notification-signature.ts).
// The row itself is made by the first process that starts, so the secret never sits in a migration.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table notification_signing_keys (
      name text primary key,
      secret bytea not null check (octet_length(secret) >= 32),
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table notification_signing_keys`.execute(db);
}
