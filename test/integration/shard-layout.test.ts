// Changing ACTOR_SHARDS with queues of the old count still there: a process refuses to start and
// names them; `shards retire` deletes them only when they are empty and unused, and the new layout
// then routes each order to one shard by its id. Both directions: one queue to three shards, and back.
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertShardLayout, findRetiredShards, retireShards, ShardLayoutError } from '../../src/platform/amqp/shard-layout.js';
import { allQueues, declareTopology, describeTopology, type Topology } from '../../src/platform/amqp/topology.js';
import { runCli } from '../support/cli.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

let ctx: TestContext;
let conn: ChannelModel;
const layouts: Topology[] = [];

const layout = (shards: number) => {
  const t = describeTopology({
    prefix: ctx.config.QUEUE_PREFIX,
    retryDelaysMs: ctx.config.RETRY_DELAYS_MS,
    deliveryLimit: ctx.config.QUEUE_DELIVERY_LIMIT,
    shards,
  });
  layouts.push(t);
  return t;
};

beforeAll(async () => {
  ctx = await createTestContext('shard-layout');
  conn = await amqp.connect(ctx.config.AMQP_URL);
});

afterAll(async () => {
  // Every queue and hash exchange any layout of this file may have left.
  const ch = await conn.createChannel();
  for (const t of layouts) {
    for (const q of allQueues(t)) await ch.deleteQueue(q);
    for (const a of Object.values(t.actors)) if (a.shardExchange) await ch.deleteExchange(a.shardExchange);
  }
  await ch.close();
  await conn.close();
  await ctx.cleanup();
});

async function publish(routingKey: string, orderId: string): Promise<void> {
  const ch = await conn.createConfirmChannel();
  ch.publish(ctx.config.QUEUE_PREFIX, routingKey, Buffer.from('{}'), { persistent: true, mandatory: true, headers: { 'x-order-id': orderId } });
  await ch.waitForConfirms();
  await ch.close();
}

async function depth(queue: string): Promise<number> {
  const ch = await conn.createChannel();
  const { messageCount } = await ch.checkQueue(queue);
  await ch.close();
  return messageCount;
}

it('from one queue to three shards: refuses to start while the old queue holds an order, retires it once empty', async () => {
  const one = layout(1);
  const three = layout(3);
  await declareTopology(conn, one);
  await publish(one.actors.business.work, 'A-1');

  const refusal = await assertShardLayout(conn, three).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(refusal).toBeInstanceOf(ShardLayoutError);
  expect(String((refusal as Error).message)).toContain(`${one.actors.business.work} (1 waiting, 0 consumers)`);
  expect(String((refusal as Error).message)).toContain('order-actors shards retire');

  // Not empty: the CLI leaves it in place and says why; nothing is lost.
  const refused = await runCli(ctx.config, ['shards', 'retire'], { ACTOR_SHARDS: '3', RETRY_DELAYS_MS: ctx.config.RETRY_DELAYS_MS.join(',') });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(`${one.actors.business.work}: 1 waiting, 0 consumers`);
  // The notification queue was empty and unused: that one went.
  expect(refused.stdout).toContain(`deleted ${one.actors.notification.work}\n`);
  expect(await depth(one.actors.business.work)).toBe(1);

  // Still consumed by a process of the old layout: left in place too.
  const ch = await conn.createChannel();
  const { consumerTag } = await ch.consume(one.actors.business.work, () => undefined, { noAck: false });
  const busy = await retireShards(conn, three, 100);
  expect(busy.refused.join()).toContain(`${one.actors.business.work}: 0 waiting, 1 consumers`);
  await ch.cancel(consumerTag);
  await ch.close(); // the unacked order goes back to the queue
  await waitFor(async () => (await depth(one.actors.business.work)) === 1, { what: 'the order back in its queue' });

  // Drained (as the old layout's actors would), then retired and started with three shards.
  const drain = await conn.createChannel();
  await drain.purgeQueue(one.actors.business.work);
  await drain.close();
  const retired = await retireShards(conn, three, 100);
  expect(retired.refused).toEqual([]);
  expect(retired.deleted).toEqual([...one.actors.business.shards[0]!.retries.map((r) => r.queue), one.actors.business.work]);
  await assertShardLayout(conn, three);
  await declareTopology(conn, three);

  // The producers' routing key now reaches one shard, by the order id.
  for (const id of ['A-1', 'A-1', 'B-2', 'C-3', 'D-4']) await publish(three.actors.business.work, id);
  const depths = await Promise.all(three.actors.business.shards.map((s) => depth(s.queue)));
  expect(depths.reduce((a, b) => a + b, 0)).toBe(5);
});

it('from three shards back to one: refuses while the shards exist, and retire removes them and their hash exchange', async () => {
  const one = layout(1);
  const three = layout(3);
  const purge = await conn.createChannel();
  for (const s of three.actors.business.shards) await purge.purgeQueue(s.queue);
  await purge.close();

  await expect(assertShardLayout(conn, one)).rejects.toThrow(/ACTOR_SHARDS is 1, but these queues belong to another shard count/);
  const out = await runCli(ctx.config, ['shards', 'retire'], { ACTOR_SHARDS: '1', RETRY_DELAYS_MS: ctx.config.RETRY_DELAYS_MS.join(',') });
  expect(out.code).toBe(0);
  expect(out.stdout).toContain(`deleted ${three.actors.business.work}.shards (exchange)`);
  expect(await findRetiredShards(conn, one)).toEqual([]);
  await declareTopology(conn, one);
  await publish(one.actors.business.work, 'A-1');
  expect(await depth(one.actors.business.work)).toBe(1);
});
