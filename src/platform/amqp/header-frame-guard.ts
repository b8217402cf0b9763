// A message's headers are decoded by amqplib as its content-header frame arrives, before any of our
// code sees the message. Two kinds of headers hurt there, and anyone with publish rights on the
// vhost can send them:
// - nested thousands of levels deep, they overflow amqplib's recursive decoder; the RangeError is a
//   frame error, so amqplib closes the whole connection, and on reconnect the same message comes
//   back first and closes it again: every consumer on that connection stops;
// - very large (tens of KiB), they are copied into every retry and dead letter, held unacked while
//   a republish struggles, and stored again by the batch job.
// So each of our connections reads its frames through this guard. A content-header frame larger
// than the limit, or one amqplib cannot decode, is decoded without its headers table, and the
// message gets one header instead, `x-unreadable-headers`, saying why (`headers_too_large: …` or
// `unreadable_headers: …`); the message decoder dead-letters it with that code. Everything else is amqplib's own code path, unchanged.
//
// amqplib exposes no hook for this, so the guard replaces one connection's recvFrame (the same
// loop: parse a frame from the buffered bytes, read more if it is incomplete, decode it) using
// amqplib's own frame parser and decoder. If amqplib's insides change, it says so and stands aside.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../logger.js';
import { HEADERS } from './message-headers.js';

type Frame = { type: number; channel: number; size: number; payload: Buffer; rest: Buffer };
type FrameCodec = { parseFrame(bin: Buffer, max: number): Frame | false; decodeFrame(frame: Frame): unknown };
type ConnectionInsides = {
  rest?: Buffer;
  maxFrameSize?: number;
  stream?: Readable;
  recvSinceLastCheck?: boolean;
  recvFrame?: () => unknown;
  headerGuard?: true;
};

const FRAME_HEADER = 2;
// A content-header payload: class id (2), weight (2), body size (8), then the property flags (2)
// and the properties present, in flag order.
const FLAGS_OFFSET = 12;
const FLAG_CONTENT_TYPE = 0x8000;
const FLAG_CONTENT_ENCODING = 0x4000;
const FLAG_HEADERS = 0x2000;

function loadFrameCodec(): FrameCodec | undefined {
  try {
    const require = createRequire(import.meta.url);
    // Not in amqplib's exports map, so by its path next to the package's main file.
    const codec = require(join(dirname(require.resolve('amqplib')), 'lib', 'frame.js')) as Partial<FrameCodec>;
    return typeof codec.parseFrame === 'function' && typeof codec.decodeFrame === 'function' ? (codec as FrameCodec) : undefined;
  } catch {
    return undefined;
  }
}

const codec = loadFrameCodec();

/** The content-header payload with its headers table cut out (flag cleared), or undefined if it has none. */
export function withoutHeadersTable(payload: Buffer): Buffer | undefined {
  if (payload.length < FLAGS_OFFSET + 2) return undefined;
  const flags = payload.readUInt16BE(FLAGS_OFFSET);
  if (!(flags & FLAG_HEADERS)) return undefined;
  let offset = FLAGS_OFFSET + 2;
  if (flags & FLAG_CONTENT_TYPE) offset += 1 + payload.readUInt8(offset);
  if (flags & FLAG_CONTENT_ENCODING) offset += 1 + payload.readUInt8(offset);
  const tableEnd = offset + 4 + payload.readUInt32BE(offset);
  if (tableEnd > payload.length) return undefined;
  const newFlags = Buffer.alloc(2);
  newFlags.writeUInt16BE(flags & ~FLAG_HEADERS);
  return Buffer.concat([payload.subarray(0, FLAGS_OFFSET), newFlags, payload.subarray(FLAGS_OFFSET + 2, offset), payload.subarray(tableEnd)]);
}

/** Decodes a frame; a content header too large or too deep for amqplib is decoded without its headers. */
export function decodeGuarded(frameCodec: FrameCodec, frame: Frame, maxHeaderBytes: number): unknown {
  if (frame.type !== FRAME_HEADER) return frameCodec.decodeFrame(frame);
  let why: string;
  if (frame.payload.length > maxHeaderBytes) {
    why = `headers_too_large: the message's properties and headers are ${frame.payload.length} bytes, over the ${maxHeaderBytes}-byte limit (MESSAGE_MAX_HEADER_BYTES)`;
  } else {
    try {
      return frameCodec.decodeFrame(frame);
    } catch (err) {
      why = `unreadable_headers: its headers could not be decoded (${err instanceof Error ? err.message : String(err)}); they are probably nested too deeply`;
    }
  }
  const stripped = withoutHeadersTable(frame.payload);
  if (stripped === undefined) return frameCodec.decodeFrame(frame);
  const decoded = frameCodec.decodeFrame({ ...frame, payload: stripped, size: stripped.length }) as { fields: { headers?: Record<string, unknown> } };
  decoded.fields.headers = { [HEADERS.unreadableHeaders]: why };
  return decoded;
}

/**
 * Makes one connection read its frames through the guard; leaves it as it is (and says so) if
 * amqplib's insides are not what the guard was written against.
 */
export function guardHeaderFrames(model: ChannelModel, options: { maxHeaderBytes: number }, logger: Logger): boolean {
  const connection = (model as unknown as { connection?: ConnectionInsides }).connection;
  if (
    !codec ||
    !connection ||
    typeof connection.recvFrame !== 'function' ||
    !Buffer.isBuffer(connection.rest) ||
    typeof connection.maxFrameSize !== 'number' ||
    !connection.stream
  ) {
    logger.warn('amqplib internals changed: message headers are not bounded, and deeply nested ones can close the connection');
    return false;
  }
  if (connection.headerGuard) return true;
  connection.headerGuard = true;
  const frameCodec = codec;
  // amqplib's own loop, with the decode step guarded.
  connection.recvFrame = function recvFrameGuarded(this: Required<ConnectionInsides>): unknown {
    for (;;) {
      const frame = frameCodec.parseFrame(this.rest, this.maxFrameSize);
      if (frame) {
        this.rest = frame.rest;
        return decodeGuarded(frameCodec, frame, options.maxHeaderBytes);
      }
      const incoming = this.stream.read() as Buffer | null;
      if (incoming === null) return false;
      this.recvSinceLastCheck = true;
      this.rest = Buffer.concat([this.rest, incoming]);
    }
  };
  return true;
}
