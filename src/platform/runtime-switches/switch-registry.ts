// What a switch is (its kind and the value it takes when ZooKeeper has never answered), and the one
// grammar switch data must follow: `on`, `off`, or a whole percentage 0–100. Which switches exist
// is the features' business: each declares its own.
import { z } from 'zod';
import type { ActorName } from '../amqp/topology.js';

export type SwitchKind = 'percent' | 'onoff';
/** A percentage (share of keys on the new path) or an on/off state. */
export type SwitchValue = number | 'on' | 'off';

export type SwitchDefinition = {
  name: string;
  kind: SwitchKind;
  default: SwitchValue;
  description: string;
  /**
   * The actor whose messages the switch decides (a percentage, keyed by order id) or pauses (on/off),
   * so a preview of a flip can say which queue it touches.
   */
  actor?: ActorName;
};

export const SWITCH_NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export type SwitchRegistry = ReadonlyMap<string, SwitchDefinition>;

/** The switches a process knows: each feature declares its own, and the composition root joins them. */
export function createSwitchRegistry(definitions: readonly SwitchDefinition[]): SwitchRegistry {
  return new Map(definitions.map((d) => [d.name, d]));
}

const OnOffSchema = z.enum(['on', 'off'], { error: 'expected on or off' });
// Canonical integers only ("25", not "025" or "25.0"), so what an operator reads back is what was written.
const PercentSchema = z
  .string()
  .regex(/^(100|[1-9]?[0-9])$/, 'expected a whole percentage from 0 to 100')
  .transform(Number);
const AnyValueSchema = z.union([OnOffSchema, PercentSchema], { error: 'expected on, off or a whole percentage from 0 to 100' });

export type ParsedValue = { ok: true; value: SwitchValue } | { ok: false; reason: string };

/**
 * Reads switch data as stored in ZooKeeper or typed by an operator. Surrounding whitespace is
 * forgiven (editors add newlines); anything else outside the grammar is refused with the reason.
 * With `kind` the value must also fit the switch: a percentage switch takes no `on`.
 */
export function parseSwitchValue(input: string | number, kind?: SwitchKind): ParsedValue {
  const text = String(input).trim();
  const schema = kind === 'percent' ? PercentSchema : kind === 'onoff' ? OnOffSchema : AnyValueSchema;
  const parsed = schema.safeParse(text);
  if (!parsed.success) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return { ok: false, reason: `"${shown}" is not a valid value: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }
  return { ok: true, value: parsed.data };
}

/** The kind a value implies, for switches found in ZooKeeper that this code does not declare. */
export function kindOf(value: SwitchValue): SwitchKind {
  return typeof value === 'number' ? 'percent' : 'onoff';
}

/** The text stored in ZooKeeper for a value. */
export function formatSwitchValue(value: SwitchValue): string {
  return String(value);
}
