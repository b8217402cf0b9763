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
