// Row type of seller_api_keys, as kysely sees it.
import type { ColumnType } from 'kysely';

export type SellerApiKeysTable = {
  key_id: string;
  seller_id: string;
  secret_hash: string;
  created_at: ColumnType<Date, never, never>;
  revoked_at: ColumnType<Date | null, never, string>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    seller_api_keys: SellerApiKeysTable;
  }
}
