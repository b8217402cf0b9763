// Runs one actor on its queue (or its shards' queues): prefetch-bounded manual-ack consumption, batching of the messages
// that arrive together, contract checks, retry tiers and dead-lettering, and pause/resume.
// A message is acked only after its work is committed and every message it causes is confirmed.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import { channelAckTracker, type createAckTracker } from './ack-tracker.js';
import type { ActorDefinition, ActorHooks, Emit, Incoming, Outcome } from './actor.js';
import { createBatcher, handleIsolatingFailures } from './batcher.js';
import { inspectQueue } from './broker-probes.js';
import { keepChannel } from './channel-keeper.js';
import type { AmqpConnection } from './connection.js';
import { failureHeaders, parkedCopyOptions } from './failure-headers.js';
import { decodeMessage, messageIdOf, type DecodedMessage } from './message-decoder.js';
import { HEADERS, readAttempt } from './message-headers.js';
import type { Publisher, PublishOptions } from './publisher.js';
import { decideFailure } from './retry-policy.js';
import type { ActorShard, Topology } from './topology.js';

export type ActorRuntimeOptions = {
  prefetch: number;
  batchSize: number;
  /** Batches handled at once (see batcher.ts). */
  concurrentBatches: number;
  maxAttempts: number;
  maxMessageBytes: number;
  /** The shards this process consumes, by number; all of the actor's when undefined. */
  shards?: readonly number[];
};

/** Something that says whether the actor should be paused, and tells when that changes. */
export type PauseControl = { isPaused(): boolean; onChange(listener: () => void): void };

type Delivery = { msg: ConsumeMessage; channel: Channel; acks: AckTracker; shard: ActorShard; receivedAt: number };
type AckTracker = ReturnType<typeof createAckTracker>;

type Decoded<T> = { delivery: Delivery } & DecodedMessage<T>;

export type RunningActor = ReturnType<typeof startActor>;

