// Background work that runs again and again: a timeout chained after each pass, never an interval,
// so a slow database or broker never stacks passes up. A pass that fails is reported and the next
// one runs as usual; stopping waits for a pass in progress.

export type Repeating = { stop(): Promise<void> };

export function repeatEvery(intervalMs: number, pass: () => Promise<unknown>, onError: (err: unknown) => void, options: { unref?: boolean } = {}): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = pass().catch(onError).finally(next);
    }, intervalMs);
    if (options.unref) timer.unref();
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
