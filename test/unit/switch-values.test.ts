// Switch data is `on`, `off` or a whole percentage 0–100; anything else is refused with a reason,
// and switches decide from their last good value or, before any, from their code default.
import { describe, expect, it } from 'vitest';
import { KNOWN_SWITCHES } from '../../src/known-switches.js';
import { createLogger } from '../../src/platform/logger.js';
import { createMemorySwitchStore } from '../../src/platform/runtime-switches/memory-switch-store.js';
import { InvalidSwitchValueError, UnknownSwitchError } from '../../src/platform/runtime-switches/switch-errors.js';
import { createSwitchRegistry, parseSwitchValue } from '../../src/platform/runtime-switches/switch-registry.js';
import { createSwitches } from '../../src/platform/runtime-switches/switches.js';

const logger = createLogger({ level: 'silent' });

describe('switch values', () => {
  it.each([
    ['on', undefined, 'on'],
    ['off', 'onoff', 'off'],
    ['0', 'percent', 0],
    ['25', 'percent', 25],
    ['100', 'percent', 100],
    [' 25\n', 'percent', 25],
    [50, 'percent', 50],
    ['7', undefined, 7],
  ] as const)('reads %j (kind %s) as %j', (input, kind, expected) => {
    expect(parseSwitchValue(input, kind)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['banana', 'percent', 'whole percentage'],
    ['150', 'percent', 'whole percentage'],
    ['-1', 'percent', 'whole percentage'],
    ['2.5', 'percent', 'whole percentage'],
    ['025', 'percent', 'whole percentage'],
    ['', 'percent', 'whole percentage'],
    ['on', 'percent', 'whole percentage'],
    ['25', 'onoff', 'on or off'],
    ['ON', 'onoff', 'on or off'],
    ['yes', undefined, 'on, off or a whole percentage'],
  ] as const)('refuses %j for a %s switch, saying why', (input, kind, reason) => {
    const parsed = parseSwitchValue(input, kind);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
    expect(!parsed.ok && parsed.reason).toContain(`"${input}"`);
  });

  it('declares the switches the service uses, with defaults that keep the old paths', () => {
    const registry = createSwitchRegistry(KNOWN_SWITCHES);
    expect([...registry.values()].map((d) => [d.name, d.kind, d.default])).toEqual([
      ['order-rules-v2', 'percent', 0],
      ['notification-template-v2', 'percent', 0],
      ['business-actor-paused', 'onoff', 'off'],
      ['notification-actor-paused', 'onoff', 'off'],
    ]);
    expect(KNOWN_SWITCHES.every((d) => parseSwitchValue(String(d.default), d.kind).ok)).toBe(true);
  });
});

describe('switches over a store', () => {
  it('decide from the code defaults until the store has a value', () => {
    const switches = createSwitches({ store: createMemorySwitchStore(), registry: createSwitchRegistry(KNOWN_SWITCHES), logger });
    expect(switches.takesNewPath('order-rules-v2', 'any-order')).toBe(false);
    expect(switches.isOn('business-actor-paused')).toBe(false);
    expect(switches.get('order-rules-v2')).toMatchObject({ value: 0, default: 0, source: 'default', kind: 'percent' });
  });

  it('validate before writing and tell pause listeners about changes', async () => {
    const switches = createSwitches({ store: createMemorySwitchStore({ 'order-rules-v2': 100 }), registry: createSwitchRegistry(KNOWN_SWITCHES), logger });
    expect(switches.takesNewPath('order-rules-v2', 'any-order')).toBe(true);

    const pause = switches.pauseControl('notification-actor-paused');
    let changes = 0;
    pause.onChange(() => changes++);
    expect(pause.isPaused()).toBe(false);
    await expect(switches.set('notification-actor-paused', 'maybe')).rejects.toBeInstanceOf(InvalidSwitchValueError);
    await expect(switches.set('no-such-switch', 'on')).rejects.toBeInstanceOf(UnknownSwitchError);
    expect(changes).toBe(0);

    const change = await switches.set('notification-actor-paused', 'on');
    expect(change).toMatchObject({ previous: undefined, value: 'on' });
    expect(pause.isPaused()).toBe(true);
    expect(changes).toBe(1);
    // Writing the same value again is not a change for the actor.
    await switches.set('notification-actor-paused', 'on');
    expect(changes).toBe(1);
    await switches.set('notification-actor-paused', 'off');
    expect(pause.isPaused()).toBe(false);
    expect(changes).toBe(2);
  });

  it('refuses a pause control over a switch that is not on/off', () => {
    const switches = createSwitches({ store: createMemorySwitchStore(), registry: createSwitchRegistry(KNOWN_SWITCHES), logger });
    expect(() => switches.pauseControl('order-rules-v2')).toThrow(UnknownSwitchError);
  });
});

describe('remembered values (ZooKeeper away at start)', () => {
  it('serve instead of the code defaults, move pause controls, and give way to whatever the store reads', async () => {
    const store = createMemorySwitchStore();
    const switches = createSwitches({ store, registry: createSwitchRegistry(KNOWN_SWITCHES), logger });
    const pause = switches.pauseControl('business-actor-paused');
    let pauseChanges = 0;
    pause.onChange(() => pauseChanges++);
    expect(pause.isPaused()).toBe(false);

    const at = new Date('2026-12-01T08:00:00Z');
    const taken = switches.remember([
      { name: 'business-actor-paused', value: 'on', at },
      { name: 'order-rules-v2', value: 25, at },
      // Not declared, or not of the switch's kind: skipped.
      { name: 'no-such-switch', value: 'on', at },
      { name: 'notification-actor-paused', value: 40, at },
    ]);
    expect(taken.map((r) => r.name)).toEqual(['business-actor-paused', 'order-rules-v2']);
    expect(pause.isPaused()).toBe(true);
    expect(pauseChanges).toBe(1);
    expect(switches.get('order-rules-v2')).toMatchObject({ value: 25, source: 'remembered', modifiedAt: at.toISOString() });
    expect(switches.get('notification-actor-paused')).toMatchObject({ value: 'off', source: 'default' });

    // The store answers: its values win, and a switch it already holds is not overridden later.
    await store.write('business-actor-paused', 'off');
    expect(pause.isPaused()).toBe(false);
    expect(pauseChanges).toBe(2);
    expect(switches.get('business-actor-paused')).toMatchObject({ value: 'off', source: 'store' });
    expect(switches.remember([{ name: 'business-actor-paused', value: 'on', at }])).toEqual([]);
    expect(pause.isPaused()).toBe(false);
  });
});
