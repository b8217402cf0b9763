// Asking the broker whether a queue or an exchange exists, each on a throwaway channel: RabbitMQ
// answers "not found" by closing the channel the question was asked on, which must never be one
// that carries deliveries or publishes.
import type { Channel, ChannelModel } from 'amqplib';

export type ChannelSource = Pick<ChannelModel, 'createChannel'>;

export async function onOwnChannel<T>(model: ChannelSource, work: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await model.createChannel();
  // Unheard, the channel's error would crash the process instead of failing this call.
  ch.on('error', () => undefined);
  try {
    return await work(ch);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

/** Ready messages and consumers of `queue`; undefined when RabbitMQ says it does not exist (404). */
export async function inspectQueue(model: ChannelSource, queue: string): Promise<{ messages: number; consumers: number } | undefined> {
  try {
    const ok = await onOwnChannel(model, (ch) => ch.checkQueue(queue));
    return { messages: ok.messageCount, consumers: ok.consumerCount };
  } catch (err) {
    // Anything but "not found" is not knowledge: the caller must not take it as absence.
    if (notFound(err)) return undefined;
    throw err;
  }
}

export async function exchangeExists(model: ChannelSource, exchange: string): Promise<boolean> {
  try {
    await onOwnChannel(model, (ch) => ch.checkExchange(exchange));
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}
