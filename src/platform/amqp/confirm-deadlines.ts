// Confirm deadlines for publishes in flight. Every publish waits the same time, so deadlines expire
// in publishing order and one timer over a FIFO serves them all (a timer per message was a
// measurable share of the runtime's CPU at thousands of messages per second). Monotonic time: a
// wall-clock step must not expire every publish in flight at once, or hold them past their deadline.

export type ConfirmWait = {
  /** True once the publish is confirmed, refused or expired; a settled wait is never failed again. */
  readonly settled: boolean;
  /** Marks the publish done (confirmed or refused by other means): its deadline no longer applies. */
  settle(): void;
};

export type ConfirmDeadlines = ReturnType<typeof createConfirmDeadlines>;

export function createConfirmDeadlines(deps: { timeoutMs: number; now?: () => number }) {
  const now = deps.now ?? (() => performance.now());
  type Entry = { deadline: number; settled: boolean; expire: () => void };
  let waiting: Entry[] = [];
  let head = 0;
  let sweeper: NodeJS.Timeout | null = null;

  function sweep(): void {
    sweeper = null;
    const at = now();
    while (head < waiting.length && (waiting[head]!.settled || waiting[head]!.deadline <= at)) {
      const w = waiting[head++]!;
      if (!w.settled) {
        w.settled = true;
        w.expire();
      }
    }
    trim();
    if (head < waiting.length) arm(waiting[head]!.deadline - at);
  }

  /** Drops the settled waits at the head, so the FIFO holds about what is in flight. */
  function trim(): void {
    while (head < waiting.length && waiting[head]!.settled) head++;
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    } else if (head > 4096) {
      waiting = waiting.slice(head);
      head = 0;
    }
  }

  function arm(inMs: number): void {
    if (sweeper) return;
    sweeper = setTimeout(sweep, Math.max(1, inMs));
    sweeper.unref();
  }

  return {
    /** Starts the deadline of one publish; `expire` runs once if it is not settled in time. */
    track(expire: () => void): ConfirmWait {
      const entry: Entry = { deadline: now() + deps.timeoutMs, settled: false, expire };
      waiting.push(entry);
      arm(deps.timeoutMs);
      return {
        get settled() {
          return entry.settled;
        },
        settle() {
          if (entry.settled) return;
          entry.settled = true;
          trim();
        },
      };
    },
    /** Waits not yet settled or expired (for tests and metrics). */
    pending: () => waiting.slice(head).filter((w) => !w.settled).length,
  };
}

/** `promise`, or a rejection with `timeout()` once `ms` have passed first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
