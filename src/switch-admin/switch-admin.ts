// What an operator can do with switches, shared by the admin routes and the CLI: look at them
// with their last change, flip one (validated, then audited with who and old → new), read history.
import type { Db } from '../platform/db.js';
import { UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { formatSwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { SwitchChange, Switches, SwitchView } from '../platform/runtime-switches/switches.js';
import type { SwitchChangeEntry, SwitchChangeRepository } from './switch-change-repository.js';

export type SwitchDetails = SwitchView & { lastChange: SwitchChangeEntry | null };

export type SwitchAdmin = ReturnType<typeof createSwitchAdmin>;

export function createSwitchAdmin(deps: { db: Db; switches: Pick<Switches, 'list' | 'get' | 'set' | 'isStale'>; changes: SwitchChangeRepository }) {
  const { db, switches, changes } = deps;

  return {
    async list(): Promise<{ stale: boolean; switches: SwitchDetails[] }> {
      const latest = await changes.latest(db);
      return { stale: switches.isStale(), switches: switches.list().map((s) => ({ ...s, lastChange: latest.get(s.name) ?? null })) };
    },

    async get(name: string): Promise<SwitchDetails & { stale: boolean }> {
      const view = switches.get(name);
      if (!view) throw new UnknownSwitchError(name);
      const [last] = await changes.history(db, name, 1);
      return { ...view, lastChange: last ?? null, stale: switches.isStale() };
    },

    /**
     * Flips a switch and audits it in one step: the audit transaction is open before ZooKeeper is
     * written, so a database that is down refuses the flip instead of losing its record.
     */
    async set(name: string, input: string | number, by: { actor: string; source: 'cli' | 'rest' | 'console'; reason?: string }): Promise<SwitchChange> {
      return db.transaction().execute(async (trx) => {
        const change = await switches.set(name, input);
        await changes.recordAttributed(trx, {
          name,
          oldValue: change.previous ?? null,
          newValue: formatSwitchValue(change.value),
          actor: by.actor,
          reason: by.reason ?? null,
          source: by.source,
          at: change.modifiedAt,
          mzxid: change.mzxid,
          version: change.version,
        });
        return change;
      });
    },

    async history(name: string, limit = 50): Promise<SwitchChangeEntry[]> {
      const entries = await changes.history(db, name, limit);
      if (entries.length === 0 && !switches.get(name)) throw new UnknownSwitchError(name);
      return entries;
    },
  };
}
