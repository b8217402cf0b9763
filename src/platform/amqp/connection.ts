// One recovering AMQP connection. Publishers and consumers use separate connections so that a
// broker alarm blocking publishers never stops consumers from draining the queues.
import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { coalesceFrameWrites } from './frame-coalescing.js';

export type AmqpConnection = {
  readonly name: string;
  /** Resolves with the channel model once connected; waits through reconnects. */
  model: RecoveringChannelModel;
  isConnected(): boolean;
  /** The live channel model, or null while reconnecting. */
  current(): ChannelModel | null;
  /** True while the broker has blocked this connection (memory or disk alarm). */
  isBlocked(): boolean;
  /** Runs `listener` after every successful (re)connect, and now if already connected. */
  onConnect(listener: (model: ChannelModel) => void): void;
  close(): Promise<void>;
};

export async function createAmqpConnection(options: {
  url: string;
  name: string;
  heartbeatS: number;
  logger: Logger;
}): Promise<AmqpConnection> {
  const logger = options.logger.child({ module: 'amqp', connection: options.name });
  let current: ChannelModel | null = null;
  let blocked = false;
  const listeners: Array<(model: ChannelModel) => void> = [];

  const url = new URL(options.url);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(options.heartbeatS));
  const model = await amqp.connect(url.toString(), {
    noDelay: true,
    timeout: 10_000,
    clientProperties: { connection_name: options.name },
    recovery: { initialDelay: 200, maxDelay: 5_000, waitForConnect: false },
  });
  model.on('connect', (m: ChannelModel) => {
    coalesceFrameWrites(m, logger);
    current = m;
    blocked = false;
    logger.info('connected to RabbitMQ');
    for (const l of listeners) l(m);
  });
  model.on('disconnect', (err: Error) => {
    current = null;
    logger.warn({ err }, 'lost the RabbitMQ connection; reconnecting');
  });
  model.on('connect-failed', (err: Error) => logger.warn({ err }, 'could not connect to RabbitMQ; retrying'));
  model.on('error', (err: Error) => logger.warn({ err }, 'RabbitMQ connection error'));
  model.on('blocked', (reason: string) => {
    blocked = true;
    logger.warn({ reason }, 'RabbitMQ blocked this connection (resource alarm)');
  });
  model.on('unblocked', () => {
    blocked = false;
    logger.info('RabbitMQ unblocked this connection');
  });

  return {
    name: options.name,
    model,
    isConnected: () => current !== null,
    current: () => current,
    isBlocked: () => blocked,
    onConnect(listener) {
      listeners.push(listener);
      if (current) listener(current);
    },
    close: () => model.close(),
  };
}
