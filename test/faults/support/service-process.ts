// The service as real child processes, one per role, started with the production CLI: a fault test
// can only kill -9 what runs in another process. Each process keeps its output for diagnosis and
// records how it ended, so a test can tell a kill it asked for from a crash it did not.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/free-port.js';
import { forget, killOnExit } from './leftovers.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAX_LOG_LINES = 5_000;
const READY_TIMEOUT_MS = 60_000;

/** One pino line as time, level, module, message and error, without the objects errors drag along. */
function compact(line: string): string {
  const json = line.indexOf('{');
  if (json < 0) return line;
  try {
    const entry = JSON.parse(line.slice(json)) as {
      time?: number;
      level?: number;
      module?: string;
      msg?: string;
      err?: { type?: string; message?: string; code?: string };
    };
    const err = entry.err ? ` — ${entry.err.type ?? 'Error'}${entry.err.code ? ` ${entry.err.code}` : ''}: ${entry.err.message ?? ''}` : '';
    const time = entry.time ? new Date(entry.time).toISOString().slice(11, 23) : '';
    return `${line.slice(0, json)}${time} ${entry.level ?? ''} ${entry.module ? `[${entry.module}] ` : ''}${entry.msg ?? ''}${err}`;
  } catch {
    return line;
  }
}

export type ServiceRole = 'intake' | 'business' | 'notification';

export type ExitRecord = { role: ServiceRole; pid: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean };

export type ServiceProcess = ReturnType<typeof createServiceProcess>;

export function createServiceProcess(options: { role: ServiceRole; env: Record<string, string>; port: number }) {
  const { role, port } = options;
  const baseUrl = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const exits: ExitRecord[] = [];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let expectingExit = false;

  function collect(stream: NodeJS.ReadableStream, pid: number): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line) lines.push(`[${role} ${pid}] ${line}`);
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    });
  }

  async function isReady(): Promise<boolean> {
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Starts the process and resolves once /health/ready answers 200 (broker and database reachable). */
  async function start(): Promise<void> {
    if (child) throw new Error(`${role} is already running (pid ${child.pid})`);
    expectingExit = false;
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/bin/order-actors.ts', 'start', '--role', role], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`could not spawn the ${role} process`);
    child = proc;
    killOnExit(pid);
    collect(proc.stdout, pid);
    collect(proc.stderr, pid);
    exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exits.push({ role, pid, code, signal, expected: expectingExit });
        forget(pid);
        if (child === proc) child = null;
        resolve();
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await isReady())) {
      if (child !== proc) throw new Error(`${role} exited before it was ready:\n${tail(40)}`);
      if (Date.now() > deadline) throw new Error(`${role} was not ready within ${READY_TIMEOUT_MS} ms:\n${tail(40)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Sends `signal` and waits for the exit; after SIGTERM, falls back to SIGKILL past `graceMs`. */
  async function kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 30_000): Promise<void> {
    const proc = child;
    if (!proc) return;
    expectingExit = true;
    proc.kill(signal);
    if (signal !== 'SIGKILL') {
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  }

  /** The last `n` lines of output that matter for diagnosis: warnings, errors and anything not JSON. */
  function tail(n: number, everything = false): string {
    const interesting = everything
      ? lines
      : lines.filter((l) => {
          const m = /"level":(\d+)/.exec(l);
          return !m || Number(m[1]) >= 40 || l.includes('"msg":"order-actors started"');
        });
    return interesting.slice(-n).map(compact).join('\n');
  }

  return {
    role,
    baseUrl,
    start,
    kill,
    /** Kills (SIGKILL) and starts again on the same port. */
    async restart(): Promise<void> {
      await kill('SIGKILL');
      await start();
    },
    /** Graceful stop (SIGTERM), used when a test is over. */
    stop: () => kill('SIGTERM'),
    isRunning: () => child !== null,
    isReady,
    get pid() {
      return child?.pid;
    },
    /** Exits nobody asked for: a crash is a test failure in every fault scenario. */
    unexpectedExits: () => exits.filter((e) => !e.expected),
    tail,
  };
}

export type Deployment = Awaited<ReturnType<typeof startDeployment>>;

/** Intake, business and notification each in its own process, all with the same environment. */
export async function startDeployment(env: Record<string, string>, roleEnv: Partial<Record<ServiceRole, Record<string, string>>> = {}) {
  const roles: ServiceRole[] = ['intake', 'business', 'notification'];
  const processes = {} as Record<ServiceRole, ServiceProcess>;
  for (const role of roles) {
    processes[role] = createServiceProcess({ role, env: { ...env, ...roleEnv[role] }, port: await freePort() });
  }
  const all = Object.values(processes);
  const started = await Promise.allSettled(all.map((p) => p.start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(all.map((p) => p.kill('SIGKILL')));
    throw failed.reason;
  }
  return {
    ...processes,
    intakeUrl: processes.intake.baseUrl,
    unexpectedExits: () => all.flatMap((p) => p.unexpectedExits()),
    /** Resolves once every process answers ready again (after a fault is healed). */
    async waitUntilReady(timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const dead = all.filter((p) => !p.isRunning());
        if (dead.length > 0) throw new Error(`not running: ${dead.map((p) => p.role).join(', ')}`);
        const ready = await Promise.all(all.map((p) => p.isReady()));
        if (ready.every(Boolean)) return;
        if (Date.now() > deadline) {
          const names = all.filter((_, i) => !ready[i]).map((p) => p.role);
          throw new Error(`not ready again within ${timeoutMs} ms: ${names.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    tail: (n = 30) => all.map((p) => `--- ${p.role} ---\n${p.tail(n)}`).join('\n'),
    async stop(): Promise<void> {
      await Promise.all(all.map((p) => p.stop()));
    },
  };
}
