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
  // Per switch, its two paths' counts: no key is built per message.
  let counts = new Map<string, Record<SwitchPath, PathOutcomeCount>>();
  return {
    record(name, path, ok, n = 1) {
      let paths = counts.get(name);
      if (!paths) counts.set(name, (paths = { new: { name, path: 'new', ok: 0, failed: 0 }, old: { name, path: 'old', ok: 0, failed: 0 } }));
      if (ok) paths[path].ok += n;
      else paths[path].failed += n;
    },
    drain() {
      const drained = [...counts.values()].flatMap((p) => [p.new, p.old]).filter((c) => c.ok + c.failed > 0);
      counts = new Map();
      return drained;
    },
  };
}

/** For code that runs without anyone reading the counts (tools, tests of one actor). */
export const UNCOUNTED_PATHS: Pick<PathOutcomes, 'record'> = { record: () => undefined };
