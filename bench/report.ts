// One table for every run: each figure next to its ratio to the same-run broker ceiling and its
// target, printed, written as JSON (bench/results.json) and appended to bench/RESULTS.md.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import type { RelayResult } from './broker-ceiling.js';
import { cpuPerUnitText, cpuText, sandboxRow, sizingRow, wholeStackUs } from './cpu-rows.js';
import type { DelayResult } from './delivery-delay-scenario.js';
import { leanTargetRows } from './lean-targets.js';
import type { OrdersResult } from './orders-scenario.js';
import type { FloorResult } from './pipeline-floor-scenario.js';
import type { Row } from './report-row.js';

export type BenchResults = {
  ceilingQuorum?: RelayResult;
  ceilingClassic?: RelayResult;
  orders?: OrdersResult;
  delay?: DelayResult;
  scaleOut?: OrdersResult;
  /** Scenario 4 again, scaled out as two whole processes (every role in each) sharing the load. */
  scaleOutWhole?: OrdersResult;
  /** Scenario 7: the 3-node cluster, one process per role, then one intake and two per actor. */
  cluster?: OrdersResult;
  clusterScaled?: OrdersResult;
  runtime?: RelayResult;
  floor?: FloorResult;
  /** Scenario label → why it could not finish. */
  failures: Record<string, string>;
};

export type RunInfo = {
  date: string;
  commit: string;
  parameters: string;
  environment: string;
};

const RSS_LIMIT_MB = 400;
/** Buyers told of a delay per second, as a share of the same run's two-hop broker ceiling. */
const DELAY_TARGET = 0.6;
const INTAKE_P99_LIMIT_MS = 100;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const times = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '' : `${n.toFixed(2)}×`);
const check = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? '✓' : '✗');

function ordersRows(n: string, label: string, r: OrdersResult, ceiling: number | undefined, target: number | undefined, baseline?: OrdersResult): Row[] {
  const ratio = ceiling ? r.ordersPerSecond / ceiling : undefined;
  const vsOne = baseline ? `, ${times(r.ordersPerSecond / baseline.ordersPerSecond)} the one-process run` : '';
  const statuses = Object.entries(r.intake.statuses)
    .map(([code, count]) => `${code}: ${int(count)}`)
    .join(', ');
  const maxRss = Math.max(...r.processes.map((p) => p.peakRssMb ?? 0));
  const v = r.verification;
  return [
    {
      scenario: n,
      measure: `${label}, end to end`,
      value: `${int(r.ordersPerSecond)} orders/s (${int(r.told)} in ${r.seconds.toFixed(1)} s, last 202 after ${r.intake.secondsToLastAccepted.toFixed(1)} s${vsOne})`,
      ratio: times(ratio),
      target: target ? `≥ ${target}×` : '',
      met: target ? check(ratio !== undefined && ratio >= target) : '',
    },
    {
      scenario: n,
      measure: 'intake',
      value: `${int(r.intake.requestsPerSecond)} req/s (${statuses}; errors ${r.intake.errors}, timeouts ${r.intake.timeouts})`,
      ratio: times(ceiling ? r.intake.requestsPerSecond / ceiling : undefined),
      target: 'non-2xx reported',
      met: r.intake.non2xx + r.intake.errors > 0 ? `${r.intake.non2xx + r.intake.errors} not accepted` : '✓',
    },
    {
      scenario: n,
      measure: 'intake latency p50 / p99',
      value: `${r.intake.latencyMs.p50} / ${r.intake.latencyMs.p99} ms`,
      ratio: '',
      target: `p99 < ${INTAKE_P99_LIMIT_MS} ms`,
      met: check(r.intake.latencyMs.p99 < INTAKE_P99_LIMIT_MS),
    },
    {
      scenario: n,
      measure: 'intake → delivery p50 / p99',
      value: `${int(r.intakeToDeliveryMs.p50)} / ${int(r.intakeToDeliveryMs.p99)} ms`,
      ratio: '',
      target: '',
      met: '',
    },
    {
      scenario: n,
      measure: 'peak RSS per process',
      value: r.processes.map((p) => `${p.name} ${p.peakRssMb ?? '?'} MB`).join(', '),
      ratio: '',
      target: `< ${RSS_LIMIT_MB} MB`,
      met: check(maxRss < RSS_LIMIT_MB),
    },
    { scenario: n, measure: 'CPU, % of one core', value: cpuText(r.cpu), ratio: '', target: '', met: '' },
    { scenario: n, measure: 'CPU per order', value: cpuPerUnitText(r.cpu, r.told, 'order'), ratio: '', target: '', met: '' },
    sandboxRow(n, r.cpu, r.sandbox),
    sizingRow(n, r.cpu, r.told, 'order'),
    {
      scenario: n,
      measure: 'verified',
      value: v.ok
        ? `${int(r.accepted)} accepted orders${r.warmedUp ? ` (and ${int(r.warmedUp)} warm-up orders)` : ''} stored once, buyers told once`
        : v.problems.join('; '),
      ratio: '',
      target: 'all',
      met: check(v.ok),
    },
  ];
}

