// Every switch this code reads, joined from the features that declare them: the registry the
// service, the CLI and the admin API share.
import { NOTIFICATION_SWITCHES } from './notifications/notification-switches.js';
import { ORDER_SWITCHES } from './orders/order-switches.js';
import type { SwitchDefinition } from './platform/switches/switch-registry.js';

export const KNOWN_SWITCHES: readonly SwitchDefinition[] = [...ORDER_SWITCHES, ...NOTIFICATION_SWITCHES];
