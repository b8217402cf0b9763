// Orders stored straight into a test's schema, as the business actor stores them: for tests about
// what happens to many orders already accepted (a delivery delay over thousands of them), where
// pushing each one through intake first would take most of the test's time.
import { orderHash } from '../../src/orders/order-messages.js';
import { createOrderRepository } from '../../src/orders/order-repository.js';
import { priceOrder } from '../../src/orders/order-rules.js';
import type { Order } from '../../src/orders/order-schema.js';
import type { Db } from '../../src/platform/db.js';
import { makeOrder } from './orders.js';

/** One INSERT per chunk keeps each statement well under PostgreSQL's 65,535 bind parameters. */
const CHUNK = 1_000;

/**
 * Stores `count` orders with ids `<idPrefix>-<n>` (each its own buyer and phone), priced by the
 * current rules; returns their ids in order.
 */
export async function storeOrders(db: Db, options: { idPrefix: string; count: number; overrides?: Partial<Order> }): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < options.count; start += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, options.count - start) }, (_, i) => {
      const n = start + i;
      return makeOrder({
        orderId: `${options.idPrefix}-${String(n).padStart(5, '0')}`,
        buyer: { id: `buyer-${n}`, name: 'Kim Minji', phone: `+8210${String(10_000_000 + n).slice(-8)}` },
        ...options.overrides,
      });
    });
    await storeOrderRows(db, chunk, options.idPrefix);
    ids.push(...chunk.map((o) => o.orderId));
  }
  return ids;
}

/** Stores these orders (at most a chunk) in one statement, as the business actor stores them, priced by rule v1. */
export async function storeOrderRows(db: Db, orders: readonly Order[], traceId: string): Promise<void> {
  await createOrderRepository().insertNew(
    db,
    orders.map((order) => ({
      order,
      pricing: priceOrder(order.items, 1),
      payloadHash: orderHash(order),
      traceId,
      submittedAt: new Date().toISOString(),
      attempt: 1,
    })),
  );
}
