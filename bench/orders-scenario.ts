// Scenarios 2, 4 and 7: orders over HTTP through the real service, from the first request to the
// last buyer told at the messaging sandbox, in one process (ROLE=all), scaled out (one intake, two
// business and two notification processes; then two whole processes sharing the load, each with
// every role; one sandbox process), or on the 3-node cluster with
// sharded queues (one process per role, then one intake and two per actor), then verified.
import { idempotencyKey } from '../src/notifications/notification-messages.js';
import { createDb } from '../src/platform/db.js';
import { createLogger } from '../src/platform/logger.js';
import { freePort } from '../test/support/free-port.js';
import type { BenchConfig } from './bench-config.js';
import { benchNames, removeBenchResources, type BenchNames, type Placement } from './bench-isolation.js';
import { confirmationsOf, fetchSandboxMessages, sandboxCount, waitForBuyersTold, type SandboxCalls } from './delivery-progress.js';
import { startLoadGenerator, type LoadGenerator } from './load-generator.js';
import type { LoadResult } from './order-load.js';
import { percentiles, type Percentiles } from './percentiles.js';
import { processTargets, sharedServiceTargets, startCpuMeter, type CpuReport } from './process-stats.js';
import { startServiceProcess, type ServiceProcess } from './service-processes.js';
import { checkBuyersTold, checkOrdersStored, checkQueues, newVerification, settle, type Verification } from './verify.js';

export type Layout = 'one-process' | 'scale-out' | 'scale-out-whole' | 'cluster' | 'cluster-scaled';

const LABELS: Record<Layout, { names: string; scenario: string }> = {
  'one-process': { names: 'orders', scenario: 'scenario 2' },
  'scale-out': { names: 'scale-out', scenario: 'scenario 4' },
  'scale-out-whole': { names: 'scale-out-whole', scenario: 'scenario 4' },
  cluster: { names: 'cluster', scenario: 'scenario 7' },
  'cluster-scaled': { names: 'cluster-scaled', scenario: 'scenario 7' },
};

export type OrdersResult = {
  layout: Layout;
  sent: number;
  accepted: number;
  /** Warm-up orders accepted before the measured run (verified with it, not measured). */
  warmedUp: number;
  told: number;
  /** First request to the last buyer told at the sandbox. */
  seconds: number;
  ordersPerSecond: number;
  intake: Omit<LoadResult, 'accepted'>;
  /** 202 answer to the sandbox's receivedAt, per order. */
  intakeToDeliveryMs: Percentiles;
  processes: Array<{ name: string; role: string; peakRssMb: number | undefined }>;
  cpu: CpuReport;
  sandbox: SandboxCalls;
  verification: Verification;
  cleanupProblems: string[];
};

type Started = { intakeUrls: string[]; sandboxUrl: string; sandboxName: string };

async function startLayout(config: BenchConfig, names: BenchNames, layout: Layout, processes: ServiceProcess[]): Promise<Started> {
  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  // NOTIFY_API_URL empty: the process hosts its own sandbox (whatever the caller's shell exports).
  const own = { ...names.env, SANDBOX_PORT: String(sandboxPort), NOTIFY_API_URL: '' };
  const start = async (name: string, role: Parameters<typeof startServiceProcess>[0]['role'], env: Record<string, string>) => {
    const p = await startServiceProcess({ config, name, role, env });
    processes.push(p);
    return p;
  };
  // The messaging API is a third party: the sandbox standing in for it runs in its own process in
  // both layouts, so its CPU is not counted as the pipeline's. It also migrates the schema first,
  // so the others start on a ready database.
  const sandbox = await start(`${LABELS[layout].names}-sandbox`, 'sandbox', own);
  const sandboxName = sandbox.name;
  const workers = { ...names.env, NOTIFY_API_URL: sandboxUrl };
  if (layout === 'one-process') {
    const all = await start('orders-all', 'all', workers);
    return { intakeUrls: [`http://127.0.0.1:${all.port}`], sandboxUrl, sandboxName };
  }
  if (layout === 'scale-out-whole') {
    // Scaled out by adding whole processes, each with every role: the load is shared between their intakes.
    const wholes = await Promise.all([1, 2].map((n) => start(`scale-out-whole-${n}`, 'all', workers)));
    return { intakeUrls: wholes.map((w) => `http://127.0.0.1:${w.port}`), sandboxUrl, sandboxName };
  }
  const prefix = LABELS[layout].names;
  const perActor = layout === 'cluster' ? 1 : 2;
  const [intake] = await Promise.all([
    start(`${prefix}-intake`, 'intake', workers),
    ...Array.from({ length: perActor }, (_, i) => start(`${prefix}-business-${i + 1}`, 'business', workers)),
    ...Array.from({ length: perActor }, (_, i) => start(`${prefix}-notification-${i + 1}`, 'notification', workers)),
  ]);
  return { intakeUrls: [`http://127.0.0.1:${intake.port}`], sandboxUrl, sandboxName };
}

