// The actor runtime on the real broker, with an actor of the test's own: a message that makes its
// whole batch throw is retried alone, so the good messages sharing its batch go through on their
// first attempt while it alone spends its attempts and is dead-lettered.
import type { Socket } from 'node:net';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startActor, type RunningActor } from '../../src/platform/amqp/actor-runtime.js';
import { defineActor, type Incoming } from '../../src/platform/amqp/actor.js';
import { createAmqpConnection, type AmqpConnection } from '../../src/platform/amqp/connection.js';
import { HEADERS } from '../../src/platform/amqp/message-headers.js';
import { createPublisher, type Publisher } from '../../src/platform/amqp/publisher.js';
import { declareTopology, describeTopology, type Topology } from '../../src/platform/amqp/topology.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const MAX_ATTEMPTS = 3;
const MessageSchema = z.strictObject({ version: z.literal(1), id: z.string() });
type Message = z.infer<typeof MessageSchema>;

let ctx: TestContext;
let topology: Topology;
let connections: AmqpConnection[] = [];
let publisher: Publisher;
let running: RunningActor | undefined;

beforeAll(async () => {
  ctx = await createTestContext('actor-runtime', { MAX_ATTEMPTS: String(MAX_ATTEMPTS) });
  const { config, logger } = ctx;
  topology = describeTopology({ prefix: config.QUEUE_PREFIX, retryDelaysMs: config.RETRY_DELAYS_MS, deliveryLimit: config.QUEUE_DELIVERY_LIMIT });
  const publishing = await createAmqpConnection({ url: config.AMQP_URL, name: 'test-publish', heartbeatS: 5, logger });
  const consuming = await createAmqpConnection({ url: config.AMQP_URL, name: 'test-consume', heartbeatS: 5, logger });
  connections = [publishing, consuming];
  await declareTopology(publishing.model, topology);
  publisher = createPublisher({ connection: publishing, exchange: topology.exchange, confirmTimeoutMs: 5_000, logger });
  await publisher.ready();
});

afterAll(async () => {
  await running?.stop();
  await publisher?.close();
  for (const c of connections) await c.close();
  await ctx?.cleanup();
});

describe('a batch whose handler throws', () => {
  it('is retried message by message: the good ones pass on their first attempt, the poison one alone is dead-lettered', async () => {
    const ids = ['poison', ...Array.from({ length: 20 }, (_, i) => `good-${i}`)];
    // Published before the actor starts, so they arrive together and share a batch.
    for (const id of ids) {
      await publisher.publish(topology.actors.business.work, Buffer.from(JSON.stringify({ version: 1, id })));
    }
    const handled: Array<{ id: string; attempt: number }> = [];
    const batchSizes: number[] = [];
    const actor = defineActor<Message>({
      name: 'business',
      queues: topology.actors.business,
      versions: [1],
      schema: MessageSchema,
      orderIdOf: () => undefined,
      async handleBatch(messages: ReadonlyArray<Incoming<Message>>) {
        batchSizes.push(messages.length);
        // Like a database statement failing for the whole batch because of one row.
        if (messages.some((m) => m.body.id === 'poison')) throw new Error('this batch holds a message the handler cannot take');
        for (const m of messages) handled.push({ id: m.body.id, attempt: m.attempt });
        return messages.map(() => ({ ok: true as const }));
      },
    });
    running = startActor(
      {
        connection: connections[1]!,
        publisher,
        topology,
        logger: ctx.logger,
        options: { prefetch: 100, batchSize: 50, concurrentBatches: 2, maxAttempts: MAX_ATTEMPTS, maxMessageBytes: 65_536 },
      },
      actor,
    );

    const conn = await amqp.connect(ctx.config.AMQP_URL);
    try {
      const ch = await conn.createChannel();
      const deadLetter = await waitFor(async () => (await ch.get(topology.deadLetters, { noAck: false })) || undefined, {
        what: 'the poison message to be dead-lettered',
      });
      expect(JSON.parse(deadLetter.content.toString())).toEqual({ version: 1, id: 'poison' });
      expect(deadLetter.properties.headers).toMatchObject({
        [HEADERS.attempt]: MAX_ATTEMPTS,
        [HEADERS.deadLetterReason]: 'retries_exhausted',
        [HEADERS.actor]: 'business',
      });
      ch.ack(deadLetter);
    } finally {
      await conn.close();
    }
    await waitFor(() => handled.length >= 20, { what: 'the good messages' });
    // The poison message did share a batch with good ones, and none of them paid for it.
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect(handled.map((h) => h.id).sort()).toEqual(ids.filter((id) => id !== 'poison').sort());
    expect(handled.every((h) => h.attempt === 0)).toBe(true);
  });
});

