// Ordered shutdown: what started last stops first (intake, then consumers, then channels,
// connections, pool), each step bounded so one stuck dependency cannot hold the process forever.
import type { Logger } from './logger.js';

export type Shutdown = ReturnType<typeof createShutdown>;

export function createShutdown(logger: Logger, stepTimeoutMs = 15_000) {
  const steps: Array<{ name: string; run: () => Promise<unknown> }> = [];
  let running: Promise<void> | null = null;

  async function runAll(): Promise<void> {
    for (const step of steps.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.run(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${stepTimeoutMs} ms`)), stepTimeoutMs);
          }),
        ]);
      } catch (err) {
        logger.warn({ err, step: step.name }, 'shutdown step failed; continuing');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  return {
    /** Registers a closer; closers run in reverse order of registration. */
    add(name: string, run: () => Promise<unknown>): void {
      steps.push({ name, run });
    },
    run(): Promise<void> {
      running ??= runAll();
      return running;
    },
  };
}

/** SIGTERM/SIGINT run the shutdown once, then exit; a second signal exits at once. */
export function exitOnSignals(shutdown: Shutdown, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'shutting down: finishing in-flight work');
    void shutdown.run().then(() => {
      logger.info('shut down cleanly');
      process.exit(0);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
