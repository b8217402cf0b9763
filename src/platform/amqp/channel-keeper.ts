// Keeps one channel open on a recovering connection: opens it on every (re)connect, and when the
// broker closes it while the connection lives (a channel error, a queue deleted under a consumer,
// a publisher channel retired after nacks), or opening fails, opens a new one on the same
// connection shortly after. After a lost connection the connection's own reconnect brings it back.
// The publisher and the actor runtime each keep their channel through one of these; what they do
// with a fresh channel (listeners, prefetch, consumers) and on losing it is theirs.
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import type { AmqpConnection } from './connection.js';

export type ChannelKeeper<C extends Channel> = {
  /** The open channel, or null while (re)opening or after close. */
  current(): C | null;
  /** Stops keeping: closes the channel and opens no other. */
  close(): Promise<void>;
};

export function keepChannel<C extends Channel>(deps: {
  connection: Pick<AmqpConnection, 'onConnect' | 'current'>;
  /** Opens a channel of the kind wanted (plain or confirm). */
  create: (model: ChannelModel) => Promise<C>;
  /** Readies a fresh channel; it is current() already. Throwing closes it and tries again later. */
  onOpen: (ch: C) => Promise<void> | void;
  /** The current channel closed (it is no longer current()); a new one is on its way. */
  onLost?: (ch: C) => void;
  /** Also whether to try again: false (e.g. once its owner stopped) opens nothing. */
  wanted?: () => boolean;
  reopenDelayMs: number;
  /** Names the channel in log lines, e.g. "publisher" or "consumer". */
  what: string;
  logger: Logger;
}): ChannelKeeper<C> {
  let channel: C | null = null;
  let opening = false;
  let closed = false;
  const wanted = () => !closed && (deps.wanted?.() ?? true);

  async function open(model: ChannelModel): Promise<void> {
    const ch = await deps.create(model);
    ch.on('error', (err: Error) => deps.logger.warn({ err }, `${deps.what} channel error`));
    ch.on('close', () => {
      if (channel !== ch) return;
      channel = null;
      deps.onLost?.(ch);
      reopenSoon();
    });
    channel = ch;
    try {
      await deps.onOpen(ch);
    } catch (err) {
      if (channel === ch) channel = null;
      await ch.close().catch(() => undefined);
      throw err;
    }
  }

  function openOnce(model: ChannelModel): void {
    if (opening || channel || !wanted()) return;
    opening = true;
    open(model)
      .catch((err: unknown) => {
        deps.logger.error({ err }, `could not open the ${deps.what} channel; retrying`);
        reopenSoon();
      })
      .finally(() => (opening = false));
  }

  function reopenSoon(): void {
    setTimeout(() => {
      const model = deps.connection.current();
      if (model) openOnce(model);
    }, deps.reopenDelayMs).unref();
  }

  deps.connection.onConnect(openOnce);

  return {
    current: () => channel,
    async close(): Promise<void> {
      closed = true;
      const ch = channel;
      channel = null;
      if (ch) await ch.close().catch(() => undefined);
    },
  };
}