/**
 * Long by design: the runtime that wires the pieces (channel keeper, batcher, ack tracker, decoder,
 * failure headers, retry policy) around one actor's state; each piece has its own file and tests.
 */
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
  const shards = actor.queues.shards.filter((s) => options.shards?.includes(s.index) ?? true);
  if (shards.length === 0) throw new Error(`${actor.name}: none of shards ${options.shards?.join(', ')} exists; the actor has ${actor.queues.shards.length}`);

  let acks: AckTracker | null = null;
  // One consumer per shard: shard number → consumer tag, or 'pending' while subscribing.
  const consumers = new Map<number, string>();
  let stopped = false;
  const batches = createBatcher<Delivery>(options, {
    process: processBatch,
    onError: (err: unknown) => logger.error({ err }, 'settling messages failed outside their handler; they are redelivered when the channel closes'),
  });
  const { track } = batches;

  const wantsToConsume = () => !stopped && !(deps.pause?.isPaused() ?? false);

  // Reopened after the broker closes it (e.g. a queue deleted under us) or opening fails; a new
  // channel subscribes every shard again.
  const keeper = keepChannel<Channel>({
    connection: deps.connection,
    create: (model) => model.createChannel(),
    onOpen: async (ch) => {
      // The prefetch is per consumer: shared out, so the actor holds as many messages as unsharded.
      await ch.prefetch(Math.ceil(options.prefetch / shards.length));
      acks = channelAckTracker(ch, options.prefetch);
      await syncConsumer();
    },
    onLost: () => {
      consumers.clear();
      acks = null;
    },
    wanted: () => !stopped,
    reopenDelayMs: 1_000,
    what: 'consumer',
    logger,
  });

  /** Starts or cancels the shards' consumers so that they match the pause state. */
  async function syncConsumer(): Promise<void> {
    const ch = keeper.current();
    const tracker = acks;
    // No channel, or one still being readied (its ack tracker comes with its prefetch).
    if (!ch || !tracker) return;
    if (wantsToConsume()) {
      for (const shard of shards) {
        if (consumers.has(shard.index)) continue;
        consumers.set(shard.index, 'pending');
        try {
          const reply = await ch.consume(shard.queue, (msg) => onMessage(ch, tracker, shard, msg), { noAck: false });
          if (keeper.current() !== ch) return;
          consumers.set(shard.index, reply.consumerTag);
          logger.info({ queue: shard.queue }, 'consuming');
        } catch (err) {
          consumers.delete(shard.index);
          throw err;
        }
      }
      // The pause state may have changed while the consume calls were in flight.
      if (!wantsToConsume()) await syncConsumer();
    } else {
      let cancelled = 0;
      for (const [index, tag] of consumers) {
        if (tag === 'pending') continue;
        consumers.delete(index);
        cancelled++;
        // Cancelling only stops new deliveries; those already here are still processed and acked.
        await ch.cancel(tag).catch((err: unknown) => logger.warn({ err }, 'could not cancel the consumer'));
      }
      if (cancelled > 0) logger.info({ queues: shards.map((s) => s.queue), stopped }, stopped ? 'stopped consuming' : 'paused: messages wait in the queue');
    }
  }

  function onMessage(ch: Channel, tracker: AckTracker, shard: ActorShard, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (the queue was deleted): consume again once it is back. Looked for
      // on a channel of its own first, since consuming a missing queue would close the channel
      // that every other shard's deliveries are on.
      consumers.delete(shard.index);
      logger.warn({ queue: shard.queue }, 'the broker cancelled the consumer; re-subscribing once the queue exists');
      void resubscribeWhenPresent(shard);
      return;
    }
    batches.add({ msg, channel: ch, acks: tracker, shard, receivedAt: Date.now() });
  }

  async function resubscribeWhenPresent(shard: ActorShard): Promise<void> {
    for (let waitMs = 1_000; !stopped; waitMs = Math.min(waitMs * 2, 30_000)) {
      await new Promise((r) => setTimeout(r, waitMs).unref());
      const model = deps.connection.current();
      if (!model || !keeper.current()) return; // a new channel subscribes every shard
      const present = await inspectQueue(model, shard.queue).catch(() => undefined);
      if (present) return syncConsumer();
      logger.error({ queue: shard.queue, retryInMs: waitMs }, 'cannot consume this shard: its queue is gone (restart the process once the topology is fixed)');
    }
  }

  function decode(delivery: Delivery): Decoded<T> {
    const decoded = decodeMessage(delivery.msg, actor, options, logger);
    return 'incoming' in decoded ? { delivery, incoming: decoded.incoming } : { delivery, error: decoded.error, raw: decoded.raw };
  }

  async function processBatch(batch: Delivery[]): Promise<void> {
    const decoded = batch.map(decode);
    const valid = decoded.filter((d): d is Extract<Decoded<T>, { incoming: Incoming<T> }> => 'incoming' in d);
    let outcomes: Outcome[] = [];
    if (valid.length > 0) {
      const started = performance.now();
      outcomes = await handleIsolatingFailures(
        (messages) => actor.handleBatch(messages),
        valid.map((v) => v.incoming),
      );
      deps.hooks?.onBatch?.(actor.name, valid.length, (performance.now() - started) / 1000);
    }
    let next = 0;
    // Settling is synchronous for messages that emit nothing: no promise per message unless it waits for confirms.
    const waiting: Array<Promise<void>> = [];
    // A failed message is parked on its own, outside the batch: one whose parking the broker
    // refuses (and which is therefore held) must not hold a batch slot and stop the actor.
    for (const d of decoded) {
      if ('error' in d) {
        void track(settleFailure(d.delivery, d.error, actor.orderIdOf(d.raw), undefined));
        continue;
      }
      const outcome = outcomes[next++]!;
      if (!outcome.ok) {
        void track(settleFailure(d.delivery, outcome.error, actor.orderIdOf(d.incoming.body), d.incoming));
        continue;
      }
      const settled = settleSuccess(d.delivery, d.incoming, outcome.emit ?? []);
      if (settled) waiting.push(settled);
    }
    if (waiting.length > 0) await Promise.all(waiting);
  }

  function settleSuccess(delivery: Delivery, incoming: Incoming<T>, emits: Emit[]): Promise<void> | void {
    if (emits.length === 0) return done(delivery);
    let bodies: Buffer[];
    try {
      // Every body is serialized before any is published, so a failure here leaves nothing half sent.
      bodies = emits.map((e) => Buffer.from(JSON.stringify(e.body)));
    } catch (err) {
      // An emit that cannot even be serialized (a handler bug): this message fails like any other,
      // instead of the throw leaving it and the rest of its batch unsettled.
      return settleFailure(delivery, err instanceof Error ? err : new Error(String(err)), actor.orderIdOf(incoming.body), incoming);
    }
    const confirmed =
      emits.length === 1 ? publishEmit(emits[0]!, bodies[0]!, incoming) : Promise.all(emits.map((e, i) => publishEmit(e, bodies[i]!, incoming)));
    return confirmed.then(
      () => done(delivery),
      // Not every caused message was confirmed: the work is retried (handlers are idempotent),
      // parked on its own like any failure.
      (err: unknown) => void track(settleFailure(delivery, err instanceof Error ? err : new Error(String(err)), actor.orderIdOf(incoming.body), incoming)),
    );
  }

  function done(delivery: Delivery): void {
    ack(delivery);
    deps.hooks?.onSettled?.(actor.name, 'done', delivery.receivedAt);
  }

  function publishEmit(emit: Emit, body: Buffer, cause: Incoming<T>): Promise<void> {
    // A message caused by one about an order concerns the same order: sharded, it is routed by it.
    const orderId = actor.orderIdOf(cause.body);
    const base =
      orderId === undefined ? { [HEADERS.traceparent]: cause.traceparent } : { [HEADERS.traceparent]: cause.traceparent, [HEADERS.orderId]: orderId };
    const headers = emit.headers === undefined ? base : { ...base, ...emit.headers };
    const options: PublishOptions = { headers };
    if (emit.messageId !== undefined) options.messageId = emit.messageId;
    if (emit.type !== undefined) options.type = emit.type;
    return publisher.publish(emit.routingKey, body, options);
  }

  async function settleFailure(
    delivery: Delivery,
    error: Error,
    orderId: string | undefined,
    incoming: Incoming<T> | undefined,
    parkAttempt = 0,
  ): Promise<void> {
    const { msg } = delivery;
    const { shard } = delivery;
    const decision = decideFailure(error, readAttempt(msg.properties.headers, options.maxAttempts), shard.retries, options.maxAttempts);
    const headers = failureHeaders(msg, {
      error,
      decision,
      actor: actor.name,
      queue: shard.queue,
      shard: shard.index,
      orderId,
      traceparent: incoming?.traceparent,
      now: new Date(),
    });
    const target = decision.action === 'retry' ? decision.queue : topology.deadLetters;
    const log = incoming?.logger ?? logger.child({ messageId: msg.properties.messageId as unknown, orderId });
    try {
      await publisher.publish(target, msg.content, parkedCopyOptions(msg, incoming?.messageId ?? messageIdOf(msg), headers));
    } catch (err) {
      // Neither done nor parked anywhere (the broker blocks or lost our publishing connection): hold
      // the message, unacked, and try parking it again later. Requeueing it would spend the queue's
      // delivery limit on a broker problem and end good messages as dead letters; held messages
      // fill the prefetch, which stops consumption until the broker takes messages again. If the
      // channel closes meanwhile, the broker redelivers it.
      const waitMs = Math.min(10_000, 1_000 * 2 ** parkAttempt);
      log.warn({ err, cause: error, retryInMs: waitMs }, 'could not park a failed message; holding it and trying again');
      await new Promise((r) => setTimeout(r, waitMs));
      if (delivery.channel !== keeper.current()) return;
      return settleFailure(delivery, error, orderId, incoming, parkAttempt + 1);
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

  deps.pause?.onChange(() => {
    void syncConsumer().catch((err: unknown) => logger.error({ err }, 'could not apply the pause switch'));
  });

  return {
    name: actor.name,
    isConsuming: () => shards.every((s) => (consumers.get(s.index) ?? 'pending') !== 'pending'),
    /** Stops taking messages, finishes those in hand (up to `graceMs`), then closes the channel. */
    async stop(graceMs = 10_000): Promise<void> {
      stopped = true;
      await syncConsumer().catch(() => undefined);
      await Promise.race([batches.whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      // Acks waiting for a run behind an unfinished message are sent now, not lost with the channel.
      acks?.flush();
      await keeper.close();
    },
  };
}
