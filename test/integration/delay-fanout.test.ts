// What one slice of a delay's fan-out leaves behind, against the real broker and database: each
// buyer's notice on the notification queue (not a business message), the order's date moved and
// journaled in the same transaction, and an order that has gone missing since the delay was made
// handed to the business step as a delay message, which retries it until the order is back.
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDelayStore } from '../../src/bin/delay-store.js';
import { createDelayFanout } from '../../src/delivery-delays/delay-fanout.js';
import type { Publisher } from '../../src/platform/amqp/publisher.js';
import type { Topology } from '../../src/platform/amqp/topology.js';
import { startBrokerBed, type BrokerBed } from '../support/broker-bed.js';
import { storeOrders } from '../support/stored-orders.js';
import type { TestContext } from '../support/test-context.js';

const DUE = '2026-12-01';
const NEW_DATE = '2026-12-03';

/** The trace the test's delays are requested under. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
let bed: BrokerBed;
let ctx: TestContext;
let topology: Topology;
let publisher: Publisher;
let reader: ChannelModel;
let channel: Channel;
const delays = createDelayStore();

beforeAll(async () => {
  bed = await startBrokerBed('delay-fanout');
  ({ ctx, topology, publisher } = bed);
  reader = await amqp.connect(ctx.config.AMQP_URL);
  channel = await reader.createChannel();
});

afterAll(async () => {
  await reader?.close();
  await bed?.close();
});

/** Every message waiting in a queue, taken off it. */
async function drain(queue: string): Promise<Array<{ body: Record<string, unknown>; messageId: unknown; type: unknown; traceparent: unknown }>> {
  const taken = [];
  for (;;) {
    const msg = await channel.get(queue, { noAck: true });
    if (!msg) return taken;
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const { messageId, type } = msg.properties as { messageId: unknown; type: unknown };
    taken.push({ body: JSON.parse(msg.content.toString()) as Record<string, unknown>, messageId, type, traceparent: headers.traceparent });
  }
}

it('moves the dates, journals them and queues one notice per buyer; an order missing since the delay was made goes to the business step', async () => {
  const sellerId = `farm-${ctx.id}`;
  const ids = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-o`, count: 5, overrides: { sellerId, requestedDeliveryDate: DUE } });
  const delayId = `dly_${ctx.id.replace(/-/g, '_')}`;
  await delays.create(ctx.db, delayId, { sellerId, requestedDeliveryDate: DUE, newDeliveryDate: NEW_DATE, reason: 'heavy rain' }, TRACE_ID);
  const [missing, ...present] = ids as [string, ...string[]];
  await ctx.db.deleteFrom('orders').where('order_id', '=', missing).execute();

  const fanout = createDelayFanout({
    db: ctx.db,
    delays,
    publisher,
    businessQueue: topology.actors.business.work,
    notificationQueue: topology.actors.notification.work,
    signer: bed.signer,
    logger: ctx.logger,
  });
  await fanout.run(delayId);
  await fanout.stop();

  const notices = await drain(topology.actors.notification.work);
  expect(notices.map((n) => n.body.orderId).sort()).toEqual([...present].sort());
  for (const n of notices) {
    expect(n).toMatchObject({
      type: 'notification.requested',
      messageId: `delivery-delayed:${String(n.body.orderId)}:${delayId}`,
      body: { kind: 'delivery-delayed', params: { previousDeliveryDate: DUE, newDeliveryDate: NEW_DATE, reason: 'heavy rain' } },
    });
  }
  const business = await drain(topology.actors.business.work);
  expect(business).toMatchObject([{ type: 'delivery.delayed', messageId: `${delayId}:${missing}`, body: { delayId, orderId: missing } }]);
  expect(business[0]!.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-`));

  const orders = await ctx.db.selectFrom('orders').select(['order_id', 'delivery_date']).where('order_id', 'in', ids).execute();
  expect(orders.map((o) => o.delivery_date)).toEqual(present.map(() => NEW_DATE));
  // Journaled under the trace the delay was requested with, as its notices are.
  const journal = await ctx.db
    .selectFrom('order_journal')
    .select(['order_id', 'trace_id'])
    .where('order_id', 'in', ids)
    .where('event', '=', 'delivery.delayed')
    .execute();
  expect(journal.map((j) => j.order_id).sort()).toEqual([...present].sort());
  expect(new Set(journal.map((j) => j.trace_id))).toEqual(new Set([TRACE_ID]));
  for (const n of notices) expect(n.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-`));
  const marks = await ctx.db.selectFrom('delivery_delay_orders').select(['order_id', 'published_at', 'processed_at']).where('delay_id', '=', delayId).execute();
  for (const m of marks) {
    expect(m.published_at).toBeInstanceOf(Date);
    expect(m.processed_at === null).toBe(m.order_id === missing);
  }
});
