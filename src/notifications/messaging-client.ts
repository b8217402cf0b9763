// The third-party messaging API, over a keep-alive undici pool with explicit timeouts (undici's
// defaults wait 300 s). Its answers are classified once, here: 429/5xx/timeouts retry, other 4xx do not.
import { setMaxListeners } from 'node:events';
import { Pool, errors as undiciErrors } from 'undici';
import { PermanentError, RetryableError } from '../platform/errors.js';

export type SendRequest = { to: string; template: string; params: Record<string, string | number> };

export type MessagingClient = ReturnType<typeof createMessagingClient>;

/**
 * Only the provider's error code travels on, never its free text: providers echo the recipient's
 * number there, and error messages end up in logs, dead letters and order journals.
 */
function providerErrorCode(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; code?: unknown };
    const code = typeof body.error === 'string' ? body.error : typeof body.code === 'string' ? body.code : undefined;
    return code && /^[\w.-]{1,64}$/.test(code) ? `error ${code}` : 'no error code';
  } catch {
    return 'no error code';
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** What a provider's message id may hold to be stored: printable text, no control characters. */
const PROVIDER_ID = /^[^\p{Cc}\p{Cs}]{1,200}$/u;

/** Long by design: one client whose send, error classification and close share the connection pool. */
export function createMessagingClient(options: { baseUrl: string; timeoutMs: number; connections: number }) {
  const url = new URL(options.baseUrl);
  const basePath = url.pathname.replace(/\/$/, '');
  const pool = new Pool(url.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  });

  /**
   * Sends one message; resolves with the provider's message id. `deadline` bounds the whole call
   * (see below); callers sending many at once share one (a timer per message costs CPU).
   */
  async function send(request: SendRequest, idempotencyKey: string, deadline: AbortSignal = callDeadline()): Promise<{ id: string }> {
    let res;
    try {
      res = await pool.request({
        method: 'POST',
        path: `${basePath}/messages`,
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(request),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: deadline,
      });
    } catch (err) {
      const timedOut =
        err instanceof undiciErrors.HeadersTimeoutError ||
        err instanceof undiciErrors.ConnectTimeoutError ||
        (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'));
      throw new RetryableError(
        timedOut ? 'provider_timeout' : 'provider_unreachable',
        timedOut ? `Messaging API did not answer within ${options.timeoutMs} ms` : `Messaging API unreachable: ${(err as Error).message}`,
        { cause: err },
      );
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new RetryableError('provider_timeout', 'Messaging API response body did not arrive in time', { cause: err });
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (typeof id !== 'string') throw new RetryableError('provider_bad_response', `Messaging API answered ${status} without an id`);
      // The id is stored with the delivery; one that PostgreSQL cannot store (a NUL, say) must fail
      // this message alone, not the batch of deliveries written with it.
      if (!PROVIDER_ID.test(id)) {
        throw new PermanentError(
          'provider_bad_id',
          `Messaging API accepted the message (${status}) but its id is not 1–200 printable characters, so the delivery cannot be recorded. Check the provider; a replay sends under the same idempotency key, which the provider dedupes.`,
        );
      }
      return { id };
    }
    const detail = providerErrorCode(text);
    if (status === 429) {
      const hint = retryAfterMs(res.headers['retry-after']);
      throw new RetryableError('provider_throttled', `Messaging API throttled us (429): ${detail}`, hint === undefined ? {} : { retryAfterMs: hint });
    }
    if (status >= 500 || status === 408) throw new RetryableError('provider_unavailable', `Messaging API failed (${status}): ${detail}`);
    throw new PermanentError('provider_rejected', `Messaging API rejected the message (${status}): ${detail}`);
  }

  // bodyTimeout is idle time between chunks: a provider trickling its answer would hold the
  // whole batch. This bounds a call (or calls started together) as a whole.
  function callDeadline(): AbortSignal {
    const signal = AbortSignal.timeout(options.timeoutMs * 2);
    // Each call of a batch listens on it; past ten Node warns of a leak that is none.
    setMaxListeners(0, signal);
    return signal;
  }

  return { send, callDeadline, close: () => pool.close() };
}
