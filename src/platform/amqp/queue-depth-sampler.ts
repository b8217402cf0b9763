// Samples queue depths once a second on its own channel, so intake can refuse work when the
// business queue is already deep, and /metrics can show depths, without a broker call per request.
// A depth not sampled for three intervals is reported as unknown, not as its last value: a sampler
// cut off from the broker must not keep intake refusing orders, or a delay's fan-out slowed, on a
// depth that has long since drained.
import type { Channel } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AmqpConnection } from './connection.js';

export type QueueDepthSampler = ReturnType<typeof createQueueDepthSampler>;

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
  const depths = new Map<string, { count: number; at: number }>();
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
        const { messageCount } = await channel.checkQueue(queue);
        depths.set(queue, { count: messageCount, at: performance.now() });
        deps.metrics?.queueDepth.set({ queue }, messageCount);
      }
    } catch (err) {
      // A missing queue closes the channel; the topology is re-declared on reconnect.
      deps.logger.debug({ err }, 'could not sample queue depths');
    } finally {
      sampling = false;
    }
  }

  return {
    /** Messages ready in `queue`, or undefined when it has not been sampled in the last three intervals. */
    depth(queue: string): number | undefined {
      const sampled = depths.get(queue);
      return sampled && performance.now() - sampled.at <= staleAfterMs ? sampled.count : undefined;
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
