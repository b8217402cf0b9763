// `npm run bench`: runs the chosen scenarios on this machine (BENCH_SCENARIOS, default all six),
// verifies each, prints one table, writes bench/results.json and appends to bench/RESULTS.md.
// Exits non-zero when a scenario fails or its verification finds an order lost or told twice.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { killLeftovers } from '../test/support/leftovers.js';
import { serviceCli } from '../test/support/service-runner.js';
import { loadBenchConfig, type BenchConfig, type ScenarioNumber } from './bench-config.js';
import { removeActiveBenchResources } from './bench-isolation.js';
import { runBrokerCeiling } from './broker-ceiling.js';
import { runDeliveryDelayScenario } from './delivery-delay-scenario.js';
import { useLocalCluster } from './local-cluster.js';
import { runOrdersScenario } from './orders-scenario.js';
import { BENCH_DIR } from './paths.js';
import { runPipelineFloor } from './pipeline-floor-scenario.js';
import { appendResultsMd, buildRows, renderFindings, renderTable, writeJson, type BenchResults, type RunInfo } from './report.js';
import { runRuntimeOverhead } from './runtime-overhead.js';

/** Work queues per actor in scenario 7: one per node, so every node leads some. */
const CLUSTER_SHARDS = 3;

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function versions(config: BenchConfig): Promise<string> {
  let rabbit = '?';
  let postgres = '?';
  try {
    const conn = await amqp.connect(config.service.AMQP_URL);
    rabbit = String(conn.connection.serverProperties.version);
    await conn.close();
  } catch {
    // Reported as unknown; the scenarios will say what is wrong.
  }
  try {
    const client = new pg.Client({ connectionString: config.service.DATABASE_URL });
    await client.connect();
    postgres = String((await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version);
    await client.end();
  } catch {
    // As above.
  }
  return `RabbitMQ ${rabbit}, PostgreSQL ${postgres}, Node ${process.version}`;
}

/**
 * Service settings this run changed from their defaults (ACTOR_BATCH_SIZE=25, say) and extra node
 * flags, so a table in bench/RESULTS.md says what it measured. Addresses and credentials are left out.
 */
function settingsChanged(config: BenchConfig): string[] {
  const defaults: Record<string, unknown> = loadConfig({});
  const changed = Object.entries(config.service as Record<string, unknown>)
    .filter(([key, value]) => !/URL|AUTH|CONNECT|SECRET|PASSWORD/.test(key) && JSON.stringify(value) !== JSON.stringify(defaults[key]))
    .map(([key]) => `${key}=${config.inheritedEnv[key] ?? '?'}`);
  if (config.BENCH_SERVICE_NODE_ARGS.length > 0) changed.push(`node ${config.BENCH_SERVICE_NODE_ARGS.join(' ')}`);
  return changed;
}

async function runInfo(config: BenchConfig, runner: string): Promise<RunInfo> {
  const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  // The tables earlier runs appended to bench/RESULTS.md do not make a run's code uncommitted.
  const dirty = git(['status', '--porcelain', '--', ':/', ':(top,exclude)bench/RESULTS.md']) !== '';
  const has = (...scenarios: ScenarioNumber[]) => scenarios.some((s) => config.BENCH_SCENARIOS.includes(s));
  const n = (v: number) => v.toLocaleString('en-US');
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return {
    date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    commit: `commit ${commit}${dirty ? ' + uncommitted changes' : ''}`,
    parameters: [
      `scenarios ${config.BENCH_SCENARIOS.join(',')}`,
      ...(has(1, 5) ? [`${n(config.BENCH_MESSAGES)} relay messages (window ${n(config.BENCH_PUBLISH_WINDOW)})`] : []),
      ...(has(2, 3, 4, 6) ? [`${n(config.BENCH_ORDERS)} orders`, `service ${runner}`] : []),
      ...(has(2, 4, 6) ? [`${config.BENCH_CONNECTIONS} HTTP connections`] : []),
      ...(has(2, 3, 4, 6)
        ? [config.BENCH_WARMUP_ORDERS > 0 ? `measured after ${n(config.BENCH_WARMUP_ORDERS)} warm-up orders` : 'measured cold (no warm-up)']
        : []),
      ...settingsChanged(config).map((setting) => `service ${setting}`),
    ].join(' · '),
    environment: `${os.cpus().length} cores, load average ${load} at start (the machine is shared) · ${await versions(config)}`,
  };
}

async function main(): Promise<number> {
  const config = loadBenchConfig();
  const runner = serviceCli(config.BENCH_SERVICE_RUNNER);
  if (runner.note) console.error(`[bench] ${runner.note}`);
  const info = await runInfo(config, runner.runner === 'dist' ? 'dist/ (compiled)' : 'src/ via tsx');
  const results: BenchResults = { failures: {} };
  const wants = (n: ScenarioNumber) => config.BENCH_SCENARIOS.includes(n);

  const step = async (label: string, work: () => Promise<string>) => {
    console.error(`[bench] ${label}…`);
    try {
      console.error(`[bench] ${label}: ${await work()}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.failures[label] = message.split('\n')[0] ?? message;
      console.error(`[bench] ${label} FAILED:`, err);
    }
  };
  const rate = (n: number, unit: string) => `${Math.round(n).toLocaleString('en-US')} ${unit}`;

  // Ceiling and runtime relay back to back, then the pipeline floor and the two order runs back to
  // back: the ratios that matter most compare runs made under the same load from everyone else on
  // this machine.
  if (wants(1)) {
    await step('scenario 1, broker ceiling (quorum)', async () => rate((results.ceilingQuorum = await runBrokerCeiling(config, 'quorum')).perSecond, 'msg/s'));
    await step('scenario 1, broker ceiling (classic)', async () =>
      rate((results.ceilingClassic = await runBrokerCeiling(config, 'classic')).perSecond, 'msg/s'),
    );
  }
  if (wants(5)) await step('scenario 5, runtime relay', async () => rate((results.runtime = await runRuntimeOverhead(config)).perSecond, 'msg/s'));
  if (wants(6)) await step('scenario 6, pipeline floor', async () => rate((results.floor = await runPipelineFloor(config)).ordersPerSecond, 'orders/s'));
  if (wants(2))
    await step('scenario 2, orders in one process', async () =>
      rate((results.orders = await runOrdersScenario(config, 'one-process')).ordersPerSecond, 'orders/s'),
    );
  if (wants(4))
    await step('scenario 4, orders scaled out', async () =>
      rate((results.scaleOut = await runOrdersScenario(config, 'scale-out')).ordersPerSecond, 'orders/s'),
    );
  if (wants(4))
    await step('scenario 4, orders scaled out as two whole processes', async () =>
      rate((results.scaleOutWhole = await runOrdersScenario(config, 'scale-out-whole')).ordersPerSecond, 'orders/s'),
    );
  if (wants(7)) {
    // The cluster's own brokers on this same machine: a scaling law (CPU per order), not a speed-up.
    let cluster: Awaited<ReturnType<typeof useLocalCluster>> | undefined;
    await step('scenario 7, starting the 3-node cluster', async () => {
      cluster = await useLocalCluster(CLUSTER_SHARDS, config.BENCH_CLUSTER_LAYOUT);
      return cluster.placement.amqpUrl;
    });
    if (cluster) {
      const placement = cluster.placement;
      await step('scenario 7, orders on the cluster', async () =>
        rate((results.cluster = await runOrdersScenario(config, 'cluster', placement)).ordersPerSecond, 'orders/s'),
      );
      await step('scenario 7, orders on the cluster, scaled', async () =>
        rate((results.clusterScaled = await runOrdersScenario(config, 'cluster-scaled', placement)).ordersPerSecond, 'orders/s'),
      );
      await cluster.release().catch((err: unknown) => console.error('[bench] could not stop the cluster:', err));
    }
  }
  if (wants(3)) {
    await step('scenario 3, delivery delay', async () => {
      const d = (results.delay = await runDeliveryDelayScenario(config));
      return d.available ? rate(d.noticesPerSecond, 'notices/s') : `not available (${d.reason})`;
    });
  }

  const rows = buildRows(results);
  const table = renderTable(rows);
  const findings = renderFindings(results);
  console.log(`\n${info.date} · ${info.commit}\n${info.parameters}\n${info.environment}\n\n${table}`);
  if (findings.length) console.log(`\n${findings.join('\n')}`);
  writeJson(path.join(BENCH_DIR, 'results.json'), info, results, rows);
  appendResultsMd(path.join(BENCH_DIR, 'RESULTS.md'), info, table, findings);
  console.log('\nwritten: bench/results.json, appended to bench/RESULTS.md');

  const unverified = [
    results.orders,
    results.scaleOut,
    results.scaleOutWhole,
    results.cluster,
    results.clusterScaled,
    results.floor,
    results.delay?.available ? results.delay : undefined,
  ].filter((r) => r && !r.verification.ok);
  const failed = Object.keys(results.failures).length > 0 || unverified.length > 0;
  if (failed) console.error('\n[bench] FAILED: a scenario did not finish or its verification found lost or repeated work (see above)');
  return failed ? 1 : 0;
}

process.once('SIGINT', () => {
  console.error('\n[bench] interrupted: stopping the service processes and removing the bench queues and schemas');
  killLeftovers();
  void removeActiveBenchResources(loadBenchConfig()).finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
