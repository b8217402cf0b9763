// The table's CPU rows: each process's share of a core, its CPU per unit of work, the messaging
// sandbox's CPU per call, and the sizing line that turns the pipeline's CPU per unit into cores.
import type { SandboxCalls } from './delivery-progress.js';
import type { CpuReport } from './process-stats.js';
import type { Row } from './report-row.js';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Rates the sizing line is computed for. */
const SIZING_RATES = [10_000, 50_000];

/** µs of CPU `name` spent per unit over the measured interval. */
export function usPerUnit(cpu: CpuReport, name: string, units: number): number {
  return (((cpu.byProcess[name] ?? 0) / 100) * cpu.seconds * 1e6) / Math.max(1, units);
}

/** µs of CPU per unit over every pipeline process together: service, brokers and database. */
export function wholeStackUs(cpu: CpuReport, units: number): number {
  return cpu.pipeline.reduce((sum, name) => sum + usPerUnit(cpu, name, units), 0);
}

export function cpuText(cpu: CpuReport): string {
  const parts = Object.entries(cpu.byProcess).map(([name, pct]) => `${name} ${Math.round(pct)}`);
  return `${parts.join(', ')}, others ${Math.round(cpu.others)} (machine ${Math.round(cpu.machine)} of 200)`;
}

/**
 * CPU each process spent per unit of work, in µs: steadier than throughput on a shared machine,
 * where another tenant's load changes the rate but not the work a message costs.
 */
export function cpuPerUnitText(cpu: CpuReport, units: number, unit: string): string {
  const parts = Object.keys(cpu.byProcess).map((name) => `${name} ${int(usPerUnit(cpu, name, units))}`);
  return `${parts.join(', ')} (µs of CPU per ${unit})`;
}

/** The stand-in third party's price per POST /messages, apart from the pipeline's. */
export function sandboxRow(scenario: string, cpu: CpuReport, sandbox: SandboxCalls): Row {
  const value = `${sandbox.name} ${int(usPerUnit(cpu, sandbox.name, sandbox.calls))} µs of CPU per call (${int(sandbox.calls)} calls answered)`;
  return { scenario, measure: 'messaging sandbox, CPU per call', value, ratio: '', target: '', met: '' };
}

/**
 * Cores a deployment would need at 10,000 and 50,000 units/s: the pipeline's processes (service,
 * RabbitMQ, PostgreSQL) at their measured CPU per unit. The bench, its load generator and the
 * sandbox are left out: a deployment runs none of them.
 */
export function sizingRow(scenario: string, cpu: CpuReport, units: number, unit: string): Row {
  const parts = cpu.pipeline.map((name) => ({ name, us: usPerUnit(cpu, name, units) }));
  const total = parts.reduce((a, p) => a + p.us, 0);
  const cores = SIZING_RATES.map((rate) => ((total * rate) / 1e6).toFixed(1)).join(' / ');
  return {
    scenario,
    measure: `cores needed for ${SIZING_RATES.map(int).join(' / ')} ${unit}s/s`,
    value:
      `${cores} cores, from ${parts.map((p) => `${p.name} ${int(p.us)}`).join(' + ')} = ${int(total)} µs of CPU per ${unit} ` +
      `(assumes linear scaling, CPU per ${unit} as measured on this machine, no headroom; load generator, bench and sandbox left out)`,
    ratio: '',
    target: '',
    met: '',
  };
}
