// A bounded stream of orders posted the way a careful shop would: at a steady pace, a few at a time,
// and on a timeout, a network error or a 503 the same order (same orderId, same body) is sent again
// until it is accepted or the client gives up. It records every answer, so a test knows exactly
// which orders got a 202 (promises to keep) and which were refused (must leave no trace).
import { makeOrder } from '../../support/orders.js';

export type Answer = {
  orderId: string;
  status: number | 'timeout' | 'error';
  retryAfter: string | null;
  /** The `error` code of the JSON body, or what went wrong on the client's side. */
  error?: string;
};

export type StreamOptions = {
  /** Where to post; read at each attempt so a restarted intake can move. */
  intakeUrl: string | (() => string);
  idPrefix: string;
  count: number;
  concurrency?: number;
  /** Orders started per second, across the workers. */
  ratePerSecond?: number;
  requestTimeoutMs?: number;
  /** How long a client keeps retrying one order; 0 sends each order once. */
  retryForMs?: number;
  /** The shop's API key, sent as a bearer token (needed when SELLER_AUTH is required). */
  apiKey?: string;
};

export type StreamResult = {
  accepted: string[];
  /** Orders whose every answer was a refusal or a failure: the client gave up on them. */
  refused: string[];
  answers: Answer[];
  /** Orders sent more than once before the answer that settled them. */
  retried: number;
};

export type OrderStream = ReturnType<typeof startOrderStream>;

/** The id of a stream's `i`th order: `<idPrefix>-0000`, `<idPrefix>-0001`, … */
export const orderIdOf = (idPrefix: string, i: number) => `${idPrefix}-${String(i).padStart(4, '0')}`;

export function startOrderStream(options: StreamOptions) {
  const concurrency = options.concurrency ?? 6;
  let intervalMs = 1000 / (options.ratePerSecond ?? 25);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const retryForMs = options.retryForMs ?? 60_000;
  const url = () => (typeof options.intakeUrl === 'string' ? options.intakeUrl : options.intakeUrl());

  const accepted: string[] = [];
  const refused: string[] = [];
  const answers: Answer[] = [];
  let retried = 0;
  let next = 0;
  let nextStartAt = Date.now();
  let stopped = false;

  async function post(orderId: string, body: string): Promise<Answer> {
    try {
      const res = await fetch(`${url()}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let error: string | undefined;
      try {
        error = (JSON.parse(text) as { error?: string }).error;
      } catch {
        error = undefined;
      }
      return { orderId, status: res.status, retryAfter: res.headers.get('retry-after'), ...(error === undefined ? {} : { error }) };
    } catch (err) {
      const e = err as Error;
      return {
        orderId,
        status: e.name === 'TimeoutError' ? 'timeout' : 'error',
        retryAfter: null,
        error: String((e.cause as Error | undefined)?.message ?? e.message),
      };
    }
  }

  async function submit(i: number): Promise<void> {
    const orderId = orderIdOf(options.idPrefix, i);
    // Every second order crosses the free-shipping line, so both pricing paths are exercised.
    const unitPrice = i % 2 === 0 ? 9_900 : 15_900;
    const body = JSON.stringify(makeOrder({ orderId, items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 2, unitPrice }] }));
    const firstAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      const answer = await post(orderId, body);
      answers.push(answer);
      if (answer.status === 202) {
        accepted.push(orderId);
        if (attempt > 1) retried++;
        return;
      }
      const retryable = answer.status === 503 || answer.status === 'timeout' || answer.status === 'error';
      // Stopping the stream starts no new orders; one already sent is seen through, as a shop would.
      if (!retryable || Date.now() - firstAt >= retryForMs) {
        refused.push(orderId);
        return;
      }
      const waitMs = answer.status === 503 ? Math.min(5, Number(answer.retryAfter) || 1) * 1000 : 500;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }

  async function worker(): Promise<void> {
    while (!stopped && next < options.count) {
      const i = next++;
      const wait = nextStartAt - Date.now();
      nextStartAt = Math.max(nextStartAt, Date.now()) + intervalMs;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await submit(i);
    }
  }

  const done: Promise<StreamResult> = Promise.all(Array.from({ length: concurrency }, worker)).then(() => ({
    accepted: [...accepted],
    refused: [...refused],
    answers: [...answers],
    retried,
  }));

  return {
    done,
    progress: () => ({ started: next, accepted: accepted.length, refused: refused.length, answers: answers.length }),
    acceptedSoFar: (): readonly string[] => accepted,
    /**
     * Resolves once `n` more orders than now were accepted: faults are injected, and the stream
     * stopped, at such points, so each fault lands in a running stream however slow the machine is.
     */
    async acceptedMore(n: number, timeoutMs = 90_000): Promise<void> {
      const target = accepted.length + n;
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < target) {
        if (accepted.length + refused.length >= options.count) throw new Error(`the stream ran out of orders before ${target} were accepted; raise its count`);
        if (Date.now() > deadline) throw new Error(`only ${accepted.length} of ${target} orders accepted after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /**
     * Runs `fault` (an outage and its repair) while orders keep coming at a trickle, so a restart
     * that is slow on a loaded machine cannot exhaust the stream; then the pace goes back up.
     */
    async slowedDuring<T>(fault: () => Promise<T>, ratePerSecond = 5): Promise<T> {
      const normal = intervalMs;
      intervalMs = 1000 / ratePerSecond;
      try {
        return await fault();
      } finally {
        intervalMs = normal;
        nextStartAt = Math.min(nextStartAt, Date.now() + intervalMs);
      }
    },
    /** Starts no new orders; those already sent are retried until they settle. */
    stop(): void {
      stopped = true;
    },
  };
}
