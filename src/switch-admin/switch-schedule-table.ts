// Row type of the scheduled flips, as kysely sees it. Rows never leave the repository.
import type { ColumnType, Generated } from 'kysely';

export type ScheduleStepStatus = 'pending' | 'done' | 'skipped' | 'cancelled';

export type SwitchScheduleStepsTable = {
  id: Generated<string>;
  switch_name: string;
  at: ColumnType<Date, string, never>;
  value: string;
  reason: string;
  created_by: string;
  created_at: ColumnType<Date, never, never>;
  status: ColumnType<ScheduleStepStatus, ScheduleStepStatus | undefined, ScheduleStepStatus>;
  finished_at: ColumnType<Date | null, never, string>;
  outcome: string | null;
};

// This feature's tables in the one Database type every query is checked against.
declare module '../platform/database-schema.js' {
  interface Database {
    switch_schedule_steps: SwitchScheduleStepsTable;
  }
}
