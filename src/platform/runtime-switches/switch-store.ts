// What holds switch values for a process: ZooKeeper with watches in production, memory in unit
// tests. Stores keep only values they have read; the code defaults live in the registry.
import type { SwitchValue } from './switch-registry.js';

export type StoredSwitch = {
  name: string;
  /** The last good value read. */
  value: SwitchValue;
  /** Version of the node's data in ZooKeeper (bumps with every write, even of the same value). */
  version: number;
  /** The ZooKeeper transaction that last modified the node, in decimal: unique per change. */
  mzxid: string;
  modifiedAt: Date;
};

export type RejectedValue = { raw: string; reason: string; mzxid: string; seenAt: Date };

/** A value this process read for the first time (at start, after a change, after a reconnect). */
export type SwitchObservation = {
  name: string;
  /** What this process held before, or undefined when this is its first read of the switch. */
  previous: SwitchValue | undefined;
  current: StoredSwitch;
  /** This process created the node with its default because it was missing. */
  createdHere: boolean;
};

/**
 * Where the store's link to its source stands. connecting: not connected since start; disconnected:
 * the connection was lost and the client reconnects within the same session; expired: the session
 * ended (expired, or silent for a whole session timeout) and a new one is opening.
 */
export type StoreSession = { state: 'connecting' | 'connected' | 'disconnected' | 'expired' | 'closed'; since: Date };

export type SwitchWrite = { previousRaw: string | undefined; current: StoredSwitch };

export type SwitchStore = {
  /** Loads every switch. Resolves `synced: false` (code defaults serve) if the store did not answer in time. */
  start(): Promise<{ synced: boolean }>;
  get(name: string): StoredSwitch | undefined;
  all(): StoredSwitch[];
  /** The last value refused for `name` since its last good one, if any. */
  rejected(name: string): RejectedValue | undefined;
  /** Writes a validated value; `previousRaw` is what the store held, as text. */
  write(name: string, value: SwitchValue): Promise<SwitchWrite>;
  onObserve(listener: (observation: SwitchObservation) => void): void;
  /** True while the values may be out of date: not connected, not yet loaded, or no recent answer. */
  isStale(): boolean;
  session(): StoreSession;
  close(): Promise<void>;
};
