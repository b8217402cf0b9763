// Scenario 6, the pipeline floor: scenario 2's load through the same hops (HTTP in, two quorum
// queues with confirms and acks, an HTTP call to the messaging sandbox in its own process) with
// none of the service's work. The broker ceiling leaves out both HTTP ends; the floor shows what
// the hops alone allow on this machine, so the service's distance to it is the price of its own
// work: validation, storage, retries, journal, tracing, metrics.
import { idempotencyKey } from '../src/notifications/notification-messages.js';
import { declareTopology } from '../src/platform/amqp/topology.js';
import { freePort } from '../test/support/free-port.js';
import type { BenchConfig } from './bench-config.js';
import { benchNames, removeBenchResources } from './bench-isolation.js';
import { connectRaw } from './broker-ceiling.js';
import { confirmationsOf, fetchSandboxMessages, sandboxCount, type SandboxCalls } from './delivery-progress.js';
import { startLoadGenerator, type LoadGenerator } from './load-generator.js';
import type { LoadResult } from './order-load.js';
import { processTargets, sharedServiceTargets, startCpuMeter, type CpuReport } from './process-stats.js';
import { startServiceProcess, type ProcessRole, type ServiceProcess } from './service-processes.js';
import { untilDoneOrStalled } from './stall-watch.js';
import { checkQueues, newVerification, settle, type Verification } from './verify.js';

export type FloorResult = {
  accepted: number;
  /** Warm-up orders accepted before the measured run (verified with it, not measured). */
  warmedUp: number;
  told: number;
  seconds: number;
  ordersPerSecond: number;
  intake: Omit<LoadResult, 'accepted'>;
  cpu: CpuReport;
  sandbox: SandboxCalls;
  verification: Verification;
  cleanupProblems: string[];
};

async function toldSoFar(floor: ServiceProcess): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${floor.port}/told`, { signal: AbortSignal.timeout(2_000) });
  } catch (err) {
    // It exits on the first unexpected error (it has no retries); its log says which.
    throw new Error(`The pipeline floor stopped answering; see ${floor.logFile}`, { cause: err });
  }
  if (!res.ok) throw new Error(`The pipeline floor answered ${res.status} to GET /told; see ${floor.logFile}`);
  return Number(await res.text());
}

export async function runPipelineFloor(config: BenchConfig): Promise<FloorResult> {
  const names = benchNames('floor', config);
  const processes: ServiceProcess[] = [];
  let load: LoadGenerator | undefined;
  let result: Omit<FloorResult, 'cleanupProblems'>;
  let cleanupProblems: string[] = [];
  try {
    const declaring = await connectRaw(config, 'bench-floor-declare');
    try {
      await declareTopology(declaring, names.topology);
    } finally {
      await declaring.close();
    }
    const sandboxPort = await freePort();
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const start = async (name: string, role: ProcessRole, env: Record<string, string>) => {
      const p = await startServiceProcess({ config, name, role, env: { ...names.env, ...env } });
      processes.push(p);
      return p;
    };
    const sandboxProcess = await start('floor-sandbox', 'sandbox', { SANDBOX_PORT: String(sandboxPort), NOTIFY_API_URL: '' });
    const floor = await start('floor', 'pipeline-floor', { NOTIFY_API_URL: sandboxUrl });
    const floorUrl = `http://127.0.0.1:${floor.port}`;

    const allTold = async (expected: number) => {
      let told = 0;
      let polling = true;
      const done = (async () => {
        while (polling && (told = await toldSoFar(floor)) < expected) await new Promise((r) => setTimeout(r, 20));
      })();
      try {
        await untilDoneOrStalled(done, { progress: () => told, stallMs: config.BENCH_STALL_TIMEOUT_MS, what: `the pipeline floor (log: ${floor.logFile})` });
      } finally {
        polling = false;
      }
    };

    // Warmed up like the service in scenario 2, so both are measured warm (the load generator too).
    load = await startLoadGenerator({ name: 'floor-load-generator', connections: config.BENCH_CONNECTIONS });
    const warmup = config.BENCH_WARMUP_ORDERS > 0 ? await load.send(floorUrl, `${names.id}w`, config.BENCH_WARMUP_ORDERS) : undefined;
    const warmedUp = [...(warmup?.accepted.keys() ?? [])];
    await allTold(warmedUp.length);
    await load.prepare(floorUrl, names.id, config.BENCH_ORDERS);
    const callsBefore = (await sandboxCount(sandboxUrl)).requests;
    const cpu = startCpuMeter([...sharedServiceTargets(), ...processTargets(processes), load.cpuTarget]);
    const { accepted, ...intake } = await load.fire();
    await allTold(warmedUp.length + accepted.size);
    const cpuReport = cpu.stop();
    const sandbox = { name: sandboxProcess.name, calls: (await sandboxCount(sandboxUrl)).requests - callsBefore };

    // What the buyers got, from the sandbox: one message per accepted order (warm-up included), none twice.
    const verification = newVerification();
    const all = (await fetchSandboxMessages(sandboxUrl)).filter((m) => m.idempotencyKey.startsWith('order-confirmed:'));
    const byKey = new Map(all.map((m) => [m.idempotencyKey, m]));
    const missing = [...warmedUp, ...accepted.keys()].filter((id) => !byKey.has(idempotencyKey('order-confirmed', id)));
    if (missing.length) verification.problems.push(`${missing.length} accepted orders never reached the sandbox (e.g. ${missing.slice(0, 3).join(', ')})`);
    const repeated = all.filter((m) => m.requests > 1).length;
    if (repeated) verification.problems.push(`${repeated} messages reached the sandbox more than once`);
    const refused = intake.non2xx + intake.errors + (warmup ? warmup.non2xx + warmup.errors : 0);
    if (refused > 0) verification.problems.push(`${refused} requests were not accepted`);
    await checkQueues(config, names, verification);
    const messages = confirmationsOf(all, accepted.keys());

    const lastTold = messages.reduce((a, m) => Math.max(a, Date.parse(m.receivedAt)), intake.startedAt);
    const seconds = (lastTold - intake.startedAt) / 1000;
    result = {
      accepted: accepted.size,
      warmedUp: warmedUp.length,
      told: messages.length,
      seconds,
      ordersPerSecond: messages.length / seconds,
      intake,
      cpu: cpuReport,
      sandbox,
      verification: settle(verification),
    };
  } finally {
    await load?.stop();
    for (const p of processes.reverse()) await p.stop();
    cleanupProblems = await removeBenchResources(names, config);
  }
  return { ...result, cleanupProblems };
}
