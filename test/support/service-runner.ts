// The service as a real child process, started the way an operator starts it (the compiled CLI, or
// src/ through tsx), for the two users that need it in another process: the fault tests, which kill
// -9, freeze and restart it, and the bench, which measures its CPU and memory by pid. Its output
// goes straight to a log file, and each run's end is recorded, so a test can tell a kill it asked
// for from a crash it did not.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { diesWithThisProcess } from './leftovers.js';
import { PROJECT_ROOT } from './project-root.js';

const CLI = {
  dist: path.join(PROJECT_ROOT, 'dist/src/bin/order-actors.js'),
  src: path.join(PROJECT_ROOT, 'src/bin/order-actors.ts'),
};
const READY_TIMEOUT_MS = 60_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * node's arguments for `order-actors start`: the build (`dist`), src/ through tsx (`tsx`), or the
 * build when it is at least as new as src/ and src/ through tsx otherwise (`auto`, with a note why).
 */
export function serviceCli(choice: 'auto' | 'dist' | 'tsx'): { runner: 'dist' | 'tsx'; args: string[]; note?: string } {
  const tsx = { runner: 'tsx' as const, args: ['--import', 'tsx', CLI.src, 'start'] };
  const dist = { runner: 'dist' as const, args: [CLI.dist, 'start'] };
  if (choice === 'tsx') return tsx;
  const built = existsSync(CLI.dist);
  if (choice === 'dist') {
    if (!built) throw new Error(`${CLI.dist} is missing; run npm run build`);
    return dist;
  }
  if (!built) return { ...tsx, note: 'dist/ is missing: running src/ through tsx (npm run build makes it)' };
  if (statSync(CLI.dist).mtimeMs < newestMtime(path.join(PROJECT_ROOT, 'src'))) {
    return { ...tsx, note: 'dist/ is older than src/: running src/ through tsx (npm run build updates it)' };
  }
  return dist;
}

/** One pino line as pid, time, level, module, message and error, without the objects errors drag along. */
function compact(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as {
      pid?: number;
      time?: number;
      level?: number;
      module?: string;
      msg?: string;
      err?: { type?: string; message?: string; code?: string };
    };
    const err = entry.err ? ` — ${entry.err.type ?? 'Error'}${entry.err.code ? ` ${entry.err.code}` : ''}: ${entry.err.message ?? ''}` : '';
    const time = entry.time ? new Date(entry.time).toISOString().slice(11, 23) : '';
    return `[${entry.pid ?? '?'}] ${time} ${entry.level ?? ''} ${entry.module ? `[${entry.module}] ` : ''}${entry.msg ?? ''}${err}`;
  } catch {
    return line;
  }
}

export type ServiceProcessOptions = {
  /** Names it in errors and in its log, e.g. `intake` or `orders-business-1`. */
  name: string;
  /** node's arguments: its own flags, then the script and the script's (see serviceCli). */
  args: string[];
  /** Its whole environment: nothing of this process's is passed on unless it is here. */
  env: Record<string, string>;
  /** Its HTTP port (intake, /health/ready), kept across restarts. */
  port: number;
  /** Where its output goes: emptied at the first start, appended to by restarts. */
  logFile: string;
};

export type ExitRecord = { name: string; pid: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean };

export type ServiceProcess = ReturnType<typeof createServiceProcess>;

/** A service process that can be started, killed with any signal and started again on the same port. */
export function createServiceProcess(options: ServiceProcessOptions) {
  const { name, port, logFile } = options;
  const baseUrl = `http://127.0.0.1:${port}`;
  const exits: ExitRecord[] = [];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let expectingExit = false;
  let started = false;

  async function isReady(): Promise<boolean> {
    try {
      const res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** The last `n` lines of its log that matter for diagnosis: starts, warnings, errors and anything not JSON. */
  function tail(n: number, everything = false): string {
    let lines: string[];
    try {
      lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    } catch {
      return `(no log at ${logFile})`;
    }
    const interesting = everything
      ? lines
      : lines.filter((l) => {
          const m = /"level":(\d+)/.exec(l);
          return !m || Number(m[1]) >= 40 || l.includes('"msg":"order-actors started"');
        });
    return interesting.slice(-n).map(compact).join('\n');
  }

  /** Sends `signal` and waits for the exit; after any other signal than SIGKILL, sends SIGKILL past `graceMs`. */
  async function kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 30_000): Promise<void> {
    const proc = child;
    if (!proc) return;
    expectingExit = true;
    proc.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Starts the process and resolves once /health/ready answers 200 (its broker and database are reachable). */
  async function start(): Promise<void> {
    if (child) throw new Error(`${name} is already running (pid ${child.pid}); kill or stop it before starting it again`);
    expectingExit = false;
    mkdirSync(path.dirname(logFile), { recursive: true });
    if (!started) writeFileSync(logFile, '');
    started = true;
    const log = openSync(logFile, 'a');
    let proc: ChildProcess;
    try {
      // The child writes to the file itself: relaying its output through this process would cost
      // the CPU the bench measures, and the file outlives a test worker that dies.
      proc = spawn(process.execPath, options.args, {
        cwd: PROJECT_ROOT,
        env: { ...options.env, HOST: '127.0.0.1', PORT: String(port) },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`Could not start ${name} (node ${options.args.join(' ')}); see ${logFile}`);
    child = proc;
    proc.once('exit', (code, signal) => {
      exits.push({ name, pid, code, signal, expected: expectingExit });
      if (child === proc) child = null;
    });
    exited = diesWithThisProcess(proc);

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await isReady())) {
      if (child !== proc) {
        const last = exits.at(-1);
        throw new Error(`${name} exited (${last?.code ?? last?.signal}) before it was ready. The end of ${logFile}:\n${tail(40)}`);
      }
      if (Date.now() > deadline) {
        await kill('SIGKILL');
        throw new Error(
          `${name} was not ready within ${READY_TIMEOUT_MS} ms (does it reach its broker and database? bash scripts/up.sh starts the local ones). The end of ${logFile}:\n${tail(40)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  return {
    name,
    port,
    baseUrl,
    logFile,
    start,
    kill,
    /** Kills (SIGKILL) and starts again on the same port. */
    async restart(): Promise<void> {
      await kill('SIGKILL');
      await start();
    },
    /** Graceful stop (SIGTERM), as an operator stops it. */
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
