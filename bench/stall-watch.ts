// A relay that stops making progress (a lost message, a stuck consumer) must fail the run with a
// clear message instead of hanging the bench forever.
export async function untilDoneOrStalled(done: Promise<void>, options: { progress: () => number; stallMs: number; what: string }): Promise<void> {
  let last = options.progress();
  let movedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = options.progress();
      if (now !== last) {
        last = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt > options.stallMs) {
        reject(new Error(`${options.what} stalled at ${now} for ${options.stallMs / 1000} s`));
      }
    }, 500);
  });
  try {
    await Promise.race([done, stalled]);
  } finally {
    clearInterval(timer);
  }
}
