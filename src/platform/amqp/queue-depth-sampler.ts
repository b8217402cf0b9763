// Samples queue depths once a second on its own channel, so intake can refuse work when the
// business queue is already deep, and /metrics can show depths, without a broker call per request.
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
  const depths = new Map<string, number>();
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
        depths.set(queue, messageCount);
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
    depth: (queue: string): number | undefined => depths.get(queue),
    start(): void {
      deps.connection.onConnect(() => void sample());
      timer = setInterval(() => void sample(), deps.intervalMs ?? 1_000);
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
