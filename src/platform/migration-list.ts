// Every migration, by name, in the order they apply. Listed explicitly (not read from the folder) so
// the same code runs compiled, under tsx and under vitest. Add a new migration's line at the end.
import type { Migration } from 'kysely';
import * as orders from '../../migrations/2026-11-27T0900-orders.js';
import * as switchChanges from '../../migrations/2026-11-27T0930-switch-changes.js';
import * as failedMessages from '../../migrations/2026-11-27T0940-failed-messages.js';
import * as deliveryDelays from '../../migrations/2026-11-27T0950-delivery-delays.js';
import * as sellerKeys from '../../migrations/2026-11-27T1000-seller-keys.js';
import * as delayOrdersByOrder from '../../migrations/2026-11-27T1300-delay-orders-by-order.js';
import * as ordersLastDelay from '../../migrations/2026-11-27T1400-orders-last-delay.js';
import * as leanOrderHistory from '../../migrations/2026-12-06T0900-lean-order-history.js';
import * as delayMarksInPlace from '../../migrations/2026-12-06T1000-delay-marks-in-place.js';
import * as delayEventsFromMarks from '../../migrations/2026-12-06T1100-delay-events-from-marks.js';
import * as dataRetention from '../../migrations/2026-12-07T0900-data-retention.js';
import * as notificationSigningKeys from '../../migrations/2026-12-07T1100-notification-signing-keys.js';
import * as sellerRateLimits from '../../migrations/2026-12-07T1200-seller-rate-limits.js';
import * as switchSchedules from '../../migrations/2026-12-07T1300-switch-schedules.js';
import * as switchChangesFromConsole from '../../migrations/2026-12-07T1400-switch-changes-from-console.js';
import * as switchGuards from '../../migrations/2026-12-08T0900-switch-guards.js';
import * as serviceProcesses from '../../migrations/2026-12-08T1000-service-processes.js';
import * as switchChangeReasons from '../../migrations/2026-12-08T1100-switch-change-reasons.js';

export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-27T0900-orders': orders,
  '2026-11-27T0940-failed-messages': failedMessages,
  '2026-11-27T0950-delivery-delays': deliveryDelays,
  '2026-11-27T0930-switch-changes': switchChanges,
  '2026-11-27T1000-seller-keys': sellerKeys,
  '2026-11-27T1300-delay-orders-by-order': delayOrdersByOrder,
  '2026-11-27T1400-orders-last-delay': ordersLastDelay,
  '2026-12-06T0900-lean-order-history': leanOrderHistory,
  '2026-12-06T1000-delay-marks-in-place': delayMarksInPlace,
  '2026-12-06T1100-delay-events-from-marks': delayEventsFromMarks,
  '2026-12-07T0900-data-retention': dataRetention,
  '2026-12-07T1100-notification-signing-keys': notificationSigningKeys,
  '2026-12-07T1200-seller-rate-limits': sellerRateLimits,
  '2026-12-07T1300-switch-schedules': switchSchedules,
  '2026-12-07T1400-switch-changes-from-console': switchChangesFromConsole,
  '2026-12-08T0900-switch-guards': switchGuards,
  '2026-12-08T1000-service-processes': serviceProcesses,
  '2026-12-08T1100-switch-change-reasons': switchChangeReasons,
};
