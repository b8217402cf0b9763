// The HTTP load of scenarios 2, 4 and 6, as the load generator's process runs it: autocannon posts
// bodies built before the clock starts, one new order each, and remembers when each one was
// accepted, to measure its way to the buyer afterwards.
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

/** A LoadResult as it crosses from the load generator's process: `accepted` as [orderId, epoch ms] pairs. */
export type LoadResultWire = Omit<LoadResult, 'accepted'> & { accepted: Array<[string, number]> };

/** Every body of a run, built before it starts, so that the run's CPU is the sending alone. */
export function orderBodies(runId: string, count: number): string[] {
  return Array.from({ length: count }, (_, seq) => JSON.stringify(benchOrder(runId, seq)));
}

/**
 * Sends the bodies to several intakes at once (scaled out as whole processes): each gets its share
 * of the connections and of the bodies. The latencies reported (p50, p99, max) are the larger of theirs.
 */
export async function fireOrdersAtAll(options: {
  urls: readonly string[];
  runId: string;
  bodies: readonly string[];
  connections: number;
}): Promise<LoadResultWire> {
  const { urls } = options;
  if (urls.length === 1) return fireOrders({ ...options, url: urls[0]! });
  const shares = urls.map((_, i) => options.bodies.filter((__, seq) => seq % urls.length === i));
  const results = await Promise.all(
    urls.map((url, i) => fireOrders({ url, runId: options.runId, bodies: shares[i]!, connections: Math.ceil(options.connections / urls.length) })),
  );
  const statuses: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const startedAt = Math.min(...results.map((r) => r.startedAt));
  const lastAcceptedAt = Math.max(...results.map((r) => r.startedAt + r.secondsToLastAccepted * 1000));
  return {
    startedAt,
    seconds,
    secondsToLastAccepted: (lastAcceptedAt - startedAt) / 1000,
    requests,
    requestsPerSecond: requests / seconds,
    statuses,
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    timeouts: results.reduce((sum, r) => sum + r.timeouts, 0),
    latencyMs: {
      p50: Math.max(...results.map((r) => r.latencyMs.p50)),
      p99: Math.max(...results.map((r) => r.latencyMs.p99)),
      max: Math.max(...results.map((r) => r.latencyMs.max)),
    },
    accepted: results.flatMap((r) => r.accepted),
  };
}

export async function fireOrders(options: { url: string; runId: string; bodies: readonly string[]; connections: number }): Promise<LoadResultWire> {
  const { url, runId, bodies } = options;
  const count = bodies.length;
  const connections = Math.min(options.connections, count);
  let next = 0;
  const accepted: Array<[string, number]> = [];
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
        // autocannon asks once per request it sends (`amount` in all); building a body here is only
        // a guard against a future version asking more often.
        setupRequest: (request) => {
          const seq = next++;
          return { ...request, body: bodies[seq] ?? JSON.stringify(benchOrder(runId, seq)) };
        },
        onResponse: (status, body) => {
          if (status !== 202) return;
          const { orderId } = JSON.parse(body) as { orderId: string };
          accepted.push([orderId, Date.now()]);
        },
      },
    ],
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
  let lastAcceptedAt = startedAt;
  for (const [, at] of accepted) lastAcceptedAt = Math.max(lastAcceptedAt, at);
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
