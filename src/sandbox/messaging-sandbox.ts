// A stand-in for the third-party messaging API that follows its contract: POST /messages with an
// Idempotency-Key answers {"id"} once per key, however often it is called. It lists what it received
// (GET /messages) and can be told to fail, throttle, hang or slow down (POST /control), so the
// service can be run and tested without the real provider.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
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

export function buildMessagingSandbox(): FastifyInstance & { sandbox: ReturnType<typeof createState> } {
  const state = createState();
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, keepAliveTimeout: 60_000 });

  app.post('/messages', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key.length === 0) {
      return reply.code(400).send({ error: 'missing_idempotency_key', message: 'Send an Idempotency-Key header' });
    }
    state.requests++;
    state.attemptsByKey.set(key, (state.attemptsByKey.get(key) ?? 0) + 1);
    const mode = state.takeMode();
    if (mode.mode === 'hang') return new Promise<never>(() => undefined);
    if (mode.mode === 'slow') await new Promise((r) => setTimeout(r, mode.delayMs ?? 1_000));
    if (mode.mode === 'fail') return reply.code(500).send({ error: 'internal', message: 'sandbox told to fail' });
    if (mode.mode === 'throttle') {
      return reply.code(429).header('retry-after', String(mode.retryAfterS ?? 1)).send({ error: 'throttled' });
    }
    if (mode.mode === 'reject') return reply.code(400).send({ error: 'rejected', message: 'sandbox told to reject' });

    const parsed = SendSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', issues: parsed.error.issues });
    const existing = state.messages.get(key);
    if (existing) {
      existing.requests = state.attemptsByKey.get(key) ?? existing.requests;
      return { id: existing.id };
    }
    const message: SandboxMessage = {
      id: randomUUID(),
      idempotencyKey: key,
      ...parsed.data,
      receivedAt: new Date().toISOString(),
      requests: state.attemptsByKey.get(key) ?? 1,
    };
    state.messages.set(key, message);
    return { id: message.id };
  });

  app.get('/messages', async () => ({ messages: [...state.messages.values()], requests: state.requests }));
  app.delete('/messages', async () => {
    state.reset();
    return { ok: true };
  });
  app.post('/control', async (req, reply) => {
    const parsed = SandboxModeSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_mode', issues: parsed.error.issues });
    state.setMode(parsed.data);
    return { ok: true };
  });

  return Object.assign(app, { sandbox: state });
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
