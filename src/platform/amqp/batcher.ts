// Gathers an actor's deliveries into batches and bounds how many run at once. The first delivery
// after a quiet spell starts a batch on the next turn, with every delivery already read from the
// socket. While batches run, new deliveries wait and join the next one; a second batch starts only
// when a full one waits. An actor that keeps up would otherwise handle its messages one or two at a
// time, and a batch's statements, confirms and acks cost about the same for one message as for 100.
import type { Outcome } from './actor.js';

export type BatcherOptions = { batchSize: number; concurrentBatches: number };

export function createBatcher<D>(
  options: BatcherOptions,
  deps: {
    /** Handles one batch; the batcher never rejects on its behalf, so it must settle. */
    process: (batch: D[]) => Promise<void>;
    /** Work that failed outside its own handling (a bug): logged, never thrown. */
    onError: (err: unknown) => void;
  },
) {
  let buffer: D[] = [];
  let flushScheduled = false;
  let batchesInFlight = 0;
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const canStart = () => buffer.length > 0 && batchesInFlight < options.concurrentBatches && (batchesInFlight === 0 || buffer.length >= options.batchSize);

  function flush(): void {
    flushScheduled = false;
    while (canStart()) {
      const batch = buffer.length <= options.batchSize ? buffer : buffer.slice(0, options.batchSize);
      buffer = buffer.length <= options.batchSize ? [] : buffer.slice(options.batchSize);
      batchesInFlight++;
      void track(deps.process(batch)).finally(() => {
        batchesInFlight--;
        // What arrived meanwhile is the next batch.
        if (buffer.length > 0) flush();
      });
    }
  }

  /** Counts work in hand (a batch, or a message settled on its own) until it ends, for whenIdle. */
  function track(work: Promise<void>): Promise<void> {
    inFlight++;
    return work.catch(deps.onError).finally(() => {
      inFlight--;
      if (inFlight === 0 && buffer.length === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  return {
    add(delivery: D): void {
      buffer.push(delivery);
      if (buffer.length >= options.batchSize) flush();
      else if (batchesInFlight === 0 && !flushScheduled) {
        flushScheduled = true;
        // Let every delivery already read from the socket join this batch.
        setImmediate(flush);
      }
    },
    track,
    /** Resolves once nothing is buffered or in hand. */
    whenIdle(): Promise<void> {
      if (inFlight === 0 && buffer.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/**
 * Runs a batch handler; when a batch of several throws, each message is tried alone, so one message
 * that always fails does not spend the attempts of the good ones sharing its batch.
 */
export async function handleIsolatingFailures<M>(handleBatch: (messages: ReadonlyArray<M>) => Promise<Outcome[]>, messages: M[]): Promise<Outcome[]> {
  try {
    const outcomes = await handleBatch(messages);
    if (outcomes.length !== messages.length) throw new Error(`handler returned ${outcomes.length} outcomes for ${messages.length} messages`);
    return outcomes;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (messages.length === 1) return [{ ok: false, error }];
    return (await Promise.all(messages.map((m) => handleIsolatingFailures(handleBatch, [m])))).flat();
  }
}