describe('messages published in one turn of the event loop', () => {
  it('leave in a handful of socket writes instead of one per message, and every one arrives', async () => {
    const queue = topology.actors.notification.work;
    const socket = (connections[0]!.current() as unknown as { connection: { stream: Socket } }).connection.stream;
    let writes = 0;
    const write = socket._write.bind(socket);
    const writev = socket._writev!.bind(socket);
    socket._write = (...args: Parameters<Socket['_write']>) => {
      writes++;
      write(...args);
    };
    socket._writev = (...args: Parameters<NonNullable<Socket['_writev']>>) => {
      writes++;
      writev(...args);
    };
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => publisher.publish(queue, Buffer.from(JSON.stringify({ version: 1, id: `together-${i}` })))));
    } finally {
      // Own properties shadowing the prototype's methods: deleting them restores the originals.
      delete (socket as Partial<Socket>)._write;
      delete (socket as Partial<Socket>)._writev;
    }
    // 200 publish frames of ~200 bytes: a few writes of the socket's 16 KiB buffer, not 200.
    expect(writes).toBeLessThan(20);
    const conn = await amqp.connect(ctx.config.AMQP_URL);
    try {
      const ch = await conn.createChannel();
      expect((await ch.checkQueue(queue)).messageCount).toBe(200);
      await ch.purgeQueue(queue);
    } finally {
      await conn.close();
    }
  });
});

describe('a handler whose emit cannot be serialized', () => {
  it('fails that message like any other (retried, then dead-lettered) and settles the rest of its batch', async () => {
    const hop = topology.actors.notification;
    const ids = ['unserializable', 'fine-1', 'fine-2', 'fine-3'];
    for (const id of ids) await publisher.publish(hop.work, Buffer.from(JSON.stringify({ version: 1, id })));
    const done: string[] = [];
    const actor = startActor(
      {
        connection: connections[1]!,
        publisher,
        topology,
        logger: ctx.logger,
        options: { prefetch: 100, batchSize: 50, concurrentBatches: 2, maxAttempts: MAX_ATTEMPTS, maxMessageBytes: 65_536 },
      },
      defineActor<Message>({
        name: 'notification',
        queues: hop,
        versions: [1],
        schema: MessageSchema,
        orderIdOf: () => undefined,
        async handleBatch(messages) {
          return messages.map((m) => {
            if (m.body.id !== 'unserializable') done.push(m.body.id);
            // JSON.stringify throws on a BigInt.
            return { ok: true as const, emit: m.body.id === 'unserializable' ? [{ routingKey: topology.actors.business.work, body: { n: 1n } }] : [] };
          });
        },
      }),
    );
    const conn = await amqp.connect(ctx.config.AMQP_URL);
    try {
      const ch = await conn.createChannel();
      // Earlier tests of this file dead-letter messages of their own into the same queue.
      const deadLetter = await waitFor(
        async () => {
          const msg = await ch.get(topology.deadLetters, { noAck: false });
          if (!msg) return undefined;
          ch.ack(msg);
          return (JSON.parse(msg.content.toString()) as Message).id === 'unserializable' ? msg : undefined;
        },
        { what: 'the unserializable emit to be dead-lettered' },
      );
      expect(deadLetter.properties.headers).toMatchObject({ [HEADERS.attempt]: MAX_ATTEMPTS, [HEADERS.actor]: 'notification' });
      await waitFor(async () => (await ch.checkQueue(hop.work)).messageCount === 0 && done.length >= 3, { what: 'the rest of the batch to be acked' });
      expect(done.filter((id) => id.startsWith('fine')).sort()).toEqual(['fine-1', 'fine-2', 'fine-3']);
    } finally {
      await actor.stop();
      await conn.close();
    }
  });
});
