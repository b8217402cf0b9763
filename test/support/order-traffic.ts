// Orders posted the way shops post them: a batch at a time, or a steady flow in the background
// while a test flips switches or stops ZooKeeper, remembering when each order was accepted.
import type { Order } from '../../src/orders/order-schema.js';
import { makeOrder } from './orders.js';
import { postJson } from './service-harness.js';

/** 25,000 KRW of goods: rule v1 charges 3,000 KRW shipping, rule v2 none, so the rule shows in the total. */
export const between = (overrides: Partial<Order> = {}) =>
  makeOrder({ items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 1, unitPrice: 25_000 }], ...overrides });

/** Posts every order (a few at a time); fails unless each is accepted with 202. */
export async function submitAll(baseUrl: string, orders: readonly Order[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < orders.length) {
        const order = orders[next++]!;
        const res = await postJson(baseUrl, '/orders', order);
        if (res.status !== 202) throw new Error(`order ${order.orderId} answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    }),
  );
}

export type Accepted = { orderId: string; acceptedAt: number };

/** Posts one order every `everyMs` until stopped; resolves with the orders accepted (202). */
export function startOrderFlow(baseUrl: string | (() => string), everyMs = 40) {
  const accepted: Accepted[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const order = between();
      const res = await postJson(typeof baseUrl === 'string' ? baseUrl : baseUrl(), '/orders', order).catch(() => undefined);
      if (res?.status === 202) accepted.push({ orderId: order.orderId, acceptedAt: Date.now() });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    accepted,
    async stop(): Promise<Accepted[]> {
      running = false;
      await loop;
      return accepted;
    },
  };
}
