// The switches: read from ZooKeeper before any actor starts (so a pause switch that is on keeps
// its actor from consuming at all), their changes audited, exported as metrics, and administered
// over /admin/switches, with flips scheduled ahead and rollback guards (the admin use cases and the
// preview are returned for the operator console, the tally of path outcomes for the actors).
import { KNOWN_SWITCHES } from '../known-switches.js';
import type { OrderRepository } from '../orders/order-repository.js';
import { ALERT_WEBHOOK_TIMEOUT_MS, createAlertWebhook } from '../platform/alert-webhook.js';
import type { ChannelSource } from '../platform/amqp/broker-probes.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import { createPathOutcomes } from '../platform/runtime-switches/path-outcomes.js';
import { rememberSwitchesFromAudit } from '../switch-admin/remembered-switches.js';
import { createSwitchAdmin } from '../switch-admin/switch-admin.js';
import { recordObservedSwitchChanges } from '../switch-admin/switch-change-recorder.js';
import { createSwitchChangeRepository } from '../switch-admin/switch-change-repository.js';
import { createSwitchGuardRepository } from '../switch-admin/switch-guard-repository.js';
import { switchGuardRoutes } from '../switch-admin/switch-guard-routes.js';
import { startSwitchGuards } from '../switch-admin/switch-guard-runner.js';
import { createSwitchGuardAdmin } from '../switch-admin/switch-guard.js';
import { exportSwitchMetrics } from '../switch-admin/switch-metrics.js';
import { switchRoutes } from '../switch-admin/switch-routes.js';
import { createSwitchScheduleRepository } from '../switch-admin/switch-schedule-repository.js';
import { switchScheduleRoutes } from '../switch-admin/switch-schedule-routes.js';
import { createSwitchScheduleAdmin, startSwitchSchedule } from '../switch-admin/switch-schedule.js';
import { createZookeeperSwitches } from '../switch-admin/zookeeper-switches.js';
import { switchPreview } from './operator-console.js';
import type { Wiring } from './wiring.js';

export async function wireSwitches(
  { config, logger, shutdown, metrics, routes }: Wiring,
  deps: { db: Db; orders: OrderRepository; topology: Topology; broker: ChannelSource },
) {
  const { db } = deps;
  const switches = createZookeeperSwitches(config, KNOWN_SWITCHES, logger, { onInvalidValue: (name) => metrics.switchInvalid.inc({ name }) });
  const switchChanges = createSwitchChangeRepository();
  recordObservedSwitchChanges({ db, switches, changes: switchChanges, logger });
  const stopSwitchMetrics = exportSwitchMetrics({ switches, metrics });
  shutdown.add('switches', () => {
    stopSwitchMetrics();
    return switches.close();
  });
  const { synced } = await switches.start();
  await rememberSwitchesFromAudit({ db, switches, changes: switchChanges, logger, synced });
  // The blast-radius preview counts stored orders and waiting messages: it crosses features, wired in operator-console.ts.
  const preview = switchPreview({ db, switches, definitions: KNOWN_SWITCHES, orders: deps.orders, topology: deps.topology, broker: deps.broker });
  const admin = createSwitchAdmin({ db, switches, changes: switchChanges });
  routes.push(switchRoutes({ admin, preview, adminToken: config.ADMIN_TOKEN }));
  // Scheduled flips: every process polls, and a step's row lock lets exactly one of them run it.
  const schedule = createSwitchScheduleRepository();
  const scheduleAdmin = createSwitchScheduleAdmin({ db, switches, schedule });
  routes.push(switchScheduleRoutes({ schedule: scheduleAdmin, adminToken: config.ADMIN_TOKEN }));
  // Rollback guards: the actors count each path's outcomes in memory; every process adds its counts
  // to the shared ones each second, and a guard's row lock lets one process judge and trip it.
  const pathOutcomes = createPathOutcomes();
  const alerts = createAlertWebhook({ url: config.ALERT_WEBHOOK_URL, timeoutMs: ALERT_WEBHOOK_TIMEOUT_MS, logger });
  const guardRepository = createSwitchGuardRepository();
  const guardAdmin = createSwitchGuardAdmin({ db, switches, guards: guardRepository });
  routes.push(switchGuardRoutes({ guards: guardAdmin, adminToken: config.ADMIN_TOKEN }));
  const guards = startSwitchGuards({
    db,
    switches,
    changes: switchChanges,
    guards: guardRepository,
    outcomes: pathOutcomes,
    alerts,
    metrics,
    logger,
    intervalMs: config.SWITCH_GUARD_INTERVAL_MS,
  });
  shutdown.add('rollback guards', () => guards.stop());
  const runner = startSwitchSchedule({ db, switches, changes: switchChanges, schedule, guards, alerts, logger, intervalMs: config.SWITCH_SCHEDULE_POLL_MS });
  shutdown.add('switch schedule', () => runner.stop());
  return { switches, admin, preview, guardAdmin, scheduleAdmin, pathOutcomes };
}
