// The service under test runs as real child processes started the way an operator starts it (the
// compiled CLI, or src/ through tsx when dist/ is missing or stale), each with its own log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../src/config.js';
import type { BenchConfig } from './bench-config.js';
import { BENCH_DIR, ROOT } from './paths.js';
import { peakRssMb } from './process-stats.js';

const DIST_CLI = path.join(ROOT, 'dist/src/bin/order-actors.js');
export const LOG_DIR = path.join(BENCH_DIR, 'logs');

/** Children still running, killed if the bench itself dies so no service outlives it. */
const live = new Set<ChildProcess>();
export function killServiceProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}
process.on('exit', killServiceProcesses);

/** Kills `child` with the bench if the bench dies first; resolves when the child exits. */
export function endsWithBench(child: ChildProcess): Promise<void> {
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  return exited;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** How the service is started: the build when it is at least as new as src/, else src/ via tsx. */
export function serviceRunner(config: BenchConfig): { runner: 'dist' | 'tsx'; args: string[]; note?: string } {
  const tsx = { runner: 'tsx' as const, args: ['--import', 'tsx', path.join(ROOT, 'src/bin/order-actors.ts'), 'start'] };
  const dist = { runner: 'dist' as const, args: [DIST_CLI, 'start'] };
  if (config.BENCH_SERVICE_RUNNER === 'tsx') return tsx;
  const built = existsSync(DIST_CLI);
  if (config.BENCH_SERVICE_RUNNER === 'dist') {
    if (!built) throw new Error(`${DIST_CLI} is missing; run npm run build`);
    return dist;
  }
  if (!built) return { ...tsx, note: 'dist/ is missing: running src/ through tsx (npm run bench builds it first)' };
  if (statSync(DIST_CLI).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    return { ...tsx, note: 'dist/ is older than src/: running src/ through tsx (npm run bench builds it first)' };
  }
  return dist;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A service role, or scenario 6's stand-in for the whole service. */
export type ProcessRole = Role | 'pipeline-floor';

export type ServiceProcess = {
  name: string;
  role: ProcessRole;
  pid: number;
  /** The HTTP port (intake and health). */
  port: number;
  logFile: string;
  peakRssMb(): number | undefined;
  stop(): Promise<void>;
};

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForReady(child: ChildProcess, name: string, port: number, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Service process ${name} exited (${child.exitCode ?? child.signalCode}) before it was ready. Last lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Service process ${name} was not ready within ${timeoutMs} ms. Last lines of ${logFile}:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A sibling bench module to run as its own process, compiled or from source through tsx. */
export function benchModule(module: string): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const file = path.join(path.dirname(here), `${module}${path.extname(here)}`);
  return { file, execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}

/**
 * Starts one service process and resolves once its /health/ready answers 200. The role
 * `pipeline-floor` starts scenario 6's stand-in instead of the service, with the same environment.
 */
export async function startServiceProcess(options: {
  config: BenchConfig;
  name: string;
  role: ProcessRole;
  env: Record<string, string>;
}): Promise<ServiceProcess> {
  const { config, name, role } = options;
  const floor = benchModule('pipeline-floor-process');
  const args = role === 'pipeline-floor' ? [...floor.execArgv, floor.file] : serviceRunner(config).args;
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${name}.log`);
  const log = openSync(logFile, 'w');
  // The child writes its log straight to the file, so the bench spends no CPU relaying it.
  const child = spawn(process.execPath, [...config.BENCH_SERVICE_NODE_ARGS, ...args], {
    cwd: ROOT,
    // Seller API keys are off: the bench measures the pipeline, not key management (its cost per
    // request is a cached lookup; measure it separately if it ever matters).
    // The floor reads the service's configuration, which needs a valid ROLE; it ignores the value.
    env: { ...config.inheritedEnv, HOST: '127.0.0.1', PORT: String(port), ROLE: role === 'pipeline-floor' ? 'all' : role, SELLER_AUTH: 'off', ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = endsWithBench(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start service process ${name}`);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForReady(child, name, port, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, role, pid, port, logFile, peakRssMb: () => peakRssMb(pid), stop };
}
