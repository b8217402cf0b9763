// The console's words for switch data, so an operator reads "REST API" and "read from ZooKeeper"
// instead of the stored codes (rest, store).
import type { SwitchChangeSource } from '../switch-admin/switch-table.js';

const THROUGH: Record<SwitchChangeSource, string> = {
  cli: 'CLI',
  rest: 'REST API',
  console: 'console',
  schedule: 'scheduled flip',
  guard: 'rollback guard',
  'zookeeper-observed': 'written in ZooKeeper directly (zkCli.sh)',
};

/** How a recorded change was made. */
export const throughLabel = (source: SwitchChangeSource): string => THROUGH[source] ?? source;

/** Where the value in effect comes from. */
export function valueSourceLabel(source: 'store' | 'remembered' | 'default'): string {
  if (source === 'store') return 'read from ZooKeeper';
  if (source === 'remembered') return 'last value recorded; ZooKeeper not read yet';
  return 'code default; not set in ZooKeeper';
}

export const kindLabel = (kind: string): string => (kind === 'percent' ? 'percentage' : 'on / off');

/** A value as an operator reads it: 30 %, on, off. */
export const valueLabel = (value: string | number): string => (typeof value === 'number' || /^\d+$/.test(value) ? `${value} %` : value);
