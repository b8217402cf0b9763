// Flips made in the operator console are audited under their own source, 'console'.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table switch_changes drop constraint switch_changes_source_check`.execute(db);
  await sql`alter table switch_changes add constraint switch_changes_source_check check (source in ('cli', 'rest', 'zookeeper-observed', 'schedule', 'console'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table switch_changes drop constraint switch_changes_source_check`.execute(db);
  await sql`alter table switch_changes add constraint switch_changes_source_check check (source in ('cli', 'rest', 'zookeeper-observed', 'schedule'))`.execute(
    db,
  );
}
