// Sharded actor queues on the cluster (ACTOR_SHARDS=3): orders spread over all three shards by
// their order id, one order's copies stay in one shard, and a poison message in shard 2 is
// dead-lettered with its shard and replays into shard 2. The actors are paused (their switches)
// while the test looks at what waits in each shard, then let go to process everything.
import { expect, it } from 'vitest';
import { createSellerKeys } from '../../src/sellers/seller-keys.js';
import { faultsForThisFile } from '../faults/support/fault-context.js';
import { expectReconciledClean } from '../faults/support/reconcile.js';
import { makeOrder } from '../support/orders.js';
import { ADMIN, ADMIN_TOKEN, switchValue } from '../support/switch-admin.js';
import { connectAny } from '../support/topology-cleanup.js';
import { waitFor } from '../support/wait-for.js';
import { zkCliSet } from '../support/zookeeper.js';
import { CLUSTER_AMQP_URL, CLUSTER_ZK_CONNECT, queuePlacement } from './support/local-cluster.js';

let apiKey: string;
const file = faultsForThisFile('cluster-shards', () => ({
  amqpUrl: CLUSTER_AMQP_URL,
  env: { ZK_CONNECT: CLUSTER_ZK_CONNECT, SELLER_AUTH: 'required', ACTOR_SHARDS: '3', ADMIN_TOKEN },
  // The shops post with an API key of their own, as in production.
  beforeStart: async (ctx) => {
    ({ apiKey } = await createSellerKeys({ db: ctx.db }).create('farm-7'));
  },
}));

const shardQueues = () => file.ctx.topology.actors.business.shards.map((s) => s.queue);

async function depths(queues: readonly string[]): Promise<number[]> {
  const conn = await connectAny(file.ctx.amqpUrl);
  try {
    const ch = await conn.createChannel();
    const out: number[] = [];
    for (const q of queues) out.push((await ch.checkQueue(q)).messageCount);
    return out;
  } finally {
    await conn.close();
  }
}

async function pauseBusiness(on: boolean): Promise<void> {
  const value = on ? 'on' : 'off';
  await zkCliSet(CLUSTER_ZK_CONNECT.split(',')[0]!, `${file.ctx.config.ZK_ROOT}/switches/business-actor-paused`, value);
  await waitFor(async () => (await switchValue(file.deployment.business.baseUrl, 'business-actor-paused')) === value, {
    what: `the business actor paused=${value}`,
  });
}

it('has three business and three notification shards, each a quorum queue, and every node leads some of them', async () => {
  expect(shardQueues()).toEqual([0, 1, 2].map((i) => `${file.ctx.topology.actors.business.work}.${i}`));
  const placement = await queuePlacement();
  const leaders = new Set(Object.values(file.ctx.topology.actors).flatMap((a) => a.shards.map((s) => placement.get(s.queue)?.leader)));
  // Six shards over three nodes, placed balanced: every node leads some.
  expect([...leaders].sort()).toEqual([1, 2, 3]);
});

it('spreads 3,000 orders over all three shards, keeps one order in one shard, and processes each once', async () => {
  await pauseBusiness(true);
  const orders = file.stream('s', { count: 3_000, ratePerSecond: 300, concurrency: 16, apiKey });
  const result = await orders.done;
  expect(result.refused).toEqual([]);
  expect(result.accepted).toHaveLength(3_000);

  const spread = await depths(shardQueues());
  expect(spread.reduce((a, b) => a + b, 0)).toBe(3_000);
  // None empty, and none with most of them: a hash, not a round robin, so roughly a third each.
  for (const n of spread) expect(n).toBeGreaterThan(500);

  // The same order sent again lands in the same shard as its first copy.
  const again = result.accepted.slice(0, 5);
  for (const id of again) {
    const before = await depths(shardQueues());
    const order = makeOrder({
      orderId: id,
      items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 2, unitPrice: Number(id.slice(-4)) % 2 === 0 ? 9_900 : 15_900 }],
    });
    const res = await fetch(`${file.deployment.intakeUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(order),
    });
    expect(res.status).toBe(202);
    const after = await depths(shardQueues());
    expect(after.map((n, i) => n - before[i]!).sort()).toEqual([0, 0, 1]);
  }

  await pauseBusiness(false);
  await expectReconciledClean(file.ctx, result);
});

it('dead-letters a poison message in shard 2 with its shard, and replays it into shard 2', async () => {
  const shard2 = shardQueues()[2]!;
  const conn = await connectAny(file.ctx.amqpUrl);
  try {
    const ch = await conn.createConfirmChannel();
    // Straight into shard 2 by its own name: a message that is not an order (no buyer, no items).
    ch.publish(
      file.ctx.topology.exchange,
      shard2,
      Buffer.from(JSON.stringify({ type: 'order.submitted', version: 1, order: { orderId: `${file.ctx.id}-poison` } })),
      {
        persistent: true,
        contentType: 'application/json',
        type: 'order.submitted',
        messageId: `${file.ctx.id}-poison`,
        headers: { 'x-order-id': `${file.ctx.id}-poison` },
      },
    );
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }

  type Row = { id: number; originalQueue: string; headers: Record<string, unknown> };
  const rows = await waitFor(
    async () => {
      await fetch(`${file.deployment.intakeUrl}/admin/dead-letters/drain`, { method: 'POST', headers: ADMIN });
      const res = await fetch(`${file.deployment.intakeUrl}/admin/dead-letters?orderId=${file.ctx.id}-poison`, { headers: ADMIN });
      const body = (await res.json()) as { items?: Row[] };
      return body.items?.length ? body.items : undefined;
    },
    { what: 'the poison message in the failed-messages table' },
  );
  const row = rows[0]!;
  const shown = (await (await fetch(`${file.deployment.intakeUrl}/admin/dead-letters/${row.id}`, { headers: ADMIN })).json()) as Row;
  expect(shown.originalQueue).toBe(shard2);
  expect(shown.headers).toMatchObject({ 'x-shard': 2, 'x-original-queue': shard2, 'x-dead-letter-reason': 'permanent' });

  // Paused, so the replayed copy is seen waiting in its shard before it fails again.
  await pauseBusiness(true);
  const before = await depths(shardQueues());
  const replay = await fetch(`${file.deployment.intakeUrl}/admin/dead-letters/${row.id}/replay`, { method: 'POST', headers: ADMIN });
  expect(replay.status).toBe(200);
  expect(await replay.json()).toMatchObject({ queue: shard2 });
  const after = await depths(shardQueues());
  expect(after.map((n, i) => n - before[i]!)).toEqual([0, 0, 1]);
  await pauseBusiness(false);
});
