// Sticky percentages: whether a key (an order id) takes a switch's new path is a pure function of
// the switch name and the key, so retries, replays and every process decide the same way.
//
// The bucket is MurmurHash3 (x86, 32-bit, seed 0) of the UTF-8 text `<switch name>:<key>`, modulo
// 100, the scheme Unleash uses for gradual rollouts. A key is on the new path when its bucket is
// below the percentage: raising 25 → 50 adds buckets 25–49 and removes none, so orders only ever
// move from the old path to the new. The switch name is part of the input so that two switches at
// 10% do not pick the same 10% of orders. Changing this function re-deals every order: don't.
import murmurhash from 'murmurhash';

export const BUCKETS = 100;

/** The bucket 0–99 of `key` under switch `name`. */
export function bucketOf(name: string, key: string): number {
  return murmurhash.v3(`${name}:${key}`, 0) % BUCKETS;
}

/** Whether `key` falls in the `percent` share on the new path of switch `name`. */
export function takesNewPath(name: string, key: string, percent: number): boolean {
  return bucketOf(name, key) < percent;
}

/**
 * Whether moving switch `name` from `from` to `to` percent moves `key` to the other path: exactly
 * the keys whose bucket lies between the two (in [from, to) going up, back out of it going down).
 */
export function changesPath(name: string, key: string, from: number, to: number): boolean {
  const bucket = bucketOf(name, key);
  return bucket >= Math.min(from, to) && bucket < Math.max(from, to);
}
