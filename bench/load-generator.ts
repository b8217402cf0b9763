// The HTTP load of scenarios 2, 4 and 6 runs in a child process (load-generator-process.ts), not in
// the bench: on two cores autocannon in the bench's process competed with its polling and hid its
// CPU in the bench's. The child shows in the CPU rows as "load generator", and it builds a run's
// bodies on `prepare`, before the scenario starts its clock and CPU meter, so `fire` only sends.
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { diesWithThisProcess } from '../test/support/leftovers.js';
import { PROJECT_ROOT } from '../test/support/project-root.js';
import type { LoadResult, LoadResultWire } from './order-load.js';
import { LOG_DIR } from './paths.js';
import type { CpuTarget } from './process-stats.js';
import { benchModule } from './service-processes.js';

export type ToLoadGenerator = { type: 'prepare'; urls: string[]; runId: string; count: number; connections: number } | { type: 'fire' };
export type FromLoadGenerator = { type: 'ready' } | { type: 'prepared' } | { type: 'fired'; result: LoadResultWire } | { type: 'failed'; message: string };

export type LoadGenerator = {
  /** Its entry in a CPU meter, outside the pipeline a deployment provisions. */
  cpuTarget: CpuTarget;
  /** Builds the bodies of `count` new orders of run `runId`, to be sent to `url` (or shared by several) by the next `fire`. */
  prepare(url: string | readonly string[], runId: string, count: number): Promise<void>;
  /** Sends what `prepare` built; resolves when every request is answered or failed. */
  fire(): Promise<LoadResult>;
  /** prepare, then fire: for warm-up runs, whose bodies need not be built off the clock. */
  send(url: string | readonly string[], runId: string, count: number): Promise<LoadResult>;
  stop(): Promise<void>;
};

export async function startLoadGenerator(options: { name: string; connections: number }): Promise<LoadGenerator> {
  const { file, execArgv } = benchModule('load-generator-process');
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${options.name}.log`);
  const log = openSync(logFile, 'w');
  const child = fork(file, [], { cwd: PROJECT_ROOT, execArgv, stdio: ['ignore', log, log, 'ipc'] });
  closeSync(log);
  const exited = diesWithThisProcess(child);
  if (child.pid === undefined) throw new Error(`Could not start the load generator; see ${logFile}`);

  // One question at a time: the scenarios await each answer before asking the next.
  let waiting: { resolve(m: FromLoadGenerator): void; reject(err: Error): void } | undefined;
  const answer = (settle: (w: NonNullable<typeof waiting>) => void) => {
    const w = waiting;
    waiting = undefined;
    if (w) settle(w);
  };
  child.on('message', (m: FromLoadGenerator) =>
    answer((w) => (m.type === 'failed' ? w.reject(new Error(`The load generator failed: ${m.message}; see ${logFile}`)) : w.resolve(m))),
  );
  void exited.then(() => answer((w) => w.reject(new Error(`The load generator exited (${child.exitCode ?? child.signalCode}); see ${logFile}`))));
  const next = () => new Promise<FromLoadGenerator>((resolve, reject) => (waiting = { resolve, reject }));
  const ask = (message: ToLoadGenerator) => {
    const reply = next();
    child.send(message, (err) => {
      if (err) answer((w) => w.reject(err));
    });
    return reply;
  };

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await next();
  } catch (err) {
    await stop();
    throw err;
  }

  const prepare = async (url: string | readonly string[], runId: string, count: number) => {
    await ask({ type: 'prepare', urls: typeof url === 'string' ? [url] : [...url], runId, count, connections: options.connections });
  };
  const fire = async (): Promise<LoadResult> => {
    const reply = await ask({ type: 'fire' });
    if (reply.type !== 'fired') throw new Error(`The load generator answered ${reply.type} to fire`);
    return { ...reply.result, accepted: new Map(reply.result.accepted) };
  };
  return {
    cpuTarget: { name: 'load generator', pid: child.pid },
    prepare,
    fire,
    send: async (url, runId, count) => {
      await prepare(url, runId, count);
      return fire();
    },
    stop,
  };
}
