// Runs one actor on its queue: prefetch-bounded manual-ack consumption, batching of the messages
// that arrive together, contract checks, retry tiers and dead-lettering, and pause/resume.
// A message is acked only after its work is committed and every message it causes is confirmed.
import { createHash } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import type { Logger } from '../logger.js';
import { errorCode, isRetryable, PermanentError } from '../errors.js';
import { continueTrace } from '../tracing.js';
import type { ActorDefinition, Emit, Incoming, Outcome } from './actor.js';
import { createAckTracker } from './ack-tracker.js';
import type { AmqpConnection } from './connection.js';
import { ERROR_MESSAGE_MAX_CHARS, HEADERS, readAttempt, STACK_MAX_CHARS } from './message-headers.js';
import type { Publisher } from './publisher.js';
import { decideFailure } from './retry-policy.js';
import type { Topology } from './topology.js';

export type ActorRuntimeOptions = {
  prefetch: number;
  batchSize: number;
  maxAttempts: number;
  maxMessageBytes: number;
};

/** Something that says whether the actor should be paused, and tells when that changes. */
export type PauseControl = { isPaused(): boolean; onChange(listener: () => void): void };

export type ActorHooks = {
  /** Called once per settled message, for metrics. */
  onSettled?(actor: string, result: 'done' | 'retried' | 'dead-lettered', startedAt: number): void;
  /** Called once per handled batch with the handler's duration. */
  onBatch?(actor: string, size: number, seconds: number): void;
};

type Delivery = { msg: ConsumeMessage; channel: Channel; acks: AckTracker; receivedAt: number };
type AckTracker = ReturnType<typeof createAckTracker>;

type Decoded<T> = { delivery: Delivery; incoming: Incoming<T> } | { delivery: Delivery; error: Error; raw: unknown };

export type RunningActor = ReturnType<typeof startActor>;

