// Which seller an order id belongs to, asked at intake so that a shop cannot take an id another shop
// already uses (and then write into that order's journal or learn anything about it). Intake
// answers one request at a time, so lookups are gathered into one query (DataLoader), and one query
// is in flight at a time: ids that arrive while it runs wait for it and go out together in the next.
// So intake holds at most one of the pool's connections for lookups, however its requests arrive,
// and a slow database leaves the rest to the actors. Nothing is cached: an order stored a moment
// later must be seen.
//
// Intake must keep accepting orders while PostgreSQL is down or slow: the broker holds them until
// the actors can store them. So the lookup is an early answer, not the guard: when a query fails or
// takes longer than LOOKUP_DEADLINE_MS its ids answer "unknown" and their orders go on, and the
// business actor, which checks the owner in the statement that stores the order, dead-letters a
// foreign id as order_id_taken. After a failure lookups pause for PAUSE_AFTER_FAILURE_MS, so an
// outage does not pile up queries waiting for a connection.
import DataLoader from 'dataloader';
import { anyText } from '../platform/batch-sql.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';

export type OrderOwners = { sellerOf(orderId: string): Promise<string | undefined> };

const LOOKUP_DEADLINE_MS = 500;
const PAUSE_AFTER_FAILURE_MS = 2_000;

export function createOrderOwners(db: Db, logger: Logger): OrderOwners {
  let pausedUntil = 0;
  const pause = (reason: string) => {
    if (Date.now() < pausedUntil) return;
    pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    logger.warn(
      { reason, pauseMs: PAUSE_AFTER_FAILURE_MS },
      'order id owner lookup unavailable; accepting orders and leaving foreign ids to the business actor',
    );
  };

  /** The owners of `ids`, or "unknown" for all of them when the query fails or is late: one deadline per query. */
  async function ownersOf(ids: readonly string[]): Promise<Array<string | undefined>> {
    // Ids that waited behind a query that failed: the pause covers them too.
    if (Date.now() < pausedUntil) return ids.map(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), LOOKUP_DEADLINE_MS);
    });
    const query = db.selectFrom('orders').select(['order_id', 'seller_id']).where('order_id', '=', anyText(ids)).execute();
    try {
      const rows = await Promise.race([query, late]);
      if (rows === 'late') {
        // The query may still answer; nobody waits for it, and its failure must not go unhandled.
        query.catch(() => undefined);
        pause(`no answer within ${LOOKUP_DEADLINE_MS} ms`);
        return ids.map(() => undefined);
      }
      const owners = new Map(rows.map((r) => [r.order_id, r.seller_id]));
      return ids.map((id) => owners.get(id));
    } catch (err) {
      pause(err instanceof Error ? err.message : String(err));
      return ids.map(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  // The query in flight; the next batch is sent once it has answered (or given up at its deadline).
  let inFlight: Promise<unknown> = Promise.resolve();
  const loader = new DataLoader<string, string | undefined>(
    (ids) => {
      const answer = ownersOf(ids);
      inFlight = answer;
      return answer;
    },
    { cache: false, batchScheduleFn: (send) => void inFlight.then(() => setImmediate(send)), maxBatchSize: 1_000 },
  );

  return {
    sellerOf: (orderId) => (Date.now() < pausedUntil ? Promise.resolve(undefined) : loader.load(orderId)),
  };
}
