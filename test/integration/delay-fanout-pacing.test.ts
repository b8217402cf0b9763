// A delay's fan-out against the real broker and database, with the queue depth it paces itself by
// set by the test: while more waits for the actors than it allows, it publishes a slice a second
// instead of all at once; once the queues have room, the rest goes out at full speed, each order
// once. The depth is the one input the service samples from RabbitMQ once a second; setting it here
// is what lets a test hold it above the limit for as long as it needs.
import amqp from 'amqplib';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDelayStore } from '../../src/bin/delay-store.js';
import { createDelayFanout, type DelayFanout } from '../../src/delivery-delays/delay-fanout.js';
import type { Publisher } from '../../src/platform/amqp/publisher.js';
import type { Topology } from '../../src/platform/amqp/topology.js';
import { startBrokerBed, type BrokerBed } from '../support/broker-bed.js';
import { storeOrders } from '../support/stored-orders.js';
import type { TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const ORDERS = 300;
const SLICE = 50;
const MAX_BACKLOG = 100;
const DUE = '2026-12-01';

/** The trace the test's delays are requested under. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
let bed: BrokerBed;
let ctx: TestContext;
let topology: Topology;
let publisher: Publisher;
let fanout: DelayFanout | undefined;
const delays = createDelayStore();

beforeAll(async () => {
  bed = await startBrokerBed('delay-fanout-pacing');
  ({ ctx, topology, publisher } = bed);
});

afterAll(async () => {
  await fanout?.stop();
  await bed?.close();
});

async function noticeQueueDepth(): Promise<number> {
  const conn = await amqp.connect(ctx.config.AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue(topology.actors.notification.work);
    await ch.close();
    return messageCount;
  } finally {
    await conn.close();
  }
}

async function storeDelay(label: string): Promise<{ delayId: string; published: () => Promise<number> }> {
  const sellerId = `farm-${label}-${ctx.id}`;
  await storeOrders(ctx.db, { idPrefix: `${ctx.id}-${label}-o`, count: ORDERS, overrides: { sellerId, requestedDeliveryDate: DUE } });
  const delayId = `dly_${label}_${ctx.id.replace(/-/g, '_')}`;
  expect(
    await delays.create(ctx.db, delayId, { sellerId, requestedDeliveryDate: DUE, newDeliveryDate: '2026-12-03', reason: 'heavy rain' }, TRACE_ID),
  ).toMatchObject({ created: true, total: ORDERS });
  const published = async () =>
    (
      await ctx.db
        .selectFrom('delivery_delay_orders')
        .select(sql<number>`count(published_at)::int`.as('n'))
        .where('delay_id', '=', delayId)
        .executeTakeFirstOrThrow()
    ).n;
  return { delayId, published };
}

function startFanout(depth: () => number | undefined): DelayFanout {
  fanout = createDelayFanout({
    db: ctx.db,
    delays,
    publisher,
    businessQueue: topology.actors.business.work,
    notificationQueue: topology.actors.notification.work,
    signer: bed.signer,
    logger: ctx.logger,
    sliceSize: SLICE,
    backlog: { depth, max: MAX_BACKLOG },
  });
  return fanout;
}

async function expectFannedOut(delayId: string, published: () => Promise<number>): Promise<void> {
  expect(await published()).toBe(ORDERS);
  const delay = await ctx.db.selectFrom('delivery_delays').select('published_at').where('delay_id', '=', delayId).executeTakeFirstOrThrow();
  expect(delay.published_at).toBeInstanceOf(Date);
}

it('slows to a slice a second while the queues hold more than the backlog allows, never stops, and sends the rest at once when there is room', async () => {
  const { delayId, published } = await storeDelay('paced');
  let queued = 10 * MAX_BACKLOG;
  const running = startFanout(() => queued).run(delayId);

  // Over the limit for 2.5 s (a rate needs a window, so this one waits a fixed time): one slice a
  // second, the first after a second's wait, not all six at once.
  await new Promise((r) => setTimeout(r, 2_500));
  const whilePaced = await published();
  expect(whilePaced).toBeGreaterThanOrEqual(SLICE);
  expect(whilePaced).toBeLessThanOrEqual(3 * SLICE);

  // The actors caught up: the rest goes out without pausing. Paced, the slices left would take at
  // least a second each; the bound allows a slow machine everything short of that.
  queued = MAX_BACKLOG - 1;
  const slicesLeft = (ORDERS - whilePaced) / SLICE;
  const started = Date.now();
  await running;
  expect(Date.now() - started).toBeLessThan(slicesLeft * 1_000);
  await expectFannedOut(delayId, published);
  await waitFor(async () => ((await noticeQueueDepth()) === ORDERS ? true : undefined), {
    what: `${ORDERS} delay notices in the notification queue`,
    timeoutMs: 5_000,
  });
  await fanout!.stop();
  fanout = undefined;
});

it('does not pace on a depth it does not know (never sampled, or not lately): the delay goes out at full speed', async () => {
  const { delayId, published } = await storeDelay('unknown');
  const started = Date.now();
  await startFanout(() => undefined).run(delayId);
  // Paced, six slices would take six seconds.
  expect(Date.now() - started).toBeLessThan((ORDERS / SLICE) * 1_000);
  await expectFannedOut(delayId, published);
});

it('paces delays fanning out at once together: one slice a second in all, each delay in turn', async () => {
  const first = await storeDelay('first');
  const second = await storeDelay('second');
  let queued = 10 * MAX_BACKLOG;
  const pacer = startFanout(() => queued);
  const running = [pacer.run(first.delayId), pacer.run(second.delayId)];

  // Paced each on its own, two delays would have sent six slices by now; together, about three.
  await new Promise((r) => setTimeout(r, 3_500));
  const [a, b] = [await first.published(), await second.published()];
  expect(a).toBeGreaterThanOrEqual(SLICE);
  expect(b).toBeGreaterThanOrEqual(SLICE);
  expect(a + b).toBeLessThanOrEqual(4 * SLICE);

  queued = MAX_BACKLOG - 1;
  await Promise.all(running);
  await expectFannedOut(first.delayId, first.published);
  await expectFannedOut(second.delayId, second.published);
});
