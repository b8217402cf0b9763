// Prometheus metrics for every role, on one registry per process (no module-level singleton, so
// tests can run several services in one process). Components get the instruments they update.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActorHooks } from './amqp/actor.js';

export type Metrics = ReturnType<typeof createMetrics>;

/** Long by design: the list of every metric the service exports, declared in one place. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Values read when Prometheus scrapes, instead of set on every message; the composition root
  // points them at their components.
  const sources = {
    publishesInFlight: (): number => 0,
    brokerNodes: (): Array<{ connection: string; node: string | null }> => [],
    switchesStale: (): boolean => false,
  };
  return {
    registry,
    sources,
    intakeRequests: new Counter({
      name: 'order_actors_intake_requests_total',
      help: 'POST requests by route and outcome (HTTP status, or refused_<reason> for admission control)',
      labelNames: ['route', 'outcome'] as const,
      registers,
    }),
    publishConfirmSeconds: new Histogram({
      name: 'order_actors_publish_confirm_seconds',
      help: 'Time from publish to broker confirm',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    publishesInFlight: new Gauge({
      name: 'order_actors_publishes_in_flight',
      help: 'Publishes awaiting a confirm',
      registers,
      collect() {
        this.set(sources.publishesInFlight());
      },
    }),
    actorMessages: new Counter({
      name: 'order_actors_actor_messages_total',
      help: 'Messages settled per actor: done, retried or dead-lettered',
      labelNames: ['actor', 'result'] as const,
      registers,
    }),
    actorBatchSeconds: new Histogram({
      name: 'order_actors_actor_batch_seconds',
      help: 'Handler duration per batch of messages',
      labelNames: ['actor'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    actorMessageSeconds: new Histogram({
      name: 'order_actors_actor_message_seconds',
      help: 'Time from delivery to settlement (ack after commit and confirms) per message',
      labelNames: ['actor'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({ name: 'order_actors_queue_depth', help: 'Messages ready in a queue, as last sampled', labelNames: ['queue'] as const, registers }),
    brokerNode: new Gauge({
      name: 'order_actors_broker_connection_node',
      help: 'The RabbitMQ node (host:port) each AMQP connection of this process uses: 1 while connected to it',
      labelNames: ['connection', 'node'] as const,
      registers,
      collect() {
        this.reset();
        for (const { connection, node } of sources.brokerNodes()) this.set({ connection, node: node ?? 'none' }, node === null ? 0 : 1);
      },
    }),
    brokerBlocked: new Gauge({ name: 'order_actors_broker_blocked', help: '1 while RabbitMQ blocks the publishing connection (resource alarm)', registers }),
    switchValue: new Gauge({
      name: 'order_actors_switch_value',
      help: 'Current switch values (percent, or 1/0 for on/off)',
      labelNames: ['name'] as const,
      registers,
    }),
    switchPathOutcomes: new Counter({
      name: 'order_actors_switch_path_outcomes_total',
      help: "Messages that took a switch's new or old path, by whether their work succeeded (what a rollback guard judges)",
      labelNames: ['name', 'path', 'outcome'] as const,
      registers,
    }),
    switchInvalid: new Counter({
      name: 'order_actors_switch_invalid_total',
      help: 'Switch values ignored because they were invalid',
      labelNames: ['name'] as const,
      registers,
    }),
    // Read at each scrape: staleness changes with time (no answer for a while), not with an event.
    switchStale: new Gauge({
      name: 'order_actors_switch_stale',
      help: '1 while switches are served from the last known values (ZooKeeper unreachable)',
      registers,
      collect() {
        this.set(sources.switchesStale() ? 1 : 0);
      },
    }),
    deadLetterRuns: new Counter({
      name: 'order_actors_dead_letter_runs_total',
      help: 'Failure batch job runs by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    deadLettersStored: new Counter({
      name: 'order_actors_dead_letters_stored_total',
      help: 'Dead letters moved into PostgreSQL',
      labelNames: ['actor', 'error_code'] as const,
      registers,
    }),
  };
}

/**
 * The actor runtime's hooks, feeding the actor metrics. Label children are looked up once per
 * actor and result, not hashed again for every message.
 */
export function actorMetricHooks(metrics: Pick<Metrics, 'actorMessages' | 'actorMessageSeconds' | 'actorBatchSeconds'>): Required<ActorHooks> {
  const memo = <T>(make: (key: string) => T) => {
    const cache = new Map<string, T>();
    return (key: string): T => {
      let value = cache.get(key);
      if (value === undefined) cache.set(key, (value = make(key)));
      return value;
    };
  };
  const settled = memo((key) => {
    const [actor = '', result = ''] = key.split('\0');
    return { count: metrics.actorMessages.labels({ actor, result }), seconds: metrics.actorMessageSeconds.labels({ actor }) };
  });
  const batches = memo((actor) => metrics.actorBatchSeconds.labels({ actor }));
  return {
    onSettled(actor, result, receivedAt) {
      const m = settled(`${actor}\0${result}`);
      m.count.inc();
      m.seconds.observe((Date.now() - receivedAt) / 1000);
    },
    onBatch(actor, _size, seconds) {
      batches(actor).observe(seconds);
    },
  };
}
