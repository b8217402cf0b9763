// Where the time goes: CPU used by each process of a scenario (the service's, RabbitMQ's,
// PostgreSQL's, the messaging sandbox's, the load generator's, the bench's own and everyone else's on
// this shared machine), read from /proc, and each process's peak resident memory. Linux only, like
// the machine the targets are for.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process to watch: by pid, or every process with this command name (e.g. all `postgres`
 * backends). `pipeline` marks the processes a deployment would have to provision (the service,
 * RabbitMQ, PostgreSQL), as opposed to the bench, its load generator and the stand-in third party.
 */
export type CpuTarget = ({ name: string; pid: number } | { name: string; comm: string }) & { pipeline?: boolean };

/** CPU use in percent of one core over the measured interval (2 cores busy = 200). */
export type CpuReport = {
  seconds: number;
  machine: number;
  byProcess: Record<string, number>;
  others: number;
  /** The names in `byProcess` of the targets marked `pipeline`. */
  pipeline: string[];
};

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number } {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle };
}

function pidsWithComm(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function snapshot(targets: readonly CpuTarget[]): Map<string, Map<number, number>> {
  const result = new Map<string, Map<number, number>>();
  for (const t of targets) {
    const pids = 'pid' in t ? [t.pid] : pidsWithComm(t.comm);
    const ticks = new Map<number, number>();
    for (const pid of pids) {
      const v = processTicks(pid);
      if (v !== undefined) ticks.set(pid, v);
    }
    result.set(t.name, ticks);
  }
  return result;
}

/** Starts measuring; `stop()` returns each target's share of a core since the start. */
export function startCpuMeter(targets: readonly CpuTarget[]) {
  const startedAt = process.hrtime.bigint();
  const before = snapshot(targets);
  const machineBefore = machineTicks();
  return {
    stop(): CpuReport {
      const after = snapshot(targets);
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const percent = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 1000) / 10;
      const byProcess: Record<string, number> = {};
      let listed = 0;
      for (const [name, ticks] of after) {
        let used = 0;
        // A process that started during the interval (a new database backend) counts whole.
        for (const [pid, end] of ticks) used += end - (before.get(name)?.get(pid) ?? 0);
        byProcess[name] = percent(used);
        listed += used;
      }
      const machine = machineTicks().busy - machineBefore.busy;
      const pipeline = targets.filter((t) => t.pipeline).map((t) => t.name);
      return { seconds, machine: percent(machine), byProcess, others: percent(Math.max(0, machine - listed)), pipeline };
    },
  };
}

/** Peak resident memory of a live process in MB (VmHWM), or undefined once it has exited. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The CPU rows' names of the broker's and the database's processes. */
export const RABBITMQ = 'RabbitMQ';
export const POSTGRESQL = 'PostgreSQL (all sessions)';

/**
 * The targets every scenario watches besides its own processes. The bench itself is the load only
 * in the relay scenarios (1 and 5); the HTTP scenarios' load runs in a process of its own.
 */
export function sharedServiceTargets(): CpuTarget[] {
  return [
    { name: 'bench', pid: process.pid },
    { name: RABBITMQ, comm: 'beam.smp', pipeline: true },
    { name: POSTGRESQL, comm: 'postgres', pipeline: true },
  ];
}

/** A scenario's own processes: all of them pipeline but the messaging sandbox, a third party's stand-in. */
export function processTargets(processes: ReadonlyArray<{ name: string; pid: number; role: string }>): CpuTarget[] {
  return processes.map((p) => ({ name: p.name, pid: p.pid, pipeline: p.role !== 'sandbox' }));
}
