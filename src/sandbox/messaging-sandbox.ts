// A stand-in for the third-party messaging API that follows its contract: POST /messages with an
// Idempotency-Key answers {"id"} once per key, however often it is called. It lists what it received
// (GET /messages), counts it cheaply (GET /messages/count) and can be told to fail, throttle, hang or
// slow down (POST /control), so the service can be run and tested without the real provider.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';

export const SandboxModeSchema = z.strictObject({
  /**
   * ok: 200; fail: 500; throttle: 429 with Retry-After; reject: 400; hang: never answer; slow: answer
   * after delayMs; bad-id: 200 with an id holding a NUL (a broken provider), keeping nothing.
   */
  mode: z.enum(['ok', 'fail', 'throttle', 'reject', 'hang', 'slow', 'bad-id']),
  /** How many requests get this mode before the sandbox goes back to ok; omitted = until changed. */
  count: z.number().int().min(1).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  retryAfterS: z.number().int().min(0).optional(),
  /** Only requests for this template get the mode (a provider that refuses one template); others are answered ok. */
  template: z.string().min(1).max(100).optional(),
});
export type SandboxMode = z.infer<typeof SandboxModeSchema>;

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

/** GET /messages/count: messages kept (under `prefix`, when given) and POST /messages requests seen. */
export type SandboxCount = { messages: number; requests: number };

export type MessagingSandbox = {
  /** What it received and how it answers, for tests in the same process. */
  sandbox: ReturnType<typeof createState>;
  server: Server;
  listen(options: { host: string; port: number }): Promise<void>;
  /** Stops listening and cuts every connection, hanging requests included. */
  close(): Promise<void>;
};

const BODY_LIMIT_BYTES = 64 * 1024;
const JSON_TYPE = /^application\/json\b/i;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
type SendBody = { to: string; template: string; params: Record<string, unknown> };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The send contract checked by hand, not with zod: this runs once per message sent, and on the
 * benchmark's two cores the sandbox's CPU is taken from the pipeline it stands beside.
 */
function sendIssues(body: unknown): Array<{ path: string[]; message: string }> {
  if (!isPlainObject(body)) return [{ path: [], message: 'Expected a JSON object' }];
  const issues: Array<{ path: string[]; message: string }> = [];
  if (typeof body.to !== 'string' || body.to.length === 0) issues.push({ path: ['to'], message: 'Expected a non-empty string' });
  if (typeof body.template !== 'string' || body.template.length === 0) issues.push({ path: ['template'], message: 'Expected a non-empty string' });
  if (!isPlainObject(body.params)) issues.push({ path: ['params'], message: 'Expected an object' });
  for (const key in body) if (key !== 'to' && key !== 'template' && key !== 'params') issues.push({ path: [key], message: 'Unrecognized key' });
  return issues;
}

