// The switches of the notifications feature: the confirmation template a release may roll back,
// and the notification actor's pause.
import type { SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';

export const TEMPLATE_V2_SWITCH = 'notification-template-v2';
export const NOTIFICATION_PAUSED_SWITCH = 'notification-actor-paused';

export const NOTIFICATION_SWITCHES: readonly SwitchDefinition[] = [
  {
    name: TEMPLATE_V2_SWITCH,
    kind: 'percent',
    default: 0,
    description: 'Share of order confirmations sent with template order-confirmed-v2 instead of order-confirmed',
  },
  {
    name: NOTIFICATION_PAUSED_SWITCH,
    kind: 'onoff',
    default: 'off',
    description: 'When on, notification actors stop consuming; notifications wait in the queue',
  },
];
