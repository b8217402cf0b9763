// The lean hot path's targets, judged in every run that has the figures: scenario 2 against the
// pipeline floor (scenario 6) of the same run, PostgreSQL's CPU per order, and the scaled-out run
// against the one-process run. Ratios within one run, because the machine is shared.
import { usPerUnit } from './cpu-rows.js';
import type { OrdersResult } from './orders-scenario.js';
import type { FloorResult } from './pipeline-floor-scenario.js';
import { POSTGRESQL, RABBITMQ, type CpuReport } from './process-stats.js';
import type { Row } from './report-row.js';

export const LEAN_TARGETS = { ordersVsFloor: 0.9, serviceCpuVsFloor: 1.2, postgresUsPerOrder: 60, scaleOutCpuVsOne: 1.15 };

const BROKER_AND_DATABASE = new Set([RABBITMQ, POSTGRESQL]);

/** µs of CPU per order of the processes this service runs (the floor's own process, in scenario 6). */
export function serviceUs(cpu: CpuReport, orders: number): number {
  return cpu.pipeline.filter((name) => !BROKER_AND_DATABASE.has(name)).reduce((sum, name) => sum + usPerUnit(cpu, name, orders), 0);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const row = (measure: string, value: string, ratio: number | undefined, target: string, met: boolean): Row => ({
  scenario: 'lean',
  measure,
  value,
  ratio: ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
  target,
  met: met ? '✓' : '✗',
});

export function leanTargetRows(
  orders: OrdersResult | undefined,
  floor: FloorResult | undefined,
  scaleOut: OrdersResult | undefined,
  scaleOutWhole: OrdersResult | undefined,
): Row[] {
  const rows: Row[] = [];
  if (orders && floor) {
    const rate = orders.ordersPerSecond / floor.ordersPerSecond;
    rows.push(
      row(
        'orders/s, scenario 2 ÷ the floor',
        `${int(orders.ordersPerSecond)} ÷ ${int(floor.ordersPerSecond)}`,
        rate,
        `≥ ${LEAN_TARGETS.ordersVsFloor}×`,
        rate >= LEAN_TARGETS.ordersVsFloor,
      ),
    );
    const mine = serviceUs(orders.cpu, orders.told);
    const lean = serviceUs(floor.cpu, floor.told);
    rows.push(
      row(
        'service CPU per order ÷ the floor’s',
        `${int(mine)} µs ÷ ${int(lean)} µs`,
        mine / lean,
        `≤ ${LEAN_TARGETS.serviceCpuVsFloor}×`,
        mine / lean <= LEAN_TARGETS.serviceCpuVsFloor,
      ),
    );
  }
  if (orders) {
    const pg = usPerUnit(orders.cpu, POSTGRESQL, orders.told);
    rows.push(
      row('PostgreSQL CPU per order, scenario 2', `${int(pg)} µs`, undefined, `≤ ${LEAN_TARGETS.postgresUsPerOrder} µs`, pg <= LEAN_TARGETS.postgresUsPerOrder),
    );
  }
  for (const [scaled, how] of [
    [scaleOut, 'role by role (all five processes)'],
    [scaleOutWhole, 'as two whole processes'],
  ] as const) {
    if (!orders || !scaled) continue;
    const mine = serviceUs(scaled.cpu, scaled.told);
    const one = serviceUs(orders.cpu, orders.told);
    rows.push(
      row(
        `service CPU per order, scaled out ${how} ÷ one process`,
        `${int(mine)} µs ÷ ${int(one)} µs`,
        mine / one,
        `≤ ${LEAN_TARGETS.scaleOutCpuVsOne}×`,
        mine / one <= LEAN_TARGETS.scaleOutCpuVsOne,
      ),
    );
  }
  return rows;
}
