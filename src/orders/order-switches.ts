// The switches of the orders feature: the pricing rules a release may roll back, and the business
// actor's pause. Declared here, next to the code that reads them; the composition root joins every
// feature's list into the registry.
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import type { SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';
import type { RuleVersion } from './order-rules.js';

export const RULES_V2_SWITCH = 'order-rules-v2';
export const BUSINESS_PAUSED_SWITCH = 'business-actor-paused';

export const ORDER_SWITCHES: readonly SwitchDefinition[] = [
  {
    name: RULES_V2_SWITCH,
    kind: 'percent',
    default: 0,
    actor: 'business',
    description: 'Share of orders priced with shipping rule v2 (free from 20,000 KRW, 2,500 KRW below) instead of v1',
  },
  {
    name: BUSINESS_PAUSED_SWITCH,
    kind: 'onoff',
    default: 'off',
    actor: 'business',
    description: 'When on, business actors stop consuming; orders wait in the queue',
  },
];

/** The pricing rule an order gets under the switch's current value: the one question both the business step and a replay's dry run ask. */
export function ruleVersionFor(switches: Pick<SwitchReader, 'takesNewPath'>, orderId: string): RuleVersion {
  return switches.takesNewPath(RULES_V2_SWITCH, orderId) ? 2 : 1;
}
