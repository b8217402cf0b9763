// Why a switch was flipped, next to who flipped it: given with a flip (REST, CLI, console), a
// scheduled step's reason, or a rollback guard's figures. Changes seen only in ZooKeeper have none.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table switch_changes add column reason text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table switch_changes drop column reason`.execute(db);
}