/** Sends BENCH_WARMUP_ORDERS orders and waits until their buyers are told; returns the ids accepted. */
async function warmUp(
  config: BenchConfig,
  db: ReturnType<typeof createDb>['db'],
  load: LoadGenerator,
  started: Started,
  runId: string,
  label: string,
): Promise<Set<string>> {
  if (config.BENCH_WARMUP_ORDERS === 0) return new Set();
  const { accepted } = await load.send(started.intakeUrls, runId, config.BENCH_WARMUP_ORDERS);
  await waitForBuyersTold(db, started.sandboxUrl, {
    kind: 'order-confirmed',
    expected: accepted.size,
    stallMs: config.BENCH_STALL_TIMEOUT_MS,
    label: `${label} warm-up`,
  });
  return new Set(accepted.keys());
}

export async function runOrdersScenario(config: BenchConfig, layout: Layout, placement?: Placement): Promise<OrdersResult> {
  const names = benchNames(LABELS[layout].names, config, placement);
  const label = LABELS[layout].scenario;
  const logger = createLogger({ level: 'warn', name: 'bench' });
  const { db } = createDb({ url: config.service.DATABASE_URL, schema: names.schema, poolSize: 2, statementTimeoutMs: 60_000 }, logger);
  const processes: ServiceProcess[] = [];
  let load: LoadGenerator | undefined;
  let result: Omit<OrdersResult, 'cleanupProblems'>;
  let cleanupProblems: string[] = [];
  try {
    const started = await startLayout(config, names, layout, processes);
    const { sandboxUrl } = started;
    // One load generator for the warm-up and the run, so that it is measured warm too.
    load = await startLoadGenerator({ name: `${LABELS[layout].names}-load-generator`, connections: config.BENCH_CONNECTIONS });
    const warmedUp = await warmUp(config, db, load, started, `${names.id}w`, label);
    await load.prepare(started.intakeUrls, names.id, config.BENCH_ORDERS);
    const callsBefore = (await sandboxCount(sandboxUrl)).requests;
    const cpu = startCpuMeter([...sharedServiceTargets(), ...processTargets(processes), load.cpuTarget]);
    const { accepted, ...intake } = await load.fire();
    await waitForBuyersTold(db, sandboxUrl, {
      kind: 'order-confirmed',
      expected: warmedUp.size + accepted.size,
      stallMs: config.BENCH_STALL_TIMEOUT_MS,
      label,
    });
    const cpuReport = cpu.stop();
    const sandbox = { name: started.sandboxName, calls: (await sandboxCount(sandboxUrl)).requests - callsBefore };
    const rss = processes.map((p) => ({ name: p.name, role: p.role, peakRssMb: p.peakRssMb() }));

    // Verified together, warm-up included; measured on the run's own orders only.
    const all = (await fetchSandboxMessages(sandboxUrl)).filter((m) => m.idempotencyKey.startsWith('order-confirmed:'));
    const verification = newVerification();
    const stored = await checkOrdersStored(db, new Set([...warmedUp, ...accepted.keys()]), verification);
    await checkBuyersTold(db, all, { kind: 'order-confirmed', orderIds: stored, keyOf: (id) => idempotencyKey('order-confirmed', id) }, verification);
    await checkQueues(config, names, verification);
    const messages = confirmationsOf(all, accepted.keys());

    const receivedAt = new Map(messages.map((m) => [m.idempotencyKey, Date.parse(m.receivedAt)]));
    const lastTold = [...receivedAt.values()].reduce((a, b) => Math.max(a, b), intake.startedAt);
    const seconds = (lastTold - intake.startedAt) / 1000;
    const latencies = [...accepted].flatMap(([id, at]) => {
      const told = receivedAt.get(idempotencyKey('order-confirmed', id));
      return told === undefined ? [] : [told - at];
    });
    result = {
      layout,
      sent: intake.requests + intake.errors,
      accepted: accepted.size,
      warmedUp: warmedUp.size,
      told: messages.length,
      seconds,
      ordersPerSecond: messages.length / seconds,
      intake,
      intakeToDeliveryMs: percentiles(latencies),
      processes: rss,
      cpu: cpuReport,
      sandbox,
      verification: settle(verification),
    };
  } finally {
    await load?.stop();
    for (const p of processes.reverse()) await p.stop();
    await db.destroy();
    cleanupProblems = await removeBenchResources(names, config);
  }
  return { ...result, cleanupProblems };
}
