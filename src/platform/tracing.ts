// W3C trace context for messages: a trace id follows an order from intake through every actor and
// retry. A malformed traceparent is never an error; it just starts a new trace.
import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export type TraceContext = { traceId: string; spanId: string; traceparent: string };

function make(traceId: string): TraceContext {
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** A new span in the trace of `incoming` (a traceparent header), or a new trace if it is missing or malformed. */
export function continueTrace(incoming: unknown): TraceContext {
  return make(traceIdOf(incoming) ?? randomBytes(16).toString('hex'));
}

/** The trace id a traceparent header names, or undefined when it is missing or malformed. */
export function traceIdOf(traceparent: unknown): string | undefined {
  const traceId = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
  return traceId && !/^0+$/.test(traceId) ? traceId : undefined;
}
