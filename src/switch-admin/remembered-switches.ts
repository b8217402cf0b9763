// A process that starts while ZooKeeper is away would otherwise serve the code defaults: a release
// rolled back by a switch would come back on every process restarted during the outage, and a
// paused actor would start consuming. The same goes for a switch whose node holds a value outside
// the grammar when the process starts. The switch audit holds the last value each switch was seen
// with (every observed change and every CLI or REST flip lands there), so the process serves those
// until ZooKeeper gives it a good value, and whatever ZooKeeper holds then wins.
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { parseSwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { RememberedSwitch, Switches } from '../platform/runtime-switches/switches.js';
import type { SwitchChangeRepository } from './switch-change-repository.js';

export async function rememberSwitchesFromAudit(deps: {
  db: Db;
  switches: Pick<Switches, 'list' | 'remember'>;
  changes: SwitchChangeRepository;
  logger: Logger;
  /** Whether the store answered at start; if it did, only switches it holds no good value for are looked up. */
  synced: boolean;
}): Promise<void> {
  const logger = deps.logger.child({ module: 'switches' });
  const unread = new Map(
    deps.switches
      .list()
      .filter((v) => v.known && v.source === 'default')
      .map((v) => [v.name, v.kind]),
  );
  if (unread.size === 0) return;
  const away = deps.synced ? 'ZooKeeper holds no good value for some switches at start' : 'ZooKeeper did not answer at start';
  let latest;
  try {
    latest = await deps.changes.latest(deps.db);
  } catch (err) {
    logger.warn(
      { err, switches: [...unread.keys()] },
      `${away} and the switch audit could not be read either; serving the code defaults until ZooKeeper gives good values`,
    );
    return;
  }
  const candidates: RememberedSwitch[] = [];
  for (const [name, change] of latest) {
    const kind = unread.get(name);
    const parsed = kind && parseSwitchValue(change.newValue, kind);
    if (parsed && parsed.ok) candidates.push({ name, value: parsed.value, at: new Date(change.at) });
  }
  const taken = deps.switches.remember(candidates);
  const defaults = [...unread.keys()].filter((name) => !taken.some((r) => r.name === name));
  logger.warn(
    { remembered: Object.fromEntries(taken.map((r) => [r.name, r.value])), defaults },
    taken.length > 0
      ? `${away}; serving the last switch values recorded in the audit (code defaults for the rest) until it gives good values`
      : `${away} and the switch audit records no values for them; serving the code defaults until ZooKeeper gives good values`,
  );
}
