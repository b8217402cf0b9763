// Switches as Prometheus sees them: each switch's value (a percentage, or 1/0 for on/off) and
// whether the process serves last known values because ZooKeeper is out of reach.
import type { Metrics } from '../platform/metrics.js';
import type { Switches } from '../platform/runtime-switches/switches.js';

/** Keeps the switch gauges current; returns what stops it. */
export function exportSwitchMetrics(deps: {
  switches: Pick<Switches, 'list' | 'isStale' | 'onObserve' | 'onChange'>;
  metrics: Pick<Metrics, 'switchValue' | 'sources'>;
}): () => void {
  const { switches, metrics } = deps;
  const values = () => {
    for (const s of switches.list()) metrics.switchValue.set({ name: s.name }, typeof s.value === 'number' ? s.value : s.value === 'on' ? 1 : 0);
  };
  values();
  // Reads from the store, and changes of what a declared switch decides that come from elsewhere
  // (values remembered from the audit while ZooKeeper is away at start).
  switches.onObserve(values);
  for (const s of switches.list()) switches.onChange(s.name, values);
  metrics.sources.switchesStale = () => switches.isStale();
  return () => {
    metrics.sources.switchesStale = () => false;
  };
}
