// The switches a process uses: decisions for code paths (SwitchReader), pause controls for actors,
// and the operations the CLI and the admin routes offer, over any SwitchStore. The value of a
// switch is the store's last good value; while the store has none, a remembered value (what the
// process was told was last seen, e.g. from the audit when ZooKeeper is away at start); else the
// registry's default.
import type { PauseControl } from '../amqp/actor-runtime.js';
import type { Logger } from '../logger.js';
import { takesNewPath } from './bucketing.js';
import { InvalidSwitchValueError, UnknownSwitchError } from './switch-errors.js';
import type { SwitchReader } from './switch-reader.js';
import { kindOf, parseSwitchValue, type SwitchKind, type SwitchRegistry, type SwitchValue } from './switch-registry.js';
import type { RejectedValue, SwitchObservation, SwitchStore } from './switch-store.js';

export type SwitchView = {
  name: string;
  kind: SwitchKind;
  value: SwitchValue;
  default: SwitchValue;
  description: string | undefined;
  /** Where the value comes from: read from ZooKeeper, remembered (not read yet), or the code default. */
  source: 'store' | 'remembered' | 'default';
  /** Declared by this code (false: found in ZooKeeper only). */
  known: boolean;
  version: number | undefined;
  modifiedAt: string | undefined;
  /** The last value refused since the last good one: still in ZooKeeper, not in effect. */
  rejected: RejectedValue | undefined;
};

/** A value last seen elsewhere (not read from the store by this process), and when it was set. */
export type RememberedSwitch = { name: string; value: SwitchValue; at: Date };

export type SwitchChange = { name: string; previous: string | undefined; value: SwitchValue; version: number; mzxid: string; modifiedAt: Date };

export type Switches = ReturnType<typeof createSwitches>;

/** Long by design: the switches of one process over one store: effective values, listeners and remembered values share its state. */
export function createSwitches(deps: { store: SwitchStore; registry: SwitchRegistry; logger: Logger }) {
  const { store } = deps;
  const { registry } = deps;
  const logger = deps.logger.child({ module: 'switches' });
  const listeners = new Map<string, Array<() => void>>();
  const effective = new Map<string, SwitchValue | undefined>();
  const remembered = new Map<string, RememberedSwitch>();
  const warnedUnknown = new Set<string>();

  function valueOf(name: string): SwitchValue | undefined {
    return store.get(name)?.value ?? remembered.get(name)?.value ?? registry.get(name)?.default;
  }

  /** Tells the listeners of `name` when what it decides changed. */
  function refresh(name: string): void {
    const before = effective.has(name) ? effective.get(name) : registry.get(name)?.default;
    const after = valueOf(name);
    effective.set(name, after);
    if (before === after) return;
    for (const l of listeners.get(name) ?? []) {
      try {
        l();
      } catch (err) {
        logger.error({ err, name }, 'a switch change listener failed');
      }
    }
  }

  store.onObserve(({ name }) => refresh(name));

  function view(name: string): SwitchView | undefined {
    const def = registry.get(name);
    const stored = store.get(name);
    const recalled = stored ? undefined : remembered.get(name);
    const value = stored?.value ?? recalled?.value ?? def?.default;
    if (value === undefined) return undefined;
    return {
      name,
      kind: def?.kind ?? kindOf(value),
      value,
      default: def?.default ?? value,
      description: def?.description,
      source: stored ? 'store' : recalled ? 'remembered' : 'default',
      known: def !== undefined,
      version: stored?.version,
      modifiedAt: (stored?.modifiedAt ?? recalled?.at)?.toISOString(),
      rejected: store.rejected(name),
    };
  }

  function isOn(name: string): boolean {
    return valueOf(name) === 'on';
  }

  const reader: SwitchReader = {
    takesNewPath(name, key) {
      const value = valueOf(name);
      if (typeof value === 'number') return takesNewPath(name, key, value);
      if (value === undefined && !warnedUnknown.has(name)) {
        warnedUnknown.add(name);
        logger.warn({ name }, 'code asked for a switch that is not declared; taking the old path');
      }
      return value === 'on';
    },
    isOn,
    onChange(name, listener) {
      listeners.set(name, [...(listeners.get(name) ?? []), listener]);
    },
  };

  return {
    ...reader,
    start: () => store.start(),
    close: () => store.close(),
    isStale: () => store.isStale(),
    /** The store's session and whether the values may be out of date, for the operators' list of processes. */
    session: () => ({ ...store.session(), stale: store.isStale() }),
    /** Every declared switch and every switch found in the store, by name. */
    list(): SwitchView[] {
      const names = new Set([...registry.keys(), ...store.all().map((s) => s.name)]);
      return [...names].sort().map((n) => view(n)!);
    },
    get(name: string): SwitchView | undefined {
      return view(name);
    },
    /** Validates `input` for the switch's kind, then writes it. Throws UnknownSwitchError or InvalidSwitchValueError before writing. */
    async set(name: string, input: string | number): Promise<SwitchChange> {
      const existing = view(name);
      if (!existing) throw new UnknownSwitchError(name);
      const parsed = parseSwitchValue(input, existing.kind);
      if (!parsed.ok) throw new InvalidSwitchValueError(name, parsed.reason);
      const { previousRaw, current } = await store.write(name, parsed.value);
      return { name, previous: previousRaw, value: current.value, version: current.version, mzxid: current.mzxid, modifiedAt: current.modifiedAt };
    },
    /**
     * Values last seen elsewhere, for switches the store has not read yet: they serve instead of the
     * code defaults until the store answers, and whatever it reads then wins. Values that do not
     * fit their switch's kind are skipped. Returns the values taken.
     */
    remember(values: readonly RememberedSwitch[]): RememberedSwitch[] {
      const taken: RememberedSwitch[] = [];
      for (const r of values) {
        const kind = registry.get(r.name)?.kind;
        if (store.get(r.name) || !kind || kindOf(r.value) !== kind) continue;
        remembered.set(r.name, r);
        taken.push(r);
        refresh(r.name);
      }
      return taken;
    },
    /** Every value read from the store, for the audit of changes made directly in ZooKeeper. */
    onObserve(listener: (observation: SwitchObservation) => void): void {
      store.onObserve(listener);
    },
    /** An actor's pause control over an on/off switch: paused while it is `on`. */
    pauseControl(name: string): PauseControl {
      if (registry.get(name)?.kind !== 'onoff') throw new UnknownSwitchError(name);
      return { isPaused: () => isOn(name), onChange: (listener) => reader.onChange(name, listener) };
    },
  };
}
