// How the messages that took each path of a switch fared, counted in process memory: a code path
// that asks a switch tells the tally whether its work succeeded, and something above (the rollback
// guard) drains the counts every second into a store shared by every process. Counting is a map
// increment, so the hot path pays nothing that depends on how often the counts are read.

export type SwitchPath = 'new' | 'old';

export type PathOutcomeCount = { name: string; path: SwitchPath; ok: number; failed: number };

export type PathOutcomes = {
  /** Counts `n` messages of switch `name` that took `path`, and whether their work succeeded. */
  record(name: string, path: SwitchPath, ok: boolean, n?: number): void;
  /** The counts since the last drain, then starts again from zero. */
  drain(): PathOutcomeCount[];
};

export function createPathOutcomes(): PathOutcomes {
  let counts = new Map<string, PathOutcomeCount>();
  return {
    record(name, path, ok, n = 1) {
      const key = `${path}:${name}`;
      let c = counts.get(key);
      if (!c) counts.set(key, (c = { name, path, ok: 0, failed: 0 }));
      if (ok) c.ok += n;
      else c.failed += n;
    },
    drain() {
      const drained = [...counts.values()];
      counts = new Map();
      return drained;
    },
  };
}

/** For code that runs without anyone reading the counts (tools, tests of one actor). */
export const UNCOUNTED_PATHS: Pick<PathOutcomes, 'record'> = { record: () => undefined };
