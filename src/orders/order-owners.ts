// Which seller an order id belongs to, asked at intake so that a shop cannot take an id another shop
// already uses (and then write into that order's journal or learn anything about it). Intake
// answers one request at a time, so the lookups of everything that arrived together go out as one
// query (DataLoader, scheduled on setImmediate: all requests read in one turn of the event loop
// share it). Nothing is cached: an order stored a moment later must be seen.
import DataLoader from 'dataloader';
import type { Db } from '../platform/db.js';
import { anyText } from '../platform/batch-sql.js';

export type OrderOwners = { sellerOf(orderId: string): Promise<string | undefined> };

export function createOrderOwners(db: Db): OrderOwners {
  const loader = new DataLoader<string, string | undefined>(
    async (ids) => {
      const rows = await db.selectFrom('orders').select(['order_id', 'seller_id']).where('order_id', '=', anyText(ids)).execute();
      const owners = new Map(rows.map((r) => [r.order_id, r.seller_id]));
      return ids.map((id) => owners.get(id));
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 1_000 },
  );
  return { sellerOf: (orderId) => loader.load(orderId) };
}
