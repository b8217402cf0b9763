// Row type of the failed_messages table, as kysely sees it. Rows never leave the repository.
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

export type FailedMessageStatus = 'new' | 'replayed' | 'discarded';

type Timestamp = ColumnType<Date, string, string>;
type Json<T extends object> = JSONColumnType<T, string, string>;

export type FailedMessagesTable = {
  id: Generated<number>;
  dedup_key: string;
  message_id: string;
  actor: string;
  original_queue: string | null;
  routing_key: string | null;
  error_code: string;
  error_message: string;
  error_stack: string | null;
  error_class: string;
  dead_letter_reason: string;
  attempts: number;
  first_failed_at: Timestamp;
  last_failed_at: Timestamp;
  order_id: string | null;
  trace_id: string | null;
  fingerprint: string;
  body: Buffer;
  body_json: ColumnType<unknown, string | null, string | null>;
  headers: Json<Record<string, unknown>>;
  properties: Json<Record<string, unknown>>;
  status: ColumnType<FailedMessageStatus, FailedMessageStatus | undefined, FailedMessageStatus>;
  replayed_at: ColumnType<Date | null, never, string | null>;
  replayed_by: string | null;
  discarded_at: ColumnType<Date | null, never, string | null>;
  discarded_by: string | null;
  discard_reason: string | null;
  replay_of: number | null;
  stored_at: ColumnType<Date, never, never>;
  /** When the batch job masked its personal data (null: not yet); a masked row is never replayed. */
  pii_masked_at: ColumnType<Date | null, never, never>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    failed_messages: FailedMessagesTable;
  }
}
