// Row type of the notification_signing_keys table: the HMAC key notices are signed with.
import type { ColumnType } from 'kysely';

export type NotificationSigningKeysTable = {
  name: string;
  secret: Buffer;
  created_at: ColumnType<Date, never, never>;
};
