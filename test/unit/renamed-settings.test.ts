// Settings renamed to carry their unit keep working under the old name, with a deprecation warning.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('a setting under its old name', () => {
  it('DEAD_LETTER_BATCH_INTERVAL still sets the interval, with a deprecation warning naming the new name', async () => {
    expect(loadConfig({ DEAD_LETTER_BATCH_INTERVAL: '5000' }).DEAD_LETTER_BATCH_INTERVAL_MS).toBe(5000);
    await nextTick();
    expect(warnings.map((w) => [w.name, w.message])).toEqual([
      ['DeprecationWarning', 'DEAD_LETTER_BATCH_INTERVAL is deprecated; set DEAD_LETTER_BATCH_INTERVAL_MS instead'],
    ]);
  });

  it('loses to the new name when both are set, and the warning says so', async () => {
    expect(loadConfig({ DEAD_LETTER_BATCH_INTERVAL: '5000', DEAD_LETTER_BATCH_INTERVAL_MS: '7000' }).DEAD_LETTER_BATCH_INTERVAL_MS).toBe(7000);
    await nextTick();
    expect(warnings[0]?.message).toMatch(/set too and wins/);
  });

  it('is not mentioned when only the new name is used', async () => {
    expect(loadConfig({ DEAD_LETTER_BATCH_INTERVAL_MS: '0' }).DEAD_LETTER_BATCH_INTERVAL_MS).toBe(0);
    await nextTick();
    expect(warnings).toEqual([]);
  });
});
