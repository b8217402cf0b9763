// Row type of the retention audit, as kysely sees it. Rows never leave the repository.
import type { ColumnType, Generated } from 'kysely';

export type RetentionRunsTable = {
  id: Generated<string>;
  at: ColumnType<Date, never, never>;
  step: string;
  cutoff: ColumnType<Date, string, never>;
  rows: number;
  batches: number;
  finished: boolean;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    data_retention_runs: RetentionRunsTable;
  }
}
