// Which seller an order id belongs to, asked at intake so that a shop cannot take an id another shop
// already uses (and then write into that order's journal or learn anything about it). Intake
// answers one request at a time, so the lookups of everything that arrived together go out as one
// query (DataLoader, scheduled on setImmediate: all requests read in one turn of the event loop
// share it). Nothing is cached: an order stored a moment later must be seen.
//
// Intake must keep accepting orders while PostgreSQL is down or slow: the broker holds them until
// the actors can store them. So the lookup is an early answer, not the guard: when it fails or takes
// longer than LOOKUP_DEADLINE_MS it answers "unknown" and the order goes on, and the business actor,
// which checks the owner in the transaction that stores the order, dead-letters a foreign id as
// order_id_taken. After a failure lookups pause for PAUSE_AFTER_FAILURE_MS, so an outage does not
// pile up queries waiting for a connection.
import DataLoader from 'dataloader';
import { anyText } from '../platform/batch-sql.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';

export type OrderOwners = { sellerOf(orderId: string): Promise<string | undefined> };

const LOOKUP_DEADLINE_MS = 500;
const PAUSE_AFTER_FAILURE_MS = 2_000;

export function createOrderOwners(db: Db, logger: Logger): OrderOwners {
  const loader = new DataLoader<string, string | undefined>(
    async (ids) => {
      const rows = await db.selectFrom('orders').select(['order_id', 'seller_id']).where('order_id', '=', anyText(ids)).execute();
      const owners = new Map(rows.map((r) => [r.order_id, r.seller_id]));
      return ids.map((id) => owners.get(id));
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 1_000 },
  );
  let pausedUntil = 0;
  const pause = (reason: string) => {
    if (Date.now() < pausedUntil) return;
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    logger.warn(
      { reason, pauseMs: PAUSE_AFTER_FAILURE_MS },
      'order id owner lookup unavailable; accepting orders and leaving foreign ids to the business actor',
    );
  };

  const sellerOf = async (orderId: string): Promise<string | undefined> => {
    if (Date.now() < pausedUntil) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), LOOKUP_DEADLINE_MS);
    });
    try {
      const owner = await Promise.race([loader.load(orderId), deadline]);
      if (owner !== 'late') return owner;
      pause(`no answer within ${LOOKUP_DEADLINE_MS} ms`);
      return undefined;
    } catch (err) {
      pause(err instanceof Error ? err.message : String(err));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return { sellerOf };
}
