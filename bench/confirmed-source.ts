// The load of the relay scenarios: N persistent messages published with publisher confirms, keeping
// a window of unconfirmed messages in flight, as a fast producer (or intake under load) would.
import type { ConfirmChannel } from 'amqplib';
import { benchMessageBody } from './bench-orders.js';

export type SourceOptions = {
  channel: ConfirmChannel;
  exchange: string;
  routingKey: string;
  runId: string;
  count: number;
  /** Unconfirmed messages allowed in flight; publishing resumes when half of them are confirmed. */
  window: number;
};

/** Resolves when every message is confirmed; rejects on the first nack. */
export function publishConfirmed(options: SourceOptions): Promise<void> {
  const { channel, exchange, routingKey, runId, count, window } = options;
  let sent = 0;
  let confirmed = 0;
  let waitingForDrain = false;
  return new Promise<void>((resolve, reject) => {
    const onConfirm = (err: unknown) => {
      if (err) {
        reject(new Error('RabbitMQ nacked a relay message', { cause: err }));
        return;
      }
      confirmed++;
      if (confirmed === count) resolve();
      else if (!waitingForDrain && sent - confirmed <= window / 2) pump();
    };
    const pump = () => {
      while (sent < count && sent - confirmed < window) {
        const seq = sent++;
        const ok = channel.publish(
          exchange,
          routingKey,
          benchMessageBody(runId, seq),
          { persistent: true, mandatory: true, contentType: 'application/json', messageId: `${runId}-${seq}`, timestamp: Date.now() },
          onConfirm,
        );
        if (!ok) {
          // The socket buffer is full: stop until it drains instead of queueing in memory.
          waitingForDrain = true;
          channel.once('drain', () => {
            waitingForDrain = false;
            pump();
          });
          return;
        }
      }
    };
    pump();
  });
}