// Plain node:http rather than fastify: the sandbox stands in for a provider that runs elsewhere,
// and on the benchmark's two cores every microsecond it spends is taken from the pipeline
// (fastify's routing and hooks were about a third of its CPU per request).
/** Long by design: the whole stand-in for the messaging API, its modes and its routes, in one place a test can read. */
export function buildMessagingSandbox(): MessagingSandbox {
  const state = createState();

  function handleSend(key: string | string[] | undefined, body: unknown): Answer | Promise<Answer> | null {
    if (typeof key !== 'string' || key.length === 0) {
      return { status: 400, body: { error: 'missing_idempotency_key', message: 'Send an Idempotency-Key header' } };
    }
    const entry = state.seen(key);
    const mode = state.takeMode(isPlainObject(body) ? body.template : undefined);
    if (mode.mode === 'ok') return accept(key, entry, body);
    if (mode.mode === 'hang') return null;
    if (mode.mode === 'slow') return new Promise((r) => setTimeout(() => r(accept(key, entry, body)), mode.delayMs ?? 1_000));
    if (mode.mode === 'fail') return { status: 500, body: { error: 'internal', message: 'sandbox told to fail' } };
    if (mode.mode === 'bad-id') return { status: 200, body: { id: `sb\u0000${state.nextId()}` } };
    if (mode.mode === 'throttle') return { status: 429, body: { error: 'throttled' }, headers: { 'retry-after': String(mode.retryAfterS ?? 1) } };
    return { status: 400, body: { error: 'rejected', message: 'sandbox told to reject' } };
  }

  function accept(key: string, entry: KeyEntry, body: unknown): Answer {
    const issues = sendIssues(body);
    if (issues.length > 0) return { status: 400, body: { error: 'invalid_request', issues } };
    if (entry.message) return { status: 200, body: { id: entry.message.id } };
    const { to, template, params } = body as SendBody;
    entry.message = { id: state.nextId(), idempotencyKey: key, to, template, params, receivedAt: new Date().toISOString(), requests: entry.requests };
    state.kept(key);
    return { status: 200, body: { id: entry.message.id } };
  }

  function route(req: IncomingMessage, path: string, query: string, body: unknown): Answer | Promise<Answer> | null {
    if (path === '/messages' && req.method === 'POST') return handleSend(req.headers['idempotency-key'], body);
    if (path === '/messages/count' && req.method === 'GET') {
      const count: SandboxCount = { messages: state.count(new URLSearchParams(query).get('prefix') ?? ''), requests: state.requests };
      return { status: 200, body: count };
    }
    if (path === '/messages' && (req.method === 'GET' || req.method === 'HEAD'))
      return { status: 200, body: { messages: [...state.messages.values()], requests: state.requests } };
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

  function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer | undefined): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    let body: unknown;
    if (req.method === 'POST') {
      // Like a real JSON API: the content type is checked and an empty body refused before the
      // request counts, so a client that forgets either is caught here.
      if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        return send(res, { status: 415, body: { error: 'unsupported_media_type', message: 'Send Content-Type: application/json' } });
      }
      try {
        body = JSON.parse(raw ? raw.toString('utf8') : '');
      } catch {
        return send(res, { status: 400, body: { error: 'invalid_json', message: 'The body is empty or not valid JSON' } });
      }
    }
    let result: ReturnType<typeof route>;
    try {
      result = route(req, path, q < 0 ? '' : url.slice(q + 1), body);
    } catch (err) {
      return send(res, { status: 500, body: { error: 'internal', message: err instanceof Error ? err.message : String(err) } });
    }
    if (result === null) return; // told to hang: never answer
    if (result instanceof Promise) void result.then((a) => send(res, a));
    else send(res, result);
  }

  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    // A body of one chunk (every message the service sends) is used as it is, not copied.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) return;
      if (!first) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT_BYTES) return send(res, { status: 413, body: { error: 'too_large', message: `Bodies are limited to ${BODY_LIMIT_BYTES} bytes` } });
      answer(req, res, more ? Buffer.concat(more) : first);
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

/** One idempotency key: every request made with it, and its message once one was accepted. */
type KeyEntry = { requests: number; message: SandboxMessage | undefined };

/** The part of a key before its first ':' (the notification kind), under which messages are counted. */
const kindOf = (key: string) => key.slice(0, key.indexOf(':') + 1);

function createState() {
  let mode: SandboxMode = { mode: 'ok' };
  let remaining = Infinity;
  // One map entry per key, whatever happens to its requests; ids from a counter, prefixed so that
  // two sandboxes (a restarted one, say) never hand out the same id.
  const byKey = new Map<string, KeyEntry>();
  const keptByKind = new Map<string, number>();
  const idPrefix = `msg-${randomBytes(4).toString('hex')}-`;
  let lastId = 0;
  let kept = 0;
  const state = {
    requests: 0,
    /** The messages kept, one per key, in the shape tests read (`messages.values()`). */
    messages: {
      *values(): IterableIterator<SandboxMessage> {
        for (const entry of byKey.values()) if (entry.message) yield entry.message;
      },
    },
    /** Requests per key, failed ones included (`attemptsByKey.get(key)`). */
    attemptsByKey: { get: (key: string): number | undefined => byKey.get(key)?.requests },
    seen(key: string): KeyEntry {
      state.requests++;
      let entry = byKey.get(key);
      if (entry) {
        entry.requests++;
        if (entry.message) entry.message.requests = entry.requests;
      } else byKey.set(key, (entry = { requests: 1, message: undefined }));
      return entry;
    },
    nextId: () => idPrefix + String(++lastId),
    kept(key: string) {
      kept++;
      const kind = kindOf(key);
      if (kind) keptByKind.set(kind, (keptByKind.get(kind) ?? 0) + 1);
    },
    /** Messages whose key starts with `prefix`: kept as it goes for '' and a kind ('order-confirmed:'), else counted. */
    count(prefix: string): number {
      if (prefix === '') return kept;
      if (kindOf(prefix) === prefix) return keptByKind.get(prefix) ?? 0;
      let n = 0;
      for (const [key, entry] of byKey) if (entry.message && key.startsWith(prefix)) n++;
      return n;
    },
    setMode(next: SandboxMode) {
      mode = next;
      remaining = next.count ?? Infinity;
    },
    takeMode(template: unknown): SandboxMode {
      if (mode.mode === 'ok') return mode;
      if (mode.template !== undefined && mode.template !== template) return { mode: 'ok' };
      const current = mode;
      if (--remaining <= 0) state.setMode({ mode: 'ok' });
      return current;
    },
    reset() {
      byKey.clear();
      keptByKind.clear();
      kept = 0;
      state.requests = 0;
      state.setMode({ mode: 'ok' });
    },
  };
  return state;
}
