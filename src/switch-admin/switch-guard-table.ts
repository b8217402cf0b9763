// Row types of the rollback guards, their events and the outcomes per path, as kysely sees them.
// Rows never leave the repository.
import type { ColumnType, Generated } from 'kysely';

export type GuardState = 'armed' | 'tripped';
export type GuardAction = 'armed' | 'disarmed' | 'tripped' | 'held' | 'step-skipped';

type Json = ColumnType<unknown, string, string>;

export type SwitchGuardsTable = {
  switch_name: string;
  max_failure_rate: number;
  window_ms: number;
  min_messages: number;
  rollback_to: string | null;
  armed_value: string;
  state: GuardState;
  armed_by: string;
  armed_at: ColumnType<Date, string, string>;
  reason: string;
  last_check: ColumnType<unknown, never, string>;
  last_checked_at: ColumnType<Date | null, never, string>;
  tripped_at: ColumnType<Date | null, never, string | null>;
  trip: ColumnType<unknown, never, string | null>;
};

export type SwitchGuardEventsTable = {
  id: Generated<string>;
  switch_name: string;
  at: ColumnType<Date, never, never>;
  actor: string;
  action: GuardAction;
  detail: Json;
};

export type SwitchPathOutcomesTable = {
  switch_name: string;
  path: 'new' | 'old';
  bucket: ColumnType<Date, string, never>;
  ok: ColumnType<string, number, number>;
  failed: ColumnType<string, number, number>;
};

// This feature's tables in the one Database type every query is checked against.
declare module '../platform/database-schema.js' {
  interface Database {
    switch_guards: SwitchGuardsTable;
    switch_guard_events: SwitchGuardEventsTable;
    switch_path_outcomes: SwitchPathOutcomesTable;
  }
}
