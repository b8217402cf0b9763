// Publishing that only reports success when RabbitMQ has confirmed the message AND routed it to a
// queue (mandatory + returns), within a deadline. Anything else is "not sent" and the caller decides.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message, Options } from 'amqplib';
import { RetryableError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { keepChannel } from './channel-keeper.js';
import { createConfirmDeadlines, withDeadline, type ConfirmWait } from './confirm-deadlines.js';
import type { AmqpConnection } from './connection.js';

export type PublishOptions = {
  messageId?: string;
  headers?: Record<string, unknown>;
  type?: string;
  correlationId?: string;
  timestamp?: number;
  /** Defaults to application/json; null sends none. Dead letters and replays keep the original's. */
  contentType?: string | null;
  contentEncoding?: string;
};

export type Publisher = ReturnType<typeof createPublisher>;

export class PublishError extends RetryableError {}

/** Nacks in a row, with no confirm between, after which the channel is replaced. */
const NACKS_BEFORE_NEW_CHANNEL = 5;

// Promise.withResolvers arrives in Node 22; this service also runs on 20.
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function createPublisher(deps: {
  connection: AmqpConnection;
  exchange: string;
  confirmTimeoutMs: number;
  logger: Logger;
  metrics?: Pick<Metrics, 'publishConfirmSeconds'>;
}) {
  const logger = deps.logger.child({ module: 'publisher' });
  let drained: Promise<void> | null = null;
  // Message ids the broker returned as unroutable; their confirm still arrives and must fail.
  const returned = new Set<string>();
  let inFlight = 0;
  // Nacks in a row with no confirm between them, on the current channel.
  let nacksInARow = 0;
  // Settled when a channel is open; replaced while (re)opening so publishes can wait for it.
  let opened = deferred();

  const keeper = keepChannel<ConfirmChannel>({
    connection: deps.connection,
    create: (model) => model.createConfirmChannel(),
    onOpen: (ch) => {
      ch.on('return', (msg: Message) => {
        const id = msg.properties.messageId as string | undefined;
        if (id) returned.add(id);
      });
      ch.on('drain', () => {
        drained = null;
      });
      drained = null;
      nacksInARow = 0;
      opened.resolve();
    },
    onLost: () => {
      opened = deferred();
    },
    reopenDelayMs: 500,
    what: 'publisher',
    logger,
  });

  /**
   * A channel keeps its own idea of where each quorum queue's leader is. Seen on a 3.10 cluster: a
   * node killed with kill -9, new leaders elected within a second, yet a channel on a surviving node
   * had every publish nacked until the dead node came back. A new channel looks the leaders up
   * again; publishes still in flight on the old one fail as unconfirmed, and their callers resend.
   */
  function onNack(ch: ConfirmChannel): void {
    if (++nacksInARow < NACKS_BEFORE_NEW_CHANNEL || keeper.current() !== ch) return;
    logger.warn({ nacks: nacksInARow }, 'RabbitMQ refused every recent publish on this channel; opening a new one (a queue leader may have moved)');
    nacksInARow = 0;
    void ch.close().catch(() => undefined);
  }

  const deadline = <T>(promise: Promise<T>, what: string): Promise<T> =>
    withDeadline(promise, deps.confirmTimeoutMs, () => new PublishError('publish_timeout', `RabbitMQ did not ${what} within ${deps.confirmTimeoutMs} ms`));

  // Once written, a message whose confirm does not come in time may still reach the queue: its fate
  // is unknown, not refused, and callers must say so (resending is safe: consumers dedupe).
  const confirms = createConfirmDeadlines({ timeoutMs: deps.confirmTimeoutMs });

  /** Publishes one persistent JSON message to `routingKey`; resolves only when confirmed and routed. */
  function publish(routingKey: string, body: Buffer, options: PublishOptions = {}): Promise<void> {
    if (!deps.connection.isConnected()) return Promise.reject(new PublishError('broker_unavailable', 'Not connected to RabbitMQ; try again shortly'));
    const ch = keeper.current();
    if (ch && !drained) return send(ch, routingKey, body, options);
    return (async () => {
      if (!keeper.current()) await deadline(opened.promise, 'open a channel');
      if (drained) await deadline(drained, 'drain its write buffer');
      const open = keeper.current();
      if (!open) throw new PublishError('broker_unavailable', 'The RabbitMQ channel is closed; try again shortly');
      return send(open, routingKey, body, options);
    })();
  }

  function send(ch: ConfirmChannel, routingKey: string, body: Buffer, options: PublishOptions): Promise<void> {
    const messageId = options.messageId ?? randomUUID();
    const props: Options.Publish = {
      persistent: true,
      mandatory: true,
      contentType: options.contentType === undefined ? 'application/json' : (options.contentType ?? undefined),
      messageId,
      timestamp: options.timestamp ?? Date.now(),
      headers: options.headers ?? {},
    };
    if (options.contentEncoding !== undefined) props.contentEncoding = options.contentEncoding;
    if (options.type !== undefined) props.type = options.type;
    if (options.correlationId !== undefined) props.correlationId = options.correlationId;
    const started = performance.now();
    return new Promise<void>((resolve, reject) => {
      let wait: ConfirmWait | undefined;
      let done = false;
      function finish(err?: Error): void {
        if (done) return;
        done = true;
        inFlight--;
        wait?.settle();
        if (err) return reject(err);
        deps.metrics?.publishConfirmSeconds.observe((performance.now() - started) / 1000);
        resolve();
      }
      inFlight++;
      let ok: boolean;
      try {
        ok = ch.publish(deps.exchange, routingKey, body, props, (err) => {
          if (err) {
            returned.delete(messageId);
            // A nack is a definite no; a channel that closed before confirming leaves it unknown.
            const nacked = String((err as Error).message).includes('nacked');
            finish(
              nacked
                ? new PublishError('publish_nacked', 'RabbitMQ refused the message', { cause: err })
                : new PublishError('publish_unconfirmed', 'The channel closed before RabbitMQ confirmed the message', { cause: err }),
            );
            if (nacked) onNack(ch);
          } else if (returned.delete(messageId)) {
            finish(new PublishError('publish_unroutable', `No queue is bound for routing key ${routingKey}`));
          } else {
            nacksInARow = 0;
            finish();
          }
        });
      } catch (err) {
        finish(new PublishError('broker_unavailable', 'The RabbitMQ channel is closed; try again shortly', { cause: err }));
        return;
      }
      if (!done)
        wait = confirms.track(() => finish(new PublishError('publish_unconfirmed', `RabbitMQ did not confirm the message within ${deps.confirmTimeoutMs} ms`)));
      if (!ok && !drained) {
        // The socket buffer is full: later publishes wait for 'drain' instead of piling up in memory.
        drained = new Promise<void>((resolve) => ch.once('drain', () => resolve()));
      }
    });
  }

  return {
    publish,
    isReady: () => keeper.current() !== null,
    /** Publishes awaiting a confirm: intake refuses work past a limit instead of queueing in memory. */
    inFlight: () => inFlight,
    /** True while the socket buffer is full and publishes wait for it to drain. */
    isDraining: () => drained !== null,
    /** Resolves once a channel is open (at start, before the intake takes requests). */
    ready: () => opened.promise,
    close: () => keeper.close(),
  };
}
