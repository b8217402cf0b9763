// amqplib's multiplexer writes every frame (each publish, each ack) to the socket with its own
// write(): one syscall and one TCP packet per frame, which on a busy service was a fifth of the
// process's CPU (profiled: `writeBuffer` under amqplib's mux) and as many packets for RabbitMQ to
// read. Corking the socket while the multiplexer drains its channels turns each pass into a
// single writev. Nothing waits longer: the pass already runs once per event-loop turn, and the
// socket is uncorked before it returns.
import type { Writable } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';

type Muxer = { _readIncoming?: () => void; out?: Writable; coalescing?: true };

/** Makes one connection write its frames in batches; leaves it as it is if amqplib's insides changed. */
export function coalesceFrameWrites(model: ChannelModel, logger: Logger): void {
  const muxer = (model as unknown as { connection?: { muxer?: Muxer } }).connection?.muxer;
  const out = muxer?.out;
  const drainChannels = muxer?._readIncoming;
  if (!muxer || !out || typeof out.cork !== 'function' || typeof drainChannels !== 'function') {
    logger.warn('amqplib internals changed: frames are written one by one (slower, still correct)');
    return;
  }
  if (muxer.coalescing) return;
  muxer.coalescing = true;
  muxer._readIncoming = function readIncomingCorked(this: Muxer) {
    out.cork();
    try {
      drainChannels.call(this);
    } finally {
      out.uncork();
    }
  };
}
