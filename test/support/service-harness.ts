// Starts the service in-process with the production composition root, against a messaging sandbox
// the test controls, plus small clients to look at it the way a user would.
import { afterAll, beforeAll } from 'vitest';
import { startService, type RunningService } from '../../src/bin/start-service.js';
import { buildMessagingSandbox, type SandboxMessage, type SandboxMode } from '../../src/sandbox/messaging-sandbox.js';
import { createTestContext, type TestContext } from './test-context.js';

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export async function startSandbox() {
  const app = buildMessagingSandbox();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    messages: (): SandboxMessage[] => [...app.sandbox.messages.values()],
    requestsFor: (key: string): number => app.sandbox.attemptsByKey.get(key) ?? 0,
    setMode: (mode: SandboxMode) => app.sandbox.setMode(mode),
    close: () => app.close(),
  };
}

export type TestService = RunningService & { baseUrl: string };

export async function startTestService(ctx: TestContext, sandbox: Sandbox, env: Record<string, string> = {}): Promise<TestService> {
  const service = await startService(ctx.configWith({ NOTIFY_API_URL: sandbox.url, ...env }), ctx.logger);
  return Object.assign(service, { baseUrl: `http://127.0.0.1:${service.port}` });
}

export async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

export async function getJson(baseUrl: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/**
 * The usual shape of a test file: its own context, a sandbox and the whole service, started before
 * its tests and removed after them. Read the fields inside tests (they are set in beforeAll).
 */
export function serviceForThisFile(label: string, env: Record<string, string> = {}) {
  const file = {} as { ctx: TestContext; sandbox: Sandbox; service: TestService };
  beforeAll(async () => {
    file.ctx = await createTestContext(label);
    file.sandbox = await startSandbox();
    file.service = await startTestService(file.ctx, file.sandbox, env);
  });
  afterAll(async () => {
    await file.service?.stop();
    await file.sandbox?.close();
    await file.ctx?.cleanup();
  });
  return file;
}
