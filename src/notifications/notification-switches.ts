// The switches of the notifications feature: the confirmation template a release may roll back,
// and the notification actor's pause.
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import type { SwitchDefinition } from '../platform/runtime-switches/switch-registry.js';
import type { NotificationRequested } from './notification-messages.js';

export const TEMPLATE_V2_SWITCH = 'notification-template-v2';
export const NOTIFICATION_PAUSED_SWITCH = 'notification-actor-paused';

export const NOTIFICATION_SWITCHES: readonly SwitchDefinition[] = [
  {
    name: TEMPLATE_V2_SWITCH,
    kind: 'percent',
    default: 0,
    actor: 'notification',
    description: 'Share of order confirmations sent with template order-confirmed-v2 instead of order-confirmed',
  },
  {
    name: NOTIFICATION_PAUSED_SWITCH,
    kind: 'onoff',
    default: 'off',
    actor: 'notification',
    description: 'When on, notification actors stop consuming; notifications wait in the queue',
  },
];

/**
 * The template a notification kind is sent with; the switch moves order confirmations to v2. Asked
 * by the notification actor and by a replay's dry run.
 */
export function templateFor(request: Pick<NotificationRequested, 'kind' | 'orderId'>, switches: Pick<SwitchReader, 'takesNewPath'>) {
  if (request.kind !== 'order-confirmed') return { template: request.kind, path: undefined };
  const v2 = switches.takesNewPath(TEMPLATE_V2_SWITCH, request.orderId);
  return { template: v2 ? 'order-confirmed-v2' : 'order-confirmed', path: v2 ? ('new' as const) : ('old' as const) };
}
