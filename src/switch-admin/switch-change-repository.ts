// All SQL about the switch audit. A change is keyed by its ZooKeeper transaction (mzxid): the
// processes that observe a direct ZooKeeper write race to record it and one row results, and an
// attributed change (CLI, REST) takes over the row an observer may have written first.
import { sql, type Insertable, type Kysely } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import type { SwitchChangeSource } from './switch-table.js';

type Q = Kysely<Database>;

export type SwitchChangeRecord = {
  name: string;
  oldValue: string | null;
  newValue: string;
  actor: string;
  reason?: string | null;
  source: SwitchChangeSource;
  at: Date;
  mzxid: string;
  version: number;
};

export type SwitchChangeEntry = {
  at: string;
  name: string;
  oldValue: string | null;
  newValue: string;
  actor: string;
  reason: string | null;
  source: SwitchChangeSource;
  version: number | null;
};

function toEntry(r: {
  switch_name: string;
  old_value: string | null;
  new_value: string;
  actor: string;
  reason: string | null;
  source: SwitchChangeSource;
  at: Date;
  zk_version: number | null;
}): SwitchChangeEntry {
  return {
    at: r.at.toISOString(),
    name: r.switch_name,
    oldValue: r.old_value,
    newValue: r.new_value,
    actor: r.actor,
    reason: r.reason,
    source: r.source,
    version: r.zk_version,
  };
}

export function createSwitchChangeRepository() {
  const values = (c: SwitchChangeRecord): Insertable<Database['switch_changes']> => ({
    switch_name: c.name,
    old_value: c.oldValue,
    new_value: c.newValue,
    actor: c.actor,
    reason: c.reason ?? null,
    source: c.source,
    at: c.at.toISOString(),
    zk_mzxid: c.mzxid,
    zk_version: c.version,
  });

  return {
    /** A change made through the CLI or REST: replaces an observer's row for the same change. */
    async recordAttributed(q: Q, change: SwitchChangeRecord): Promise<void> {
      await q
        .insertInto('switch_changes')
        .values(values(change))
        .onConflict((oc) =>
          oc.constraint('switch_changes_change_key').doUpdateSet({
            old_value: (eb) => eb.ref('excluded.old_value'),
            actor: (eb) => eb.ref('excluded.actor'),
            reason: (eb) => eb.ref('excluded.reason'),
            source: (eb) => eb.ref('excluded.source'),
          }),
        )
        .execute();
    },

    /** A change a process saw in ZooKeeper; true when this call was the first to record it. */
    async recordObserved(q: Q, change: SwitchChangeRecord): Promise<boolean> {
      const rows = await q
        .insertInto('switch_changes')
        .values(values(change))
        .onConflict((oc) => oc.constraint('switch_changes_change_key').doNothing())
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    async history(q: Q, name: string, limit = 50): Promise<SwitchChangeEntry[]> {
      const rows = await q
        .selectFrom('switch_changes')
        .select(['switch_name', 'old_value', 'new_value', 'actor', 'reason', 'source', 'at', 'zk_version'])
        .where('switch_name', '=', name)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },

    /**
     * The latest change of each switch. Changes made within one millisecond (or recorded in a
     * different order than made) are told apart by their ZooKeeper transaction id, which grows with
     * every change; the time comes first because a rebuilt ZooKeeper starts its ids again.
     */
    async latest(q: Q): Promise<Map<string, SwitchChangeEntry>> {
      const rows = await q
        .selectFrom('switch_changes')
        .select(['switch_name', 'old_value', 'new_value', 'actor', 'reason', 'source', 'at', 'zk_version'])
        .distinctOn('switch_name')
        .orderBy('switch_name')
        .orderBy('at', 'desc')
        .orderBy(sql`zk_mzxid::numeric desc nulls last`)
        .orderBy('id', 'desc')
        .execute();
      return new Map(rows.map((r) => [r.switch_name, toEntry(r)]));
    },
  };
}

export type SwitchChangeRepository = ReturnType<typeof createSwitchChangeRepository>;
