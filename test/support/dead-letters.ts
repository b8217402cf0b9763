// A raw view of the broker for dead-letter tests, the way an operator with the management tools
// would see it: publish straight onto a queue, count a queue, and look at its messages without
// taking them (they are returned to the queue). Plus the admin token the tests' services use.
import amqp, { type GetMessage, type Options } from 'amqplib';
import type { TestContext } from './test-context.js';

export const ADMIN_TOKEN = 'dead-letter-tests-admin-token';
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

export type Broker = Awaited<ReturnType<typeof openBroker>>;

export async function openBroker(ctx: TestContext) {
  const conn = await amqp.connect(ctx.config.AMQP_URL);
  const ch = await conn.createConfirmChannel();
  return {
    /** Publishes straight onto a queue, as a misbehaving producer or an operator would. */
    async publish(queue: string, body: Buffer | string, options: Options.Publish = {}): Promise<void> {
      ch.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), { persistent: true, ...options });
      await ch.waitForConfirms();
    },
    /** Many at once, confirmed together. */
    async publishAll(queue: string, messages: ReadonlyArray<{ body: Buffer | string; options?: Options.Publish }>): Promise<void> {
      for (const m of messages) ch.sendToQueue(queue, Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body), { persistent: true, ...m.options });
      await ch.waitForConfirms();
    },
    async depth(queue: string): Promise<number> {
      return (await ch.checkQueue(queue)).messageCount;
    },
    /** Every message in the queue, returned to it afterwards. */
    async peek(queue: string): Promise<GetMessage[]> {
      const seen: GetMessage[] = [];
      for (let m = await ch.get(queue); m !== false; m = await ch.get(queue)) seen.push(m);
      if (seen.length > 0) ch.nack(seen[seen.length - 1]!, true, true);
      return seen;
    },
    async close(): Promise<void> {
      await ch.close().catch(() => undefined);
      await conn.close().catch(() => undefined);
    },
  };
}
