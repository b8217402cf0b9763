// The HTTP load of scenarios 2 and 4: autocannon posts orders to intake, every body a new order,
// and remembers when each one was accepted, to measure its way to the buyer afterwards.
import autocannon from 'autocannon';
import { benchOrder } from './bench-orders.js';

export type LoadResult = {
  /** Wall-clock time (epoch ms) just before the first request. */
  startedAt: number;
  seconds: number;
  /** From the first request to the last 202 (autocannon's duration also counts its own teardown). */
  secondsToLastAccepted: number;
  requests: number;
  requestsPerSecond: number;
  /** Responses per status code, e.g. {"202": 49990, "503": 10}. */
  statuses: Record<string, number>;
  non2xx: number;
  /** Requests that got no answer at all (connection errors, including timeouts). */
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Order id → epoch ms at which intake answered 202. */
  accepted: Map<string, number>;
};

export async function sendOrders(options: { url: string; runId: string; count: number; connections: number }): Promise<LoadResult> {
  const { url, runId, count } = options;
  const connections = Math.min(options.connections, count);
  let next = 0;
  const accepted = new Map<string, number>();
  const startedAt = Date.now();
  const result = await autocannon({
    url,
    connections,
    amount: count,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/orders',
        setupRequest: (request) => ({ ...request, body: JSON.stringify(benchOrder(runId, next++)) }),
        onResponse: (status, body) => {
          if (status !== 202) return;
          const { orderId } = JSON.parse(body) as { orderId: string };
          accepted.set(orderId, Date.now());
        },
      },
    ],
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  let lastAcceptedAt = startedAt;
  for (const at of accepted.values()) lastAcceptedAt = Math.max(lastAcceptedAt, at);
  return {
    startedAt,
    seconds: result.duration,
    secondsToLastAccepted: (lastAcceptedAt - startedAt) / 1000,
    requests: answered,
    requestsPerSecond: answered / result.duration,
    statuses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    accepted,
  };
}
