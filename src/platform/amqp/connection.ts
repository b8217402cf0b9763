// One recovering AMQP connection. Publishers and consumers use separate connections so that a
// broker alarm blocking publishers never stops consumers from draining the queues.
import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { parseBrokerEndpoints, rotatingEndpoint } from './broker-endpoints.js';
import { coalesceFrameWrites } from './frame-coalescing.js';
import { guardHeaderFrames } from './header-frame-guard.js';

export type AmqpConnection = {
  readonly name: string;
  /** Resolves with the channel model once connected; waits through reconnects. */
  model: RecoveringChannelModel;
  isConnected(): boolean;
  /** The live channel model, or null while reconnecting. */
  current(): ChannelModel | null;
  /** The node this connection uses (host:port), or null while reconnecting. */
  node(): string | null;
  /** True while the broker has blocked this connection (memory or disk alarm). */
  isBlocked(): boolean;
  /** Runs `listener` after every successful (re)connect, and now if already connected. */
  onConnect(listener: (model: ChannelModel) => void): void;
  close(): Promise<void>;
};

/** Far above what our own failure headers reach (a 2,000-character stack, x-death of every tier). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

export async function createAmqpConnection(options: {
  /** One AMQP URL, or a comma-separated list of a cluster's nodes. */
  url: string;
  name: string;
  heartbeatS: number;
  logger: Logger;
  /** A message whose properties and headers are larger arrives without its headers (see header-frame-guard). */
  maxHeaderBytes?: number;
}): Promise<AmqpConnection> {
  const logger = options.logger.child({ module: 'amqp', connection: options.name });
  let current: ChannelModel | null = null;
  let node: string | null = null;
  let blocked = false;
  const listeners: Array<(model: ChannelModel) => void> = [];

  const endpoints = rotatingEndpoint(parseBrokerEndpoints(options.url, options.heartbeatS));
  const model = await amqp.connect(endpoints.target, {
    noDelay: true,
    // A node that does not answer at all (down host, dropped packets) is given up on in time to
    // reach the next one well within the 5 s a cluster's clients are promised.
    timeout: 3_000,
    clientProperties: { connection_name: options.name },
    // Capped at 2 s: with a node lost, the next attempt goes to the next node, which should be
    // reached well within the 5 s a cluster's clients are promised.
    recovery: { initialDelay: 200, maxDelay: 2_000, waitForConnect: false },
  });
  model.on('connect', (m: ChannelModel) => {
    coalesceFrameWrites(m, logger);
    guardHeaderFrames(m, { maxHeaderBytes: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES }, logger);
    current = m;
    node = endpoints.current().label;
    blocked = false;
    logger.info({ node }, 'connected to RabbitMQ');
    for (const l of listeners) l(m);
  });
  model.on('disconnect', (err: Error) => {
    current = null;
    logger.warn({ err, node }, 'lost the RabbitMQ connection; reconnecting');
    node = null;
    // The node may be gone: the next attempt goes to the next one in the list.
    endpoints.advance();
  });
  model.on('connect-failed', (err: Error) => {
    logger.warn({ err, node: endpoints.current().label }, 'could not connect to RabbitMQ; trying the next node');
    endpoints.advance();
  });
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
    node: () => node,
    isBlocked: () => blocked,
    onConnect(listener) {
      listeners.push(listener);
      if (current) listener(current);
    },
    close: () => model.close(),
  };
}
