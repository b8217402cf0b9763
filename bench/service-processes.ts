// The bench's service processes: test/support's service runner with the bench's settings (which
// build runs, extra node flags, the environment it inherits), one log file each in bench/logs, and
// scenario 6's stand-in for the service started the same way.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../src/config.js';
import { freePort } from '../test/support/free-port.js';
import { createServiceProcess, serviceCli } from '../test/support/service-runner.js';
import type { BenchConfig } from './bench-config.js';
import { LOG_DIR } from './paths.js';
import { peakRssMb } from './process-stats.js';

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
  const script = role === 'pipeline-floor' ? [...floor.execArgv, floor.file] : serviceCli(config.BENCH_SERVICE_RUNNER).args;
  const service = createServiceProcess({
    name,
    args: [...config.BENCH_SERVICE_NODE_ARGS, ...script],
    // Seller API keys are off: the bench measures the pipeline, not key management (its cost per
    // request is a cached lookup; measure it separately if it ever matters).
    // The floor reads the service's configuration, which needs a valid ROLE; it ignores the value.
    env: { ...config.inheritedEnv, ROLE: role === 'pipeline-floor' ? 'all' : role, SELLER_AUTH: 'off', ...options.env },
    port: await freePort(),
    logFile: path.join(LOG_DIR, `${name}.log`),
  });
  await service.start();
  // This run's pid, kept: the CPU meter and the memory figures look it up in /proc.
  const pid = service.pid;
  if (pid === undefined) throw new Error(`${name} exited as soon as it was ready; see ${service.logFile}`);
  return { name, role, pid, port: service.port, logFile: service.logFile, peakRssMb: () => peakRssMb(pid), stop: service.stop };
}
