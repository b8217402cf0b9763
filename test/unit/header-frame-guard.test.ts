// The guard against headers amqplib cannot decode, on content-header frames built byte by byte as
// a broker sends them: pinned to amqplib's own frame decoder, so an amqplib upgrade that changes
// it fails here rather than in production.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeGuarded, withoutHeadersTable } from '../../src/platform/amqp/header-frame-guard.js';

const require = createRequire(import.meta.url);
const codec = require(join(dirname(require.resolve('amqplib')), 'lib', 'frame.js')) as Parameters<typeof decodeGuarded>[0];

const shortstr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** A field table { n: { n: … { leaf: 'x' } } } `depth` levels deep, written from the outside in. */
function deepTable(depth: number): Buffer {
  const leaf = Buffer.concat([shortstr('leaf'), Buffer.from('S'), u32(1), Buffer.from('x')]);
  const LEVEL = 7; // shortstr 'n' (2), type 'F' (1), table length (4)
  const table = Buffer.alloc(depth * LEVEL + leaf.length);
  for (let i = 0; i < depth; i++) {
    const at = i * LEVEL;
    table.write('\u0001nF', at, 'latin1');
    table.writeUInt32BE(table.length - at - LEVEL, at + 3);
  }
  leaf.copy(table, depth * LEVEL);
  return table;
}

/** A basic-class content header: content type, headers, message id. */
function headerFrame(table: Buffer) {
  const payload = Buffer.concat([
    Buffer.from([0, 60, 0, 0]),
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]),
    Buffer.from([0xa0, 0x80]),
    shortstr('application/json'),
    u32(table.length),
    table,
    shortstr('m-1'),
  ]);
  return { type: 2, channel: 1, size: payload.length, payload, rest: Buffer.alloc(0) };
}

type Decoded = { fields: { contentType?: string; messageId?: string; headers?: Record<string, unknown> } };

describe('the header-frame guard', () => {
  it('leaves a frame with ordinary headers to amqplib, decoded as usual', () => {
    const decoded = decodeGuarded(codec, headerFrame(deepTable(3)), 16_384) as Decoded;
    expect(decoded.fields).toMatchObject({ contentType: 'application/json', messageId: 'm-1', headers: { n: { n: { n: { leaf: 'x' } } } } });
  });

  it('drops headers larger than the limit and keeps the other properties', () => {
    const decoded = decodeGuarded(codec, headerFrame(deepTable(3000)), 16_384) as Decoded;
    expect(decoded.fields.contentType).toBe('application/json');
    expect(decoded.fields.messageId).toBe('m-1');
    expect(Object.keys(decoded.fields.headers!)).toEqual(['x-unreadable-headers']);
    expect(decoded.fields.headers!['x-unreadable-headers']).toMatch(/^headers_too_large: .*over the 16384-byte limit/);
  });

  it('drops headers amqplib cannot decode (nested too deep for its recursion), within any size limit', () => {
    const frame = headerFrame(deepTable(20_000));
    expect(() => codec.decodeFrame(frame)).toThrow(RangeError);
    const decoded = decodeGuarded(codec, frame, 10_000_000) as Decoded;
    expect(decoded.fields.messageId).toBe('m-1');
    expect(Object.keys(decoded.fields.headers!)).toEqual(['x-unreadable-headers']);
    expect(decoded.fields.headers!['x-unreadable-headers']).toMatch(/^unreadable_headers: .*Maximum call stack/);
  });

  it('cuts exactly the headers table out of a payload', () => {
    const frame = headerFrame(deepTable(1));
    const stripped = withoutHeadersTable(frame.payload)!;
    expect(stripped.readUInt16BE(12)).toBe(0x8080);
    expect(codec.decodeFrame({ ...frame, payload: stripped, size: stripped.length })).toMatchObject({
      fields: { contentType: 'application/json', messageId: 'm-1', headers: undefined },
    });
  });
});
