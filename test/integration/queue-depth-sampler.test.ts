// The queue depths intake admits orders by, a delay's fan-out paces itself by and the console shows,
// sampled from the real broker: a depth appears within a sampling interval with its consumers and
// its change per second, and one the sampler can no longer read becomes unknown instead of staying
// at its last value (which would keep intake refusing orders).
import amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAmqpConnection, type AmqpConnection } from '../../src/platform/amqp/connection.js';
import { createQueueDepthSampler, type QueueDepthSampler } from '../../src/platform/amqp/queue-depth-sampler.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const INTERVAL_MS = 100;

let ctx: TestContext;
let connection: AmqpConnection;
let sampler: QueueDepthSampler | undefined;
let queue: string;

beforeAll(async () => {
  ctx = await createTestContext('queue-depth-sampler');
  queue = `${ctx.config.QUEUE_PREFIX}.sampled`;
  connection = await createAmqpConnection({ url: ctx.config.AMQP_URL, name: 'test-sampler', heartbeatS: 5, logger: ctx.logger });
});

afterAll(async () => {
  await sampler?.stop();
  await connection?.close();
  // Deleted by the test unless it failed before that.
  const conn = await amqp.connect(ctx.config.AMQP_URL);
  await (await conn.createChannel()).deleteQueue(queue).catch(() => undefined);
  await conn.close().catch(() => undefined);
  await ctx?.cleanup();
});

it('reports what waits in a queue, and reports nothing once the queue can no longer be sampled', async () => {
  const conn = await amqp.connect(ctx.config.AMQP_URL);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: false });
    for (let i = 0; i < 7; i++) ch.sendToQueue(queue, Buffer.from(`{"n":${i}}`));
    await ch.waitForConfirms();

    sampler = createQueueDepthSampler({ connection, queues: [queue], intervalMs: INTERVAL_MS, logger: ctx.logger });
    expect(sampler.depth(queue)).toBeUndefined();
    sampler.start();
    await waitFor(() => (sampler!.depth(queue) === 7 ? true : undefined), { what: 'the sampled depth of 7', timeoutMs: 5_000 });
    expect(sampler.sample(queue)).toMatchObject({ queue, messages: 7, consumers: 0 });

    // Three more: the queue fills, and the sample says so per second.
    for (let i = 0; i < 3; i++) ch.sendToQueue(queue, Buffer.from(`{"more":${i}}`));
    await ch.waitForConfirms();
    const filling = await waitFor(() => (sampler!.sample(queue)?.messages === 10 ? sampler!.sample(queue) : undefined), { what: 'the depth of 10' });
    expect(filling.changePerSecond).toBeGreaterThan(0);

    // The queue goes away: sampling fails from now on, and within three intervals the last depth
    // (7) is no longer reported.
    await ch.deleteQueue(queue);
    await waitFor(() => (sampler!.depth(queue) === undefined ? true : undefined), { what: 'the stale depth to be dropped', timeoutMs: 5_000 });
  } finally {
    await conn.close();
  }
});
