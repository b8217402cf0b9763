// Samples queue depths on its own channel, so intake can refuse work when the business queue is
// already deep, /metrics can show depths, and the console how fast each queue fills or drains,
// without a broker call per request. A depth not sampled for three intervals is reported as unknown,
// not as its last value: a sampler cut off from the broker must not keep intake refusing orders, or
// a delay's fan-out slowed, on a depth that has long since drained.
import type { Channel } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AmqpConnection } from './connection.js';

/** Samples kept per queue: the change per second is read over the last ten intervals. */
const KEPT_SAMPLES = 11;

export type QueueSample = {
  queue: string;
  /** Messages ready for a consumer (a passive declare does not count those delivered and not yet acknowledged). */
  messages: number;
  consumers: number;
  /**
   * Net change of `messages` per second over the last `changeOverMs` (positive: filling, negative:
   * draining); undefined until there are two samples. Only the net is known: arrivals and
   * deliveries that cancel out do not show.
   */
  changePerSecond: number | undefined;
  changeOverMs: number | undefined;
  sampledAt: Date;
};

export type QueueDepthSampler = ReturnType<typeof createQueueDepthSampler>;

/** Long by design: one sampling channel's life (open, sample, recover, close) and what it read share its state. */
export function createQueueDepthSampler(deps: {
  connection: AmqpConnection;
  queues: readonly string[];
  intervalMs?: number;
  logger: Logger;
  metrics?: Pick<Metrics, 'queueDepth'>;
}) {
  const intervalMs = deps.intervalMs ?? 1_000;
  const staleAfterMs = 3 * intervalMs;
  // Monotonic sampling times: a wall-clock step must not make every depth stale, or fresh again.
  const samples = new Map<string, Array<{ count: number; consumers: number; at: number }>>();
  let channel: Channel | null = null;
  let timer: NodeJS.Timeout | undefined;
  let sampling = false;

  async function sample(): Promise<void> {
    if (sampling || !deps.connection.isConnected()) return;
    sampling = true;
    try {
      if (!channel) {
        const ch = await deps.connection.model.createChannel();
        ch.on('error', () => undefined);
        ch.on('close', () => {
          if (channel === ch) channel = null;
        });
        channel = ch;
      }
      for (const queue of deps.queues) {
        const { messageCount, consumerCount } = await channel.checkQueue(queue);
        const kept = samples.get(queue) ?? [];
        kept.push({ count: messageCount, consumers: consumerCount, at: performance.now() });
        if (kept.length > KEPT_SAMPLES) kept.shift();
        samples.set(queue, kept);
        deps.metrics?.queueDepth.set({ queue }, messageCount);
      }
    } catch (err) {
      // A missing queue closes the channel; the topology is re-declared on reconnect.
      deps.logger.debug({ err }, 'could not sample queue depths');
    } finally {
      sampling = false;
    }
  }

  /** The samples of `queue`, oldest first, or undefined when the newest is older than three intervals. */
  function fresh(queue: string) {
    const kept = samples.get(queue);
    const last = kept?.[kept.length - 1];
    return kept && last && performance.now() - last.at <= staleAfterMs ? { kept, last } : undefined;
  }

  return {
    /** Messages ready in `queue`, or undefined when it has not been sampled in the last three intervals. */
    depth(queue: string): number | undefined {
      return fresh(queue)?.last.count;
    },
    /** The last sample of `queue` with its change per second; undefined when not sampled in the last three intervals. */
    sample(queue: string): QueueSample | undefined {
      const found = fresh(queue);
      if (!found) return undefined;
      const { kept, last } = found;
      const first = kept[0]!;
      const overMs = last.at - first.at;
      return {
        queue,
        messages: last.count,
        consumers: last.consumers,
        changePerSecond: overMs > 0 ? ((last.count - first.count) * 1_000) / overMs : undefined,
        changeOverMs: overMs > 0 ? Math.round(overMs) : undefined,
        sampledAt: new Date(Date.now() - (performance.now() - last.at)),
      };
    },
    start(): void {
      deps.connection.onConnect(() => void sample());
      timer = setInterval(() => void sample(), intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      const ch = channel;
      channel = null;
      if (ch) await ch.close().catch(() => undefined);
    },
  };
}
