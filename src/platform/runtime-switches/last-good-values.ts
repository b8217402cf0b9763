// The last good value of each switch as read from its store: data outside the grammar is refused
// (logged with its path, counted, shown to operators) and the value before it stays in effect; a
// re-read of a change already seen (after a reconnect) is no news to anyone.
import type { Logger } from '../logger.js';
import { parseSwitchValue, type SwitchRegistry } from './switch-registry.js';
import type { RejectedValue, StoredSwitch, SwitchObservation } from './switch-store.js';

/** A node's data as read, with the metadata of the change that wrote it. */
export type ReadNode = { name: string; path: string; raw: string; version: number; mzxid: string; modifiedAt: Date; createdHere: boolean };

export function createLastGoodValues(deps: { registry: SwitchRegistry; logger: Logger; onInvalidValue?: (name: string) => void }) {
  const { registry, logger } = deps;
  const values = new Map<string, StoredSwitch>();
  const rejected = new Map<string, RejectedValue>();
  /** The change (mzxid) last read per switch, valid or not. */
  const seen = new Map<string, string>();
  const listeners: Array<(o: SwitchObservation) => void> = [];

  return {
    get: (name: string) => values.get(name),
    all: () => [...values.values()],
    rejected: (name: string) => rejected.get(name),
    onObserve: (listener: (o: SwitchObservation) => void) => void listeners.push(listener),

    apply(node: ReadNode): void {
      const { name, path, raw, mzxid } = node;
      if (seen.get(name) === mzxid) return;
      seen.set(name, mzxid);
      const parsed = parseSwitchValue(raw, registry.get(name)?.kind);
      if (!parsed.ok) {
        rejected.set(name, { raw: raw.slice(0, 100), reason: parsed.reason, mzxid, seenAt: new Date() });
        deps.onInvalidValue?.(name);
        const last = values.get(name);
        logger.warn(
          {
            path,
            value: raw.slice(0, 100),
            reason: parsed.reason,
            keeping: last ? last.value : registry.get(name)?.default,
            from: last ? 'last good value' : 'code default',
          },
          'ignored an invalid switch value',
        );
        return;
      }
      const previous = values.get(name)?.value;
      const stored: StoredSwitch = { name, value: parsed.value, version: node.version, mzxid, modifiedAt: node.modifiedAt };
      values.set(name, stored);
      rejected.delete(name);
      if (previous !== undefined && previous !== parsed.value) logger.info({ path, from: previous, to: parsed.value }, 'switch changed');
      for (const l of listeners) {
        try {
          l({ name, previous, current: stored, createdHere: node.createdHere });
        } catch (err) {
          logger.error({ err, path }, 'a switch listener failed');
        }
      }
    },
  };
}
