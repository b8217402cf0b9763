// Row type of the switch audit, as kysely sees it. Rows never leave the repository.
import type { ColumnType, Generated } from 'kysely';

export type SwitchChangeSource = 'cli' | 'rest' | 'zookeeper-observed' | 'schedule' | 'console' | 'guard';

export type SwitchChangesTable = {
  id: Generated<string>;
  switch_name: string;
  old_value: string | null;
  new_value: string;
  actor: string;
  /** Why, when the change was made with a reason. */
  reason: ColumnType<string | null, string | null | undefined, string | null>;
  source: SwitchChangeSource;
  /** When the change was made (ZooKeeper's modification time). */
  at: ColumnType<Date, string | undefined, never>;
  zk_mzxid: string | null;
  zk_version: number | null;
  recorded_at: ColumnType<Date, never, never>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    switch_changes: SwitchChangesTable;
  }
}
