// Row type of the notification_signing_keys table: the HMAC key notices are signed with.
import type { ColumnType } from 'kysely';

export type NotificationSigningKeysTable = {
  name: string;
  secret: Buffer;
  created_at: ColumnType<Date, never, never>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    notification_signing_keys: NotificationSigningKeysTable;
  }
}
