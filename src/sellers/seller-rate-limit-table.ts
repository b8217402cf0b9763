// Row types of the per-seller rate-limit overrides and their audit, as kysely sees them. Rows never
// leave the repository.
import type { ColumnType, Generated } from 'kysely';

export type SellerRateLimitsTable = {
  seller_id: string;
  orders_per_minute: number | null;
  delays_per_minute: number | null;
  reason: string;
  updated_by: string;
  updated_at: ColumnType<Date, string | undefined, string>;
};

export type SellerRateLimitChangesTable = {
  id: Generated<string>;
  seller_id: string;
  action: 'set' | 'clear';
  old_orders_per_minute: number | null;
  old_delays_per_minute: number | null;
  new_orders_per_minute: number | null;
  new_delays_per_minute: number | null;
  reason: string | null;
  actor: string;
  source: 'cli' | 'rest';
  at: ColumnType<Date, never, never>;
};

// This feature's tables in the one Database type every query is checked against (declaration
// merging: the platform declares the interface and knows no feature).
declare module '../platform/database-schema.js' {
  interface Database {
    seller_rate_limits: SellerRateLimitsTable;
    seller_rate_limit_changes: SellerRateLimitChangesTable;
  }
}
