// W3C trace context for messages: a trace id follows an order from intake through every actor and
// retry. A malformed traceparent is never an error; it just starts a new trace.
import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export type TraceContext = { traceId: string; spanId: string; traceparent: string };

// Ids are drawn from a pool refilled 4 KiB at a time: one randomBytes call per message cost about
// 5% of an actor's CPU in the benchmark's profile.
const pool = Buffer.alloc(4096);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

function make(traceId: string): TraceContext {
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** A new span in a trace known by its id (one stored with a record), or in a new trace without one. */
export function spanIn(traceId: string | null | undefined): TraceContext {
  return make(traceId && /^[0-9a-f]{32}$/.test(traceId) && !/^0+$/.test(traceId) ? traceId : randomHex(16));
}

/** A new span in the trace of `incoming` (a traceparent header), or a new trace if it is missing or malformed. */
export function continueTrace(incoming: unknown): TraceContext {
  return make(traceIdOf(incoming) ?? randomHex(16));
}

/** The trace id a traceparent header names, or undefined when it is missing or malformed. */
export function traceIdOf(traceparent: unknown): string | undefined {
  const traceId = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}
