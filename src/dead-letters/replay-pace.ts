// A replay at the operator's rate: messages leave one slot apart, and while they do, the ones
// already sent are watched, so a cause that comes back stops the rest as it stops a bulk replay
// whose first messages fail again. Pacing is for a downstream that must not be flooded (a
// messaging API just back from an outage), which is exactly when a cause may come back midway.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for the next slot of `ratePerSecond`. Slots go in call order, so workers replaying side by
 * side share one rate; a slot is never in the past, so a pause (the first messages' watch) is not
 * made up for by a burst. Without a rate, never waits.
 */
export function replayPace(ratePerSecond: number | undefined): () => Promise<void> {
  if (ratePerSecond === undefined) return () => Promise.resolve();
  const gapMs = 1_000 / ratePerSecond;
  let nextAt = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, nextAt);
    nextAt = at + gapMs;
    if (at > now) await sleep(at - now);
  };
}

/**
 * Runs `work`, and `check` every `everyMs` beside it until work ends; once a check finds something,
 * `stopped()` says so to work, which takes nothing more. Returns work's result and what was found.
 * `check` must not throw: it says what it found, or nothing.
 */
export async function whileWatching<T, F>(
  work: (stopped: () => boolean) => Promise<T>,
  check: () => Promise<F[]>,
  everyMs: number,
): Promise<{ result: T; found: F[] }> {
  let found: F[] = [];
  let done = false;
  let wake = () => undefined as void;
  const nap = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const watching = (async () => {
    while (!done && found.length === 0) {
      await nap();
      if (!done) found = await check();
    }
  })();
  try {
    return { result: await work(() => found.length > 0), found };
  } finally {
    // Work is over: a check still running is waited for, a nap is cut short.
    done = true;
    wake();
    await watching;
  }
}
