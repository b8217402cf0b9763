// Confirm deadlines: one timer over a FIFO expires unsettled publishes in order, never a settled
// one, and never one twice; withDeadline races a promise against its own timer.
import { describe, expect, it, vi } from 'vitest';
import { createConfirmDeadlines, withDeadline } from '../../src/platform/amqp/confirm-deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('confirm deadlines', () => {
  it('expires the waits not settled in time, in publishing order, once each', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const deadlines = createConfirmDeadlines({ timeoutMs: 100 });
      const expired: string[] = [];
      const a = deadlines.track(() => expired.push('a'));
      const b = deadlines.track(() => expired.push('b'));
      vi.advanceTimersByTime(60);
      const c = deadlines.track(() => expired.push('c'));
      b.settle();
      expect(deadlines.pending()).toBe(2);
      vi.advanceTimersByTime(70);
      expect(expired).toEqual(['a']);
      expect(a.settled).toBe(true);
      vi.advanceTimersByTime(40);
      expect(expired).toEqual(['a', 'c']);
      expect(c.settled).toBe(true);
      c.settle();
      expect(expired).toEqual(['a', 'c']);
      expect(deadlines.pending()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows monotonic time given to it, not the wall clock', () => {
    let t = 1_000;
    const deadlines = createConfirmDeadlines({ timeoutMs: 100, now: () => t });
    const w = deadlines.track(() => undefined);
    t += 50;
    expect(w.settled).toBe(false);
    w.settle();
    expect(deadlines.pending()).toBe(0);
  });
});

describe('withDeadline', () => {
  it('resolves with the promise when it is in time, and rejects with the timeout error when not', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(sleep(100), 20, () => new Error('late'))).rejects.toThrow('late');
    await expect(withDeadline(Promise.reject(new Error('refused')), 50, () => new Error('late'))).rejects.toThrow('refused');
  });
});
