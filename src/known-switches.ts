// Every switch this code reads, joined from the features that declare them: the registry the
// service, the CLI and the admin API share.
import { NOTIFICATION_SWITCHES } from './notifications/notification-switches.js';
import { ORDER_SWITCHES } from './orders/order-switches.js';
import type { SwitchDefinition } from './platform/runtime-switches/switch-registry.js';

// Listed as operators read them: the release switches (percentages) first, then the pauses.
export const KNOWN_SWITCHES: readonly SwitchDefinition[] = [...ORDER_SWITCHES, ...NOTIFICATION_SWITCHES].sort(
  (a, b) => Number(a.kind === 'onoff') - Number(b.kind === 'onoff'),
);
