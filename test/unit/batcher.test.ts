// The batcher gathers deliveries into batches, runs a bounded number at once, and lets a partial
// batch wait for the one in hand, so that an actor which keeps up still works in batches.
import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/platform/amqp/batcher.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

function recording(options: { batchSize: number; concurrentBatches: number }) {
  const started: number[][] = [];
  const finish: Array<() => void> = [];
  const errors: unknown[] = [];
  const batcher = createBatcher<number>(options, {
    process: (batch) => {
      started.push(batch);
      return new Promise<void>((resolve) => finish.push(resolve));
    },
    onError: (err) => errors.push(err),
  });
  return { batcher, started, finish, errors };
}

describe('batcher', () => {
  it('starts the first batch on the next turn with everything that arrived in this one', async () => {
    const { batcher, started } = recording({ batchSize: 10, concurrentBatches: 2 });
    batcher.add(1);
    batcher.add(2);
    expect(started).toEqual([]);
    await turn();
    expect(started).toEqual([[1, 2]]);
  });

  it('holds a partial batch while one runs, and sends what arrived meanwhile as the next batch', async () => {
    const { batcher, started, finish } = recording({ batchSize: 10, concurrentBatches: 2 });
    batcher.add(1);
    await turn();
    for (let n = 2; n <= 5; n++) batcher.add(n);
    await turn();
    expect(started).toEqual([[1]]);
    finish.shift()!();
    await turn();
    expect(started).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('starts a second batch at once when a full one waits, never more than the limit', async () => {
    const { batcher, started } = recording({ batchSize: 3, concurrentBatches: 2 });
    batcher.add(1);
    await turn();
    for (let n = 2; n <= 10; n++) batcher.add(n);
    await turn();
    expect(started).toEqual([[1], [2, 3, 4]]);
  });

  it('is idle only when nothing is buffered or in hand, its own tracked work included', async () => {
    const { batcher, finish, errors } = recording({ batchSize: 10, concurrentBatches: 1 });
    let idle = false;
    batcher.add(1);
    let parked!: () => void;
    void batcher.track(new Promise<void>((r) => (parked = r)));
    void batcher.whenIdle().then(() => (idle = true));
    await turn();
    finish.shift()!();
    await turn();
    expect(idle).toBe(false);
    parked();
    await turn();
    expect(idle).toBe(true);
    void batcher.track(Promise.reject(new Error('a bug')));
    await turn();
    expect(errors).toHaveLength(1);
  });
});
