// The channel keeper on the real broker: a channel the broker closes is replaced on the same
// connection, the owner hears of the loss once and readies the new one, and once closed the
// keeper opens nothing more.
import type { Channel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepChannel } from '../../src/platform/amqp/channel-keeper.js';
import { createAmqpConnection, type AmqpConnection } from '../../src/platform/amqp/connection.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

let ctx: TestContext;
let connection: AmqpConnection;

beforeAll(async () => {
  ctx = await createTestContext('channel-keeper');
  connection = await createAmqpConnection({ url: ctx.config.AMQP_URL, name: 'test-channel-keeper', heartbeatS: 5, logger: ctx.logger });
});

afterAll(async () => {
  await connection?.close();
  await ctx?.cleanup();
});

describe('a kept channel', () => {
  it('is replaced on the same connection when the broker closes it, and not after close()', async () => {
    const opened: Channel[] = [];
    let lost = 0;
    const keeper = keepChannel<Channel>({
      connection,
      create: (model) => model.createChannel(),
      onOpen: (ch) => {
        opened.push(ch);
      },
      onLost: () => (lost += 1),
      reopenDelayMs: 50,
      what: 'test',
      logger: ctx.logger,
    });
    await waitFor(() => keeper.current() !== null, { what: 'the first channel' });
    const first = keeper.current()!;

    // A passive declare of a missing queue: the broker closes the channel with 404.
    await expect(first.checkQueue(`${ctx.config.QUEUE_PREFIX}.no-such-queue`)).rejects.toThrow(/NOT_FOUND/);
    await waitFor(() => keeper.current() !== null && keeper.current() !== first, { what: 'a new channel' });
    expect(lost).toBe(1);
    expect(opened).toHaveLength(2);
    expect(connection.isConnected()).toBe(true);
    // The new one works.
    await keeper.current()!.assertQueue('', { exclusive: true, autoDelete: true });

    await keeper.close();
    expect(keeper.current()).toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    expect(opened).toHaveLength(2);
    expect(lost).toBe(1);
  });

  it('tries again when readying a new channel fails', async () => {
    let tries = 0;
    const keeper = keepChannel<Channel>({
      connection,
      create: (model) => model.createChannel(),
      onOpen: () => {
        tries += 1;
        if (tries < 3) throw new Error('not yet');
      },
      reopenDelayMs: 20,
      what: 'test',
      logger: ctx.logger,
    });
    await waitFor(() => keeper.current() !== null && tries === 3, { what: 'the third try to hold' });
    await keeper.close();
  });
});
