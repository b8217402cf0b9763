// Sticky percentages: the same order always lands in the same bucket, buckets are spread evenly,
// and raising a percentage only ever moves orders from the old path to the new.
import { randomBytes } from 'node:crypto';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { bucketOf, changesPath, takesNewPath } from '../../src/platform/runtime-switches/bucketing.js';

const keys = Array.from({ length: 10_000 }, (_, i) => `T-${i}-${randomBytes(4).toString('hex')}`);

describe('bucketing', () => {
  it('is standard MurmurHash3 (x86, 32-bit, seed 0), so other tools can compute the same buckets', () => {
    // Published reference values of MurmurHash3_x86_32.
    expect(murmurhash.v3('hello', 0)).toBe(613153351);
    expect(murmurhash.v3('', 0)).toBe(0);
    // Pinned: a change here re-deals every order between old and new paths.
    expect(bucketOf('order-rules-v2', 'T-1')).toBe(35);
    expect(bucketOf('notification-template-v2', 'order-42')).toBe(4);
  });

  it('puts every key in a bucket 0–99, the same one every time', () => {
    for (const key of keys.slice(0, 1000)) {
      const bucket = bucketOf('order-rules-v2', key);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
      expect(Number.isInteger(bucket)).toBe(true);
      expect(bucketOf('order-rules-v2', key)).toBe(bucket);
    }
  });

  it('sends about the given share of keys to the new path', () => {
    for (const percent of [1, 10, 25, 50, 90]) {
      const share = keys.filter((k) => takesNewPath('notification-template-v2', k, percent)).length / keys.length;
      expect(Math.abs(share - percent / 100)).toBeLessThan(0.02);
    }
  });

  it('sends none at 0% and all at 100%', () => {
    expect(keys.some((k) => takesNewPath('order-rules-v2', k, 0))).toBe(false);
    expect(keys.every((k) => takesNewPath('order-rules-v2', k, 100))).toBe(true);
  });

  it('only moves keys from the old path to the new when the percentage rises', () => {
    const steps = [0, 1, 5, 25, 50, 75, 99, 100];
    for (const key of keys) {
      const path = steps.map((p) => takesNewPath('order-rules-v2', key, p));
      // Once on the new path, a key stays there at every higher percentage.
      expect(path.indexOf(true) === -1 || path.slice(path.indexOf(true)).every(Boolean)).toBe(true);
    }
  });

  it('picks a different share of orders for each switch', () => {
    const a = new Set(keys.filter((k) => takesNewPath('order-rules-v2', k, 10)));
    const both = keys.filter((k) => a.has(k) && takesNewPath('notification-template-v2', k, 10)).length;
    // Independent 10% shares overlap on about 1% of keys, not 10%.
    expect(both / keys.length).toBeLessThan(0.03);
  });

  it('moves exactly the keys whose path differs between two percentages, either way', () => {
    for (const [from, to] of [
      [10, 30],
      [30, 10],
      [0, 100],
      [25, 25],
    ] as const) {
      for (const key of keys.slice(0, 2_000)) {
        expect(changesPath('order-rules-v2', key, from, to)).toBe(takesNewPath('order-rules-v2', key, from) !== takesNewPath('order-rules-v2', key, to));
      }
    }
  });
});
