// Scenario 5, the price of our actor runtime: the same two-hop relay as the broker ceiling, but each
// hop is an actor on startActor (decode, contract check, batching, confirmed emits, acks) whose
// handler only forwards. No HTTP, no database; same queues, source and message count as scenario 1.
import { z } from 'zod';
import { startActor, type ActorRuntimeOptions, type RunningActor } from '../src/platform/amqp/actor-runtime.js';
import { defineActor } from '../src/platform/amqp/actor.js';
import { createAmqpConnection, type AmqpConnection } from '../src/platform/amqp/connection.js';
import { createPublisher, type Publisher } from '../src/platform/amqp/publisher.js';
import { declareTopology } from '../src/platform/amqp/topology.js';
import { createLogger } from '../src/platform/logger.js';
import type { BenchConfig } from './bench-config.js';
import { benchNames, removeBenchResources } from './bench-isolation.js';
import { connectRaw, type RelayResult } from './broker-ceiling.js';
import { publishConfirmed } from './confirmed-source.js';
import { sharedServiceTargets, startCpuMeter } from './process-stats.js';
import { untilDoneOrStalled } from './stall-watch.js';

// Forwarding actors need no contract beyond "a versioned JSON object"; the fields pass through.
const RelayMessageSchema = z.looseObject({ type: z.string(), version: z.number() });

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runRuntimeOverhead(config: BenchConfig): Promise<RelayResult> {
  const { service } = config;
  const names = benchNames('runtime', config);
  const { topology } = names;
  const hop1 = topology.actors.business;
  const hop2 = topology.actors.notification;
  const count = config.BENCH_MESSAGES;
  const logger = createLogger({ level: 'warn', name: 'bench-runtime' });

  const closers: Array<() => Promise<unknown>> = [];
  let result: Omit<RelayResult, 'cleanupProblems'>;
  let cleanupProblems: string[] = [];
  try {
    const connection = (name: string): Promise<AmqpConnection> =>
      createAmqpConnection({ url: service.AMQP_URL, name: `bench-runtime-${name}`, heartbeatS: service.AMQP_HEARTBEAT_S, logger });
    const publishConnection = await connection('publish');
    closers.push(() => publishConnection.close());
    const consumeConnection = await connection('consume');
    closers.push(() => consumeConnection.close());

    await declareTopology(publishConnection.model, topology);

    const publisher: Publisher = createPublisher({
      connection: publishConnection,
      exchange: topology.exchange,
      confirmTimeoutMs: service.PUBLISH_CONFIRM_TIMEOUT_MS,
      logger,
    });
    closers.push(() => publisher.close());
    await publisher.ready();

    let relayed = 0;
    let failure: Error | undefined;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const options = (prefetch: number): ActorRuntimeOptions => ({
      prefetch,
      batchSize: service.ACTOR_BATCH_SIZE,
      concurrentBatches: service.ACTOR_CONCURRENT_BATCHES,
      maxAttempts: service.MAX_ATTEMPTS,
      maxMessageBytes: service.MESSAGE_MAX_BYTES,
    });
    const hooks = {
      onSettled(actor: string, outcome: string) {
        if (outcome !== 'done') {
          failure ??= new Error(`The ${actor} relay actor ${outcome} a message; the relay should never fail`);
          finished();
        } else if (actor === 'relay-2' && ++relayed === count) finished();
      },
    };
    const deps = { connection: consumeConnection, publisher, topology, logger, hooks };

    const actors: RunningActor[] = [
      startActor(
        { ...deps, options: options(service.BUSINESS_PREFETCH) },
        defineActor({
          name: 'relay-1',
          queues: hop1,
          versions: [1],
          schema: RelayMessageSchema,
          orderIdOf: () => undefined,
          handleBatch: async (messages) =>
            messages.map((m) => ({ ok: true, emit: [{ routingKey: hop2.work, body: m.body, messageId: m.messageId, type: m.body.type }] })),
        }),
      ),
      startActor(
        { ...deps, options: options(service.NOTIFICATION_PREFETCH) },
        defineActor({
          name: 'relay-2',
          queues: hop2,
          versions: [1],
          schema: RelayMessageSchema,
          orderIdOf: () => undefined,
          handleBatch: async (messages) => messages.map(() => ({ ok: true })),
        }),
      ),
    ];
    closers.push(() => Promise.all(actors.map((a) => a.stop(2_000))));
    await waitUntil('the relay actors to consume', () => actors.every((a) => a.isConsuming()));

    const sourceConn = await connectRaw(config, 'bench-runtime-source');
    closers.push(() => sourceConn.close());
    const source = await sourceConn.createConfirmChannel();

    const cpu = startCpuMeter(sharedServiceTargets());
    const started = process.hrtime.bigint();
    await untilDoneOrStalled(
      Promise.all([
        publishConfirmed({ channel: source, exchange: topology.exchange, routingKey: hop1.work, runId: names.id, count, window: config.BENCH_PUBLISH_WINDOW }),
        done,
      ]).then(() => undefined),
      { progress: () => relayed, stallMs: config.BENCH_STALL_TIMEOUT_MS, what: 'the runtime relay' },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuReport = cpu.stop();
    if (failure) throw failure;
    result = { messages: count, seconds, perSecond: count / seconds, cpu: cpuReport };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    cleanupProblems = await removeBenchResources(names, config);
  }
  return { ...result, cleanupProblems };
}