export function buildRows(results: BenchResults): Row[] {
  const rows: Row[] = [];
  const ceiling = results.ceilingQuorum?.perSecond;
  const relay = (label: string, r: RelayResult, ratio: string, target = '', met = ''): Row => ({
    scenario: label.startsWith('runtime') ? '5' : '1',
    measure: label,
    value: `${int(r.perSecond)} msg/s (${int(r.messages)} in ${r.seconds.toFixed(1)} s)`,
    ratio,
    target,
    met,
  });
  if (results.ceilingQuorum) rows.push(relay('broker ceiling, quorum queues (the service’s)', results.ceilingQuorum, '1.00×'));
  if (results.ceilingClassic) {
    rows.push(relay('broker ceiling, classic queues', results.ceilingClassic, times(ceiling ? results.ceilingClassic.perSecond / ceiling : undefined)));
  }
  if (results.ceilingQuorum) {
    const q = results.ceilingQuorum;
    rows.push({ scenario: '1', measure: 'CPU, % of one core (quorum)', value: cpuText(q.cpu), ratio: '', target: '', met: '' });
    rows.push({ scenario: '1', measure: 'CPU per message (quorum)', value: cpuPerUnitText(q.cpu, q.messages, 'message'), ratio: '', target: '', met: '' });
  }
  if (results.orders) rows.push(...ordersRows('2', 'orders, one process', results.orders, ceiling, undefined));
  if (results.delay) {
    const d = results.delay;
    if (!d.available)
      rows.push({ scenario: '3', measure: 'delivery delay', value: `not available (${d.reason})`, ratio: '', target: `≥ ${DELAY_TARGET}×`, met: '' });
    else {
      const ratio = ceiling ? d.noticesPerSecond / ceiling : undefined;
      rows.push(
        {
          scenario: '3',
          measure: 'delivery delay, last buyer told',
          value: `${d.seconds.toFixed(1)} s for ${int(d.told)} notices = ${int(d.noticesPerSecond)} notices/s (POST answered in ${d.answerMs} ms; first told after ${d.firstToldSeconds?.toFixed(2) ?? '?'} s, half after ${d.halfToldSeconds?.toFixed(1) ?? '?'} s; fan-out finished after ${d.fannedOutSeconds?.toFixed(1) ?? '?'} s)`,
          ratio: times(ratio),
          target: `≥ ${DELAY_TARGET}×`,
          met: check(ratio !== undefined && ratio >= DELAY_TARGET),
        },
        {
          scenario: '3',
          measure: 'peak RSS',
          value: `delay-all ${d.peakRssMb ?? '?'} MB`,
          ratio: '',
          target: `< ${RSS_LIMIT_MB} MB`,
          met: check((d.peakRssMb ?? 0) < RSS_LIMIT_MB),
        },
        { scenario: '3', measure: 'CPU, % of one core', value: cpuText(d.cpu), ratio: '', target: '', met: '' },
        { scenario: '3', measure: 'CPU per notice', value: cpuPerUnitText(d.cpu, d.told, 'notice'), ratio: '', target: '', met: '' },
        sandboxRow('3', d.cpu, d.sandbox),
        sizingRow('3', d.cpu, d.told, 'notice'),
        {
          scenario: '3',
          measure: 'verified',
          value: d.verification.ok
            ? `${int(d.orders)} buyers${d.warmedUp ? ` (and ${int(d.warmedUp)} of the warm-up delay)` : ''} told once, dates moved`
            : d.verification.problems.join('; '),
          ratio: '',
          target: 'all',
          met: check(d.verification.ok),
        },
      );
    }
  }
  if (results.scaleOut)
    rows.push(...ordersRows('4', 'orders, scaled out (1 intake, 2 business, 2 notification)', results.scaleOut, ceiling, undefined, results.orders));
  if (results.scaleOutWhole)
    rows.push(...ordersRows('4', 'orders, scaled out as two whole processes (every role in each)', results.scaleOutWhole, ceiling, undefined, results.orders));
  if (results.runtime) {
    const ratio = ceiling ? results.runtime.perSecond / ceiling : undefined;
    rows.push(relay('runtime relay, two forwarding actors', results.runtime, times(ratio), '≥ 0.9×', check(ratio !== undefined && ratio >= 0.9)));
    rows.push({ scenario: '5', measure: 'CPU, % of one core', value: cpuText(results.runtime.cpu), ratio: '', target: '', met: '' });
    rows.push({
      scenario: '5',
      measure: 'CPU per message',
      value: cpuPerUnitText(results.runtime.cpu, results.runtime.messages, 'message'),
      ratio: '',
      target: '',
      met: '',
    });
  }
  if (results.floor) {
    const f = results.floor;
    const ratio = ceiling ? f.ordersPerSecond / ceiling : undefined;
    const vsFloor = results.orders ? ` · scenario 2 reached ${times(results.orders.ordersPerSecond / f.ordersPerSecond)} of this` : '';
    rows.push(
      {
        scenario: '6',
        measure: 'pipeline floor: scenario 2’s hops without the service’s work, end to end',
        value: `${int(f.ordersPerSecond)} orders/s (${int(f.told)} in ${f.seconds.toFixed(1)} s${vsFloor})`,
        ratio: times(ratio),
        target: '',
        met: '',
      },
      {
        scenario: '6',
        measure: 'intake req/s, latency p50 / p99',
        value: `${int(f.intake.requestsPerSecond)} req/s, ${f.intake.latencyMs.p50} / ${f.intake.latencyMs.p99} ms`,
        ratio: '',
        target: '',
        met: '',
      },
      { scenario: '6', measure: 'CPU, % of one core', value: cpuText(f.cpu), ratio: '', target: '', met: '' },
      { scenario: '6', measure: 'CPU per order', value: cpuPerUnitText(f.cpu, f.told, 'order'), ratio: '', target: '', met: '' },
      sandboxRow('6', f.cpu, f.sandbox),
      {
        scenario: '6',
        measure: 'verified',
        value: f.verification.ok
          ? `${int(f.accepted)} accepted orders${f.warmedUp ? ` (and ${int(f.warmedUp)} warm-up orders)` : ''} reached the sandbox once`
          : f.verification.problems.join('; '),
        ratio: '',
        target: 'all',
        met: check(f.verification.ok),
      },
    );
  }
  const stack = (r: OrdersResult) => wholeStackUs(r.cpu, r.told);
  if (results.cluster)
    rows.push(
      ...ordersRows('7', 'orders on a 3-node cluster, 3 shards (1 intake, 1 business, 1 notification)', results.cluster, ceiling, undefined, results.orders),
    );
  if (results.clusterScaled)
    rows.push(
      ...ordersRows(
        '7',
        'orders on a 3-node cluster, 3 shards (1 intake, 2 business, 2 notification)',
        results.clusterScaled,
        ceiling,
        undefined,
        results.orders,
      ),
    );
  for (const [cluster, single, layout] of [
    [results.cluster, results.orders, 'one process per role against scenario 2'],
    [results.clusterScaled, results.scaleOut, 'two per actor against scenario 4 (same processes)'],
  ] as const) {
    if (!cluster || !single) continue;
    const ratio = stack(cluster) / stack(single);
    rows.push({
      scenario: '7',
      measure: `scaling law: whole stack's CPU per order, cluster ÷ single node (${layout})`,
      value: `${int(stack(cluster))} µs ÷ ${int(stack(single))} µs (service processes, every RabbitMQ node and PostgreSQL)`,
      ratio: times(ratio),
      target: '≤ 1.3×',
      met: check(ratio <= 1.3),
    });
  }
  rows.push(...leanTargetRows(results.orders, results.floor, results.scaleOut, results.scaleOutWhole));
  for (const [label, reason] of Object.entries(results.failures)) {
    rows.push({ scenario: label.replace(/\D+/g, ''), measure: label, value: `FAILED: ${reason}`, ratio: '', target: '', met: '✗' });
  }
  return rows;
}

