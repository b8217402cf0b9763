// Scenario 1, the ceiling every other figure is divided by: a bare, hand-tuned two-hop amqplib relay
// (publish → consume + republish → consume) with confirms and manual acks, no HTTP, no database, on
// the service's own queue type and arguments (and on classic queues, to justify that choice).
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { declareTopology } from '../src/platform/amqp/topology.js';
import type { BenchConfig } from './bench-config.js';
import { benchNames, removeBenchResources, type BenchNames } from './bench-isolation.js';
import { publishConfirmed } from './confirmed-source.js';
import { sharedServiceTargets, startCpuMeter, type CpuReport } from './process-stats.js';
import { untilDoneOrStalled } from './stall-watch.js';

export type QueueType = 'quorum' | 'classic';

export type RelayResult = { messages: number; seconds: number; perSecond: number; cpu: CpuReport; cleanupProblems: string[] };

/** Acks with `multiple` up to the newest message whose own work is done and all before it too. */
export function createAckFrontier(channel: Channel) {
  const pending: Array<{ msg: ConsumeMessage; done: boolean }> = [];
  let upTo: ConsumeMessage | null = null;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    try {
      if (upTo) channel.ack(upTo, true);
    } catch {
      // The channel closed at the end of the run; the broker requeues, and the queue is deleted anyway.
    }
    upTo = null;
  };
  return {
    /** Registers a delivery; call the returned function when its work is done. */
    track(msg: ConsumeMessage): () => void {
      const entry = { msg, done: false };
      pending.push(entry);
      return () => {
        entry.done = true;
        while (pending[0]?.done) upTo = pending.shift()!.msg;
        // One ack frame for everything finished in this turn of the event loop.
        if (upTo && !scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      };
    },
  };
}

/** A plain amqplib connection with the service's socket settings (no recovery: a bench run just fails). */
export function connectRaw(config: BenchConfig, name: string): Promise<ChannelModel> {
  const url = new URL(config.service.AMQP_URL);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(config.service.AMQP_HEARTBEAT_S));
  return amqp.connect(url.toString(), { noDelay: true, clientProperties: { connection_name: name } });
}

async function declareQueues(model: ChannelModel, names: BenchNames, type: QueueType): Promise<{ hop1: string; hop2: string }> {
  const { topology } = names;
  const hop1 = topology.actors.business.work;
  const hop2 = topology.actors.notification.work;
  const ch = await model.createChannel();
  if (type === 'quorum') {
    // Exactly what the service declares: quorum, delivery limit, at-least-once dead-lettering.
    await declareTopology(model, topology);
  } else {
    await ch.assertExchange(topology.exchange, 'direct', { durable: true });
    for (const q of [hop1, hop2]) {
      await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      await ch.bindQueue(q, topology.exchange, q);
    }
  }
  await ch.close();
  return { hop1, hop2 };
}

export async function runBrokerCeiling(config: BenchConfig, type: QueueType): Promise<RelayResult> {
  const { service } = config;
  const names = benchNames(`ceiling-${type}`, config);
  const count = config.BENCH_MESSAGES;
  const connect = (name: string) => connectRaw(config, `bench-${type}-${name}`);
  const models: ChannelModel[] = [];
  let result: Omit<RelayResult, 'cleanupProblems'>;
  let cleanupProblems: string[] = [];
  try {
    // Separate connections for the source, the relay's publishes and the consumers, as the service has.
    const [sourceConn, publishConn, consumeConn] = await Promise.all([connect('source'), connect('publish'), connect('consume')]);
    models.push(sourceConn, publishConn, consumeConn);
    const { hop1, hop2 } = await declareQueues(publishConn, names, type);

    let failure: Error | undefined;
    let received = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));

    const sink = await consumeConn.createChannel();
    await sink.prefetch(service.NOTIFICATION_PREFETCH);
    const sinkAcks = createAckFrontier(sink);
    await sink.consume(hop2, (msg) => {
      if (!msg) return;
      sinkAcks.track(msg)();
      if (++received === count) finished();
    });

    const relayIn = await consumeConn.createChannel();
    await relayIn.prefetch(service.BUSINESS_PREFETCH);
    const relayOut = await publishConn.createConfirmChannel();
    const relayAcks = createAckFrontier(relayIn);
    await relayIn.consume(hop1, (msg) => {
      if (!msg) return;
      const settle = relayAcks.track(msg);
      const { contentType, messageId, timestamp } = msg.properties as { contentType: string; messageId: string; timestamp: number };
      relayOut.publish(names.topology.exchange, hop2, msg.content, { persistent: true, mandatory: true, contentType, messageId, timestamp }, (err) => {
        if (err) {
          failure ??= new Error('RabbitMQ nacked a relayed message', { cause: err });
          finished();
        } else settle();
      });
    });

    const source = await sourceConn.createConfirmChannel();
    const cpu = startCpuMeter(sharedServiceTargets());
    const started = process.hrtime.bigint();
    await untilDoneOrStalled(
      Promise.all([
        publishConfirmed({ channel: source, exchange: names.topology.exchange, routingKey: hop1, runId: names.id, count, window: config.BENCH_PUBLISH_WINDOW }),
        done,
      ]).then(() => undefined),
      { progress: () => received, stallMs: config.BENCH_STALL_TIMEOUT_MS, what: `the ${type} relay` },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuReport = cpu.stop();
    if (failure) throw failure;
    // Let the last acks scheduled for this turn go out before the channels close.
    await new Promise((resolve) => setImmediate(resolve));
    result = { messages: count, seconds, perSecond: count / seconds, cpu: cpuReport };
  } finally {
    for (const m of models.reverse()) await m.close().catch(() => undefined);
    cleanupProblems = await removeBenchResources(names, config);
  }
  return { ...result, cleanupProblems };
}
