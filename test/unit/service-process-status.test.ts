// When a listed process counts as gone: stopped cleanly, or silent for four of its own heartbeats,
// judged by one clock (the database's) on both sides.
import { describe, expect, it } from 'vitest';
import { GONE_AFTER_BEATS, statusOf } from '../../src/process-registry/service-process.js';

const now = new Date('2026-12-08T10:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('a process’s status', () => {
  it('is running while it misses fewer than four heartbeats', () => {
    expect(statusOf({ stoppedAt: null, lastSeenAt: ago(0), heartbeatMs: 5_000 }, now)).toBe('running');
    expect(statusOf({ stoppedAt: null, lastSeenAt: ago(GONE_AFTER_BEATS * 5_000), heartbeatMs: 5_000 }, now)).toBe('running');
  });

  it('is gone once silent longer than four of its own heartbeats, whatever the reader’s', () => {
    expect(statusOf({ stoppedAt: null, lastSeenAt: ago(GONE_AFTER_BEATS * 5_000 + 1), heartbeatMs: 5_000 }, now)).toBe('gone');
    expect(statusOf({ stoppedAt: null, lastSeenAt: ago(30_000), heartbeatMs: 10_000 }, now)).toBe('running');
  });

  it('is gone at once when it said it stopped', () => {
    expect(statusOf({ stoppedAt: ago(10), lastSeenAt: ago(20), heartbeatMs: 5_000 }, now)).toBe('gone');
  });
});
