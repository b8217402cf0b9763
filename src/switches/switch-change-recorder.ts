// Records the switch changes a running process observes in ZooKeeper, so that a flip made with
// zkCli.sh (outside the CLI and REST) still lands in the audit. Every process records; the change's
// ZooKeeper transaction id makes it one row.
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { formatSwitchValue } from '../platform/switches/switch-registry.js';
import type { Switches } from '../platform/switches/switches.js';
import type { SwitchChangeRepository } from './switch-change-repository.js';

/** Who made a change seen only in ZooKeeper: its writer is not known, only that it bypassed the CLI and REST. */
export const DIRECT_WRITE_ACTOR = 'zookeeper (direct write)';
export const CREATED_ACTOR = 'order-actors (created with the default)';

export function recordObservedSwitchChanges(deps: { db: Db; switches: Pick<Switches, 'onObserve'>; changes: SwitchChangeRepository; logger: Logger }): void {
  const logger = deps.logger.child({ module: 'switch-audit' });
  deps.switches.onObserve((o) => {
    deps.changes
      .recordObserved(deps.db, {
        name: o.name,
        oldValue: o.previous === undefined ? null : formatSwitchValue(o.previous),
        newValue: formatSwitchValue(o.current.value),
        actor: o.createdHere ? CREATED_ACTOR : DIRECT_WRITE_ACTOR,
        source: 'zookeeper-observed',
        at: o.current.modifiedAt,
        mzxid: o.current.mzxid,
        version: o.current.version,
      })
      .catch((err: unknown) => logger.warn({ err, name: o.name, mzxid: o.current.mzxid }, 'could not record an observed switch change'));
  });
}
