// A switch store held in process memory, with the ZooKeeper store's contract: the switch logic
// (parsing, last good values, pause controls) is unit-tested against it without a server.
import type { SwitchValue } from './switch-registry.js';
import type { StoredSwitch, SwitchObservation, SwitchStore } from './switch-store.js';

export function createMemorySwitchStore(initial: Record<string, SwitchValue> = {}): SwitchStore {
  const values = new Map<string, StoredSwitch>();
  const listeners: Array<(o: SwitchObservation) => void> = [];
  let zxid = 0;
  const since = new Date();

  function put(name: string, value: SwitchValue): { previous: StoredSwitch | undefined; current: StoredSwitch } {
    const previous = values.get(name);
    zxid += 1;
    const current: StoredSwitch = { name, value, version: previous ? previous.version + 1 : 0, mzxid: String(zxid), modifiedAt: new Date() };
    values.set(name, current);
    for (const l of listeners) l({ name, previous: previous?.value, current, createdHere: false });
    return { previous, current };
  }

  for (const [name, value] of Object.entries(initial)) put(name, value);

  return {
    start: () => Promise.resolve({ synced: true }),
    get: (name) => values.get(name),
    all: () => [...values.values()],
    rejected: () => undefined,
    write(name, value) {
      const { previous, current } = put(name, value);
      return Promise.resolve({ previousRaw: previous === undefined ? undefined : String(previous.value), current });
    },
    onObserve: (listener) => void listeners.push(listener),
    isStale: () => false,
    session: () => ({ state: 'connected', since }),
    close: () => Promise.resolve(),
  };
}