export function renderTable(rows: readonly Row[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| # | measure | value | × ceiling | target | met |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.scenario, r.measure, r.value, r.ratio, r.target, r.met].map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** Problems found by verification, and notes worth reading, as lines under the table. */
export function renderFindings(results: BenchResults): string[] {
  const lines: string[] = [];
  const each = (label: string, v: { problems: string[]; notes: string[] } | undefined, cleanup: string[] | undefined) => {
    for (const p of v?.problems ?? []) lines.push(`- ${label}: PROBLEM: ${p}`);
    for (const n of v?.notes ?? []) lines.push(`- ${label}: ${n}`);
    for (const c of cleanup ?? []) lines.push(`- ${label}: ${c}`);
  };
  each('scenario 1 quorum', undefined, results.ceilingQuorum?.cleanupProblems);
  each('scenario 1 classic', undefined, results.ceilingClassic?.cleanupProblems);
  each('scenario 2', results.orders?.verification, results.orders?.cleanupProblems);
  if (results.delay?.available) each('scenario 3', results.delay.verification, results.delay.cleanupProblems);
  each('scenario 4', results.scaleOut?.verification, results.scaleOut?.cleanupProblems);
  each('scenario 4 (two whole processes)', results.scaleOutWhole?.verification, results.scaleOutWhole?.cleanupProblems);
  each('scenario 7 (cluster)', results.cluster?.verification, results.cluster?.cleanupProblems);
  each('scenario 7 (cluster, scaled)', results.clusterScaled?.verification, results.clusterScaled?.cleanupProblems);
  each('scenario 5', undefined, results.runtime?.cleanupProblems);
  each('scenario 6', results.floor?.verification, results.floor?.cleanupProblems);
  return lines;
}

export function writeJson(file: string, info: RunInfo, results: BenchResults, rows: readonly Row[]): void {
  writeFileSync(file, `${JSON.stringify({ ...info, rows, results }, null, 2)}\n`);
}

export function appendResultsMd(file: string, info: RunInfo, table: string, findings: readonly string[]): void {
  if (!existsSync(file)) {
    writeFileSync(
      file,
      '# Benchmark results\n\nEvery `npm run bench` appends its table here (newest last), so progress is visible over time. ' +
        'The machine is shared and noisy: compare ratios to the same-run broker ceiling, not raw figures across runs.\n',
    );
  }
  const body = [`\n## ${info.date} · ${info.commit}`, '', info.parameters, '', info.environment, '', table, ...(findings.length ? ['', ...findings] : []), ''];
  appendFileSync(file, body.join('\n'));
}
