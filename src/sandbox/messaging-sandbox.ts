// A stand-in for the third-party messaging API that follows its contract: POST /messages with an
// Idempotency-Key answers {"id"} once per key, however often it is called. It lists what it received
// (GET /messages) and can be told to fail, throttle, hang or slow down (POST /control), so the
// service can be run and tested without the real provider.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';

export const SandboxModeSchema = z.strictObject({
  /** ok: 200; fail: 500; throttle: 429 with Retry-After; reject: 400; hang: never answer; slow: answer after delayMs. */
  mode: z.enum(['ok', 'fail', 'throttle', 'reject', 'hang', 'slow']),
  /** How many requests get this mode before the sandbox goes back to ok; omitted = until changed. */
  count: z.number().int().min(1).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  retryAfterS: z.number().int().min(0).optional(),
});
export type SandboxMode = z.infer<typeof SandboxModeSchema>;

const SendSchema = z.strictObject({
  to: z.string().min(1),
  template: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
});

export type SandboxMessage = {
  id: string;
  idempotencyKey: string;
  to: string;
  template: string;
  params: Record<string, unknown>;
  receivedAt: string;
  /** Requests seen with this key, including the failed and repeated ones. */
  requests: number;
};

export type MessagingSandbox = {
  /** What it received and how it answers, for tests in the same process. */
  sandbox: ReturnType<typeof createState>;
  server: Server;
  listen(options: { host: string; port: number }): Promise<void>;
  /** Stops listening and cuts every connection, hanging requests included. */
  close(): Promise<void>;
};

const BODY_LIMIT_BYTES = 64 * 1024;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

// Plain node:http rather than fastify: the sandbox stands in for a provider that runs elsewhere,
// and on the benchmark's two cores every microsecond it spends is taken from the pipeline
// (fastify's routing and hooks were about a third of its CPU per request).
export function buildMessagingSandbox(): MessagingSandbox {
  const state = createState();

  function handleSend(key: string | string[] | undefined, body: unknown): Answer | Promise<Answer> | null {
    if (typeof key !== 'string' || key.length === 0) {
      return { status: 400, body: { error: 'missing_idempotency_key', message: 'Send an Idempotency-Key header' } };
    }
    state.requests++;
    state.attemptsByKey.set(key, (state.attemptsByKey.get(key) ?? 0) + 1);
    const mode = state.takeMode();
    if (mode.mode === 'hang') return null;
    if (mode.mode === 'slow') return new Promise((r) => setTimeout(() => r(accept(key, body)), mode.delayMs ?? 1_000));
    if (mode.mode === 'fail') return { status: 500, body: { error: 'internal', message: 'sandbox told to fail' } };
    if (mode.mode === 'throttle') return { status: 429, body: { error: 'throttled' }, headers: { 'retry-after': String(mode.retryAfterS ?? 1) } };
    if (mode.mode === 'reject') return { status: 400, body: { error: 'rejected', message: 'sandbox told to reject' } };
    return accept(key, body);
  }

  function accept(key: string, body: unknown): Answer {
    const parsed = SendSchema.safeParse(body);
    if (!parsed.success) return { status: 400, body: { error: 'invalid_request', issues: parsed.error.issues } };
    const existing = state.messages.get(key);
    if (existing) {
      existing.requests = state.attemptsByKey.get(key) ?? existing.requests;
      return { status: 200, body: { id: existing.id } };
    }
    const message: SandboxMessage = {
      id: randomUUID(),
      idempotencyKey: key,
      ...parsed.data,
      receivedAt: new Date().toISOString(),
      requests: state.attemptsByKey.get(key) ?? 1,
    };
    state.messages.set(key, message);
    return { status: 200, body: { id: message.id } };
  }

  function route(req: IncomingMessage, body: unknown): Answer | Promise<Answer> | null {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/messages' && req.method === 'POST') return handleSend(req.headers['idempotency-key'], body);
    if (path === '/messages' && (req.method === 'GET' || req.method === 'HEAD')) return { status: 200, body: { messages: [...state.messages.values()], requests: state.requests } };
    if (path === '/messages' && req.method === 'DELETE') {
      state.reset();
      return { status: 200, body: { ok: true } };
    }
    if (path === '/control' && req.method === 'POST') {
      const parsed = SandboxModeSchema.safeParse(body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid_mode', issues: parsed.error.issues } };
      state.setMode(parsed.data);
      return { status: 200, body: { ok: true } };
    }
    return { status: 404, body: { error: 'not_found', message: `No route ${req.method ?? ''} ${path}` } };
  }

  function send(res: ServerResponse, answer: Answer): void {
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...answer.headers });
    res.end(text);
  }

  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT_BYTES) return send(res, { status: 413, body: { error: 'too_large', message: `Bodies are limited to ${BODY_LIMIT_BYTES} bytes` } });
      let body: unknown;
      if (req.method === 'POST') {
        // Like a real JSON API: the content type is checked and an empty body refused before the
        // request counts, so a client that forgets either is caught here.
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
          return send(res, { status: 415, body: { error: 'unsupported_media_type', message: 'Send Content-Type: application/json' } });
        }
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(res, { status: 400, body: { error: 'invalid_json', message: 'The body is empty or not valid JSON' } });
        }
      }
      let answer: ReturnType<typeof route>;
      try {
        answer = route(req, body);
      } catch (err) {
        return send(res, { status: 500, body: { error: 'internal', message: err instanceof Error ? err.message : String(err) } });
      }
      if (answer === null) return; // told to hang: never answer
      if (answer instanceof Promise) void answer.then((a) => send(res, a));
      else send(res, answer);
    });
  });

  return {
    sandbox: state,
    server,
    listen: ({ host, port }) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function createState() {
  let mode: SandboxMode = { mode: 'ok' };
  let remaining = Infinity;
  const state = {
    messages: new Map<string, SandboxMessage>(),
    attemptsByKey: new Map<string, number>(),
    requests: 0,
    setMode(next: SandboxMode) {
      mode = next;
      remaining = next.count ?? Infinity;
    },
    takeMode(): SandboxMode {
      if (mode.mode === 'ok') return mode;
      const current = mode;
      if (--remaining <= 0) state.setMode({ mode: 'ok' });
      return current;
    },
    reset() {
      state.messages.clear();
      state.attemptsByKey.clear();
      state.requests = 0;
      state.setMode({ mode: 'ok' });
    },
  };
  return state;
}