export function startActor<T>(
  deps: {
    connection: AmqpConnection;
    publisher: Publisher;
    topology: Topology;
    logger: Logger;
    options: ActorRuntimeOptions;
    pause?: PauseControl;
    hooks?: ActorHooks;
  },
  actor: ActorDefinition<T>,
) {
  const { publisher, topology, options } = deps;
  const logger = deps.logger.child({ module: 'actor', actor: actor.name });
  const queue = actor.queues.work;

  let channel: Channel | null = null;
  let acks: AckTracker | null = null;
  let consumerTag: string | null = null;
  let stopped = false;
  let buffer: Delivery[] = [];
  let flushScheduled = false;
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const wantsToConsume = () => !stopped && !(deps.pause?.isPaused() ?? false);

  async function open(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => logger.warn({ err }, 'consumer channel error'));
    ch.on('close', () => {
      if (channel === ch) {
        channel = null;
        consumerTag = null;
        // Closed by the broker while the connection lives (e.g. a queue deleted under us): open a
        // new channel on it; after a lost connection, onConnect does it.
        setTimeout(() => {
          const model = deps.connection.current();
          if (model) openOnce(model);
        }, 1_000).unref();
      }
    });
    await ch.prefetch(options.prefetch);
    acks = createAckTracker(
      {
        ack(deliveryTag, allUpTo) {
          try {
            ch.ack({ fields: { deliveryTag } } as Message, allUpTo);
          } catch {
            // The channel closed since delivery: the broker redelivers; handlers are idempotent.
          }
        },
      },
      { maxWaiting: Math.max(1, Math.floor(options.prefetch / 2)) },
    );
    channel = ch;
    await syncConsumer();
  }

  /** Starts or cancels the consumer so that it matches the pause state. */
  async function syncConsumer(): Promise<void> {
    const ch = channel;
    if (!ch) return;
    if (wantsToConsume() && consumerTag === null) {
      consumerTag = 'pending';
      try {
        const tracker = acks!;
        const reply = await ch.consume(queue, (msg) => onMessage(ch, tracker, msg), { noAck: false });
        consumerTag = reply.consumerTag;
        logger.info({ queue }, 'consuming');
      } catch (err) {
        consumerTag = null;
        throw err;
      }
      // The pause state may have changed while the consume call was in flight.
      if (!wantsToConsume()) await syncConsumer();
    } else if (!wantsToConsume() && consumerTag !== null && consumerTag !== 'pending') {
      const tag = consumerTag;
      consumerTag = null;
      // Cancelling only stops new deliveries; those already here are still processed and acked.
      await ch.cancel(tag).catch((err: unknown) => logger.warn({ err }, 'could not cancel the consumer'));
      logger.info({ queue, stopped }, stopped ? 'stopped consuming' : 'paused: messages wait in the queue');
    }
  }

  function onMessage(ch: Channel, tracker: AckTracker, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (queue deleted or failed over); consume again once it is back.
      consumerTag = null;
      logger.warn({ queue }, 'the broker cancelled the consumer; re-subscribing');
      setTimeout(() => void syncConsumer().catch((err: unknown) => logger.error({ err }, 'could not re-subscribe')), 1_000);
      return;
    }
    buffer.push({ msg, channel: ch, acks: tracker, receivedAt: Date.now() });
    if (buffer.length >= options.batchSize) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      // Let every delivery already read from the socket join this batch.
      setImmediate(flush);
    }
  }

  function flush(): void {
    flushScheduled = false;
    while (buffer.length > 0) {
      const batch = buffer.length <= options.batchSize ? buffer : buffer.slice(0, options.batchSize);
      buffer = buffer.length <= options.batchSize ? [] : buffer.slice(options.batchSize);
      inFlight += batch.length;
      void processBatch(batch).finally(() => {
        inFlight -= batch.length;
        if (inFlight === 0 && buffer.length === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  function decode(delivery: Delivery): Decoded<T> {
    const { msg } = delivery;
    let raw: unknown;
    const fail = (code: string, message: string) => ({ delivery, raw, error: new PermanentError(code, message) });
    if (msg.content.length > options.maxMessageBytes) {
      return fail('too_large', `Message of ${msg.content.length} bytes exceeds the ${options.maxMessageBytes}-byte limit`);
    }
    const { contentType, contentEncoding } = msg.properties as { contentType?: string; contentEncoding?: string };
    if (contentType !== 'application/json' || contentEncoding) {
      return fail('invalid_content_type', `Expected content-type application/json without encoding, got ${contentType ?? 'none'}${contentEncoding ? ` (${contentEncoding})` : ''}`);
    }
    try {
      raw = JSON.parse(msg.content.toString('utf8'));
    } catch {
      return fail('invalid_json', 'Message body is not valid JSON');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return fail('invalid_message', 'Message body is not a JSON object');
    }
    const version = (raw as { version?: unknown }).version;
    if (typeof version === 'number' && !actor.versions.includes(version)) {
      return fail('unsupported_version', `Contract version ${version} is not one this actor understands (${actor.versions.join(', ')}); deploy a consumer that does, then replay`);
    }
    const parsed = actor.schema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      return fail('invalid_message', `Message fails its contract: ${issues.join('; ')}`);
    }
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const trace = continueTrace(headers[HEADERS.traceparent]);
    const messageId =
      (msg.properties.messageId as string | undefined) ?? createHash('sha256').update(msg.content).digest('hex');
    const orderId = actor.orderIdOf(raw);
    let log: Logger | undefined;
    return {
      delivery,
      incoming: {
        body: parsed.data,
        messageId,
        attempt: readAttempt(headers, options.maxAttempts),
        redelivered: msg.fields.redelivered,
        headers,
        traceId: trace.traceId,
        traceparent: trace.traceparent,
        // Child loggers cost an allocation; most messages never log, so build it on first use.
        get logger() {
          log ??= logger.child({ messageId, orderId, traceId: trace.traceId });
          return log;
        },
      },
    };
  }

  async function processBatch(batch: Delivery[]): Promise<void> {
    const decoded = batch.map(decode);
    const valid = decoded.filter((d): d is Extract<Decoded<T>, { incoming: Incoming<T> }> => 'incoming' in d);
    let outcomes: Outcome[] = [];
    if (valid.length > 0) {
      const started = performance.now();
      try {
        outcomes = await actor.handleBatch(valid.map((v) => v.incoming));
        deps.hooks?.onBatch?.(actor.name, valid.length, (performance.now() - started) / 1000);
        if (outcomes.length !== valid.length) throw new Error(`handler returned ${outcomes.length} outcomes for ${valid.length} messages`);
      } catch (err) {
        outcomes = valid.map(() => ({ ok: false, error: err as Error }));
      }
    }
    let next = 0;
    await Promise.all(
      decoded.map((d) => {
        if ('error' in d) return settleFailure(d.delivery, d.error, actor.orderIdOf(d.raw), undefined);
        const outcome = outcomes[next++]!;
        return outcome.ok
          ? settleSuccess(d.delivery, d.incoming, outcome.emit ?? [])
          : settleFailure(d.delivery, outcome.error, actor.orderIdOf(d.incoming.body), d.incoming);
      }),
    );
  }

  async function settleSuccess(delivery: Delivery, incoming: Incoming<T>, emits: Emit[]): Promise<void> {
    try {
      await Promise.all(emits.map((e) => publishEmit(e, incoming)));
    } catch (err) {
      // Not every caused message was confirmed: the work is retried; handlers are idempotent.
      return settleFailure(delivery, err as Error, actor.orderIdOf(incoming.body), incoming);
    }
    ack(delivery);
    deps.hooks?.onSettled?.(actor.name, 'done', delivery.receivedAt);
  }

  function publishEmit(emit: Emit, cause: Incoming<T>): Promise<void> {
    return publisher.publish(emit.routingKey, Buffer.from(JSON.stringify(emit.body)), {
      ...(emit.messageId === undefined ? {} : { messageId: emit.messageId }),
      ...(emit.type === undefined ? {} : { type: emit.type }),
      headers: { [HEADERS.traceparent]: cause.traceparent, ...emit.headers },
    });
  }

  async function settleFailure(delivery: Delivery, error: Error, orderId: string | undefined, incoming: Incoming<T> | undefined): Promise<void> {
    const { msg } = delivery;
    const headers = { ...(msg.properties.headers) };
    const decision = decideFailure(error, readAttempt(headers, options.maxAttempts), actor.queues.retries, options.maxAttempts);
    const now = new Date().toISOString();
    Object.assign(headers, {
      [HEADERS.attempt]: decision.attempt,
      [HEADERS.firstFailedAt]: (headers[HEADERS.firstFailedAt] as string | undefined) ?? now,
      [HEADERS.lastFailedAt]: now,
      [HEADERS.errorCode]: errorCode(error),
      [HEADERS.errorMessage]: String(error.message).slice(0, ERROR_MESSAGE_MAX_CHARS),
      [HEADERS.errorStack]: String(error.stack ?? '').slice(0, STACK_MAX_CHARS),
      [HEADERS.errorClass]: isRetryable(error) ? 'retryable' : 'permanent',
      [HEADERS.actor]: actor.name,
      [HEADERS.originalQueue]: queue,
      [HEADERS.originalRoutingKey]: msg.fields.routingKey,
      ...(orderId === undefined ? {} : { [HEADERS.orderId]: orderId }),
    });
    if (incoming) headers[HEADERS.traceparent] ??= incoming.traceparent;
    const target = decision.action === 'retry' ? decision.queue : topology.deadLetters;
    if (decision.action === 'dead-letter') headers[HEADERS.deadLetterReason] = decision.reason;
    // A message moved back by hand from the dead-letter queue must not look dead-lettered by us later.
    else delete headers[HEADERS.deadLetterReason];
    const log = incoming?.logger ?? logger.child({ messageId: msg.properties.messageId as unknown, orderId });
    try {
      await publisher.publish(target, msg.content, {
        messageId: (msg.properties.messageId as string | undefined) ?? incoming?.messageId ?? createHash('sha256').update(msg.content).digest('hex'),
        headers,
        ...(msg.properties.type ? { type: msg.properties.type as string } : {}),
        ...(msg.properties.timestamp ? { timestamp: msg.properties.timestamp as number } : {}),
        // The original properties travel too: a message refused for its content type must reach
        // the dead-letter table, and a replay, exactly as it was sent.
        contentType: (msg.properties.contentType as string | undefined) ?? null,
        ...(msg.properties.contentEncoding ? { contentEncoding: msg.properties.contentEncoding as string } : {}),
        ...(msg.properties.correlationId ? { correlationId: msg.properties.correlationId as string } : {}),
      });
    } catch (err) {
      // Neither done nor parked anywhere: give it back to the queue, after a pause so a broker in
      // trouble is not hammered in a loop. The quorum delivery limit bounds how often this repeats.
      log.warn({ err, cause: error }, 'could not park a failed message; returning it to the queue');
      setTimeout(() => nack(delivery), 1_000);
      return;
    }
    ack(delivery);
    if (decision.action === 'retry') {
      log.info({ err: error, attempt: decision.attempt, delayMs: decision.delayMs }, 'message failed; retrying later');
      deps.hooks?.onSettled?.(actor.name, 'retried', delivery.receivedAt);
    } else {
      log.warn({ err: error, attempt: decision.attempt, reason: decision.reason }, 'message dead-lettered');
      deps.hooks?.onSettled?.(actor.name, 'dead-lettered', delivery.receivedAt);
    }
  }

  function ack(delivery: Delivery): void {
    delivery.acks.ack(delivery.msg.fields.deliveryTag);
  }

  function nack(delivery: Delivery): void {
    try {
      delivery.channel.nack(delivery.msg, false, true);
    } catch {
      // A closed channel already returned the message to the queue.
    }
    delivery.acks.done(delivery.msg.fields.deliveryTag);
  }

  let opening = false;
  function openOnce(model: ChannelModel): void {
    if (stopped || opening || channel) return;
    opening = true;
    open(model)
      .catch((err: unknown) => logger.error({ err }, 'could not start consuming; will retry on reconnect'))
      .finally(() => (opening = false));
  }
  deps.connection.onConnect(openOnce);
  deps.pause?.onChange(() => {
    void syncConsumer().catch((err: unknown) => logger.error({ err }, 'could not apply the pause switch'));
  });

  function whenIdle(): Promise<void> {
    if (inFlight === 0 && buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    name: actor.name,
    isConsuming: () => consumerTag !== null && consumerTag !== 'pending',
    /** Stops taking messages, finishes those in hand (up to `graceMs`), then closes the channel. */
    async stop(graceMs = 10_000): Promise<void> {
      stopped = true;
      await syncConsumer().catch(() => undefined);
      await Promise.race([whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      const ch = channel;
      channel = null;
      if (ch) await ch.close().catch(() => undefined);
    },
  };
}
