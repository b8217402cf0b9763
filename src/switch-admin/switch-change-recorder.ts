// Records the switch changes a running process observes in ZooKeeper, so that a flip made with
// zkCli.sh (outside the CLI and REST) still lands in the audit. Every process records; the change's
// ZooKeeper transaction id makes it one row.
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { formatSwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { Switches } from '../platform/runtime-switches/switches.js';
import type { SwitchChangeRecord, SwitchChangeRepository } from './switch-change-repository.js';

/** Who made a change seen only in ZooKeeper: its writer is not known, only that it bypassed the CLI and REST. */
export const DIRECT_WRITE_ACTOR = 'zookeeper (direct write)';
export const CREATED_ACTOR = 'order-actors (created with the default)';

// An observed change is read once (a re-read of it is no news), so a failed insert is retried
// here: the database may be restarting, and a process that starts while ZooKeeper is away serves
// the audit's last values, so a change missing from it would come back as an older value.
const RETRY_DELAYS_MS = [1_000, 5_000, 15_000, 30_000, 60_000];

export function recordObservedSwitchChanges(deps: { db: Db; switches: Pick<Switches, 'onObserve'>; changes: SwitchChangeRepository; logger: Logger }): void {
  const logger = deps.logger.child({ module: 'switch-audit' });

  function record(change: SwitchChangeRecord, attempt = 0): void {
    deps.changes.recordObserved(deps.db, change).catch((err: unknown) => {
      const retryInMs = RETRY_DELAYS_MS[attempt];
      const at = { err, name: change.name, value: change.newValue, mzxid: change.mzxid };
      if (retryInMs === undefined) {
        logger.error(
          at,
          'gave up recording an observed switch change: the audit misses it (record it by flipping the switch to its current value with the CLI)',
        );
        return;
      }
      logger.warn({ ...at, retryInMs }, 'could not record an observed switch change; retrying');
      setTimeout(() => record(change, attempt + 1), retryInMs).unref();
    });
  }

  deps.switches.onObserve((o) =>
    record({
      name: o.name,
      oldValue: o.previous === undefined ? null : formatSwitchValue(o.previous),
      newValue: formatSwitchValue(o.current.value),
      actor: o.createdHere ? CREATED_ACTOR : DIRECT_WRITE_ACTOR,
      source: 'zookeeper-observed',
      at: o.current.modifiedAt,
      mzxid: o.current.mzxid,
      version: o.current.version,
    }),
  );
}
