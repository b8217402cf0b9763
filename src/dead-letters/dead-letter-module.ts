// Wires the dead-letter side for the service: its own broker connection for the batch job (a
// publisher blocked by a broker alarm must not stop failures from being drained), the scheduled job
// (the drain, then data retention under the same lock) when this process runs the 'dead-letters'
// role, and the use cases the admin routes call.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { createRetentionJob, retentionSettings } from '../data-retention/retention-job.js';
import { retentionRoutes } from '../data-retention/retention-routes.js';
import { createRetentionRunRepository } from '../data-retention/retention-run-repository.js';
import { createOrderRepository } from '../orders/order-repository.js';
import { ALERT_WEBHOOK_TIMEOUT_MS } from '../platform/alert-webhook.js';
import { createAmqpConnection } from '../platform/amqp/connection.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { ActorName, Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { SwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { Shutdown } from '../platform/shutdown.js';
import { createDeadLetterDrainer, startDrainSchedule } from './dead-letter-drainer.js';
import { deadLetterRoutes } from './dead-letter-routes.js';
import { HTTP_PROBE_WAIT_MAX_MS } from './dead-letter-schemas.js';
import { createDeadLetterService, retryChainMs } from './dead-letter-service.js';
import { createFailedMessageRepository } from './failed-message-repository.js';
import { createFailedMessageRetention } from './failed-message-retention.js';
import { createFailureAlerts } from './failure-alerts.js';
import type { ReplayCheck } from './replay-check.js';
import { createReplayDryRun } from './replay-dry-run.js';

export type ReplayPreview = { replayChecks: Partial<Record<ActorName, ReplayCheck>>; switchValue: (name: string) => SwitchValue | undefined };

export async function startDeadLetters(deps: {
  config: Config;
  db: Db;
  publisher: Pick<Publisher, 'publish'>;
  topology: Topology;
  logger: Logger;
  shutdown: Shutdown;
  /** Run the batch job on DEAD_LETTER_BATCH_INTERVAL_MS (the 'dead-letters' role); otherwise it runs on demand only. */
  schedule: boolean;
}) {
  const { config, db, logger } = deps;
  // A dead letter carries our failure headers on top of the message's own, so the batch job reads
  // headers up to four times what an actor accepts before it drops them.
  const connection = await createAmqpConnection({
    url: config.AMQP_URL,
    name: `order-actors-${config.ROLE}-dead-letters`,
    heartbeatS: config.AMQP_HEARTBEAT_S,
    maxHeaderBytes: 4 * config.MESSAGE_MAX_HEADER_BYTES,
    logger,
  });
  deps.shutdown.add('dead-letter connection', () => connection.close());
  const repository = createFailedMessageRepository();
  const alerts = createFailureAlerts({ webhookUrl: config.ALERT_WEBHOOK_URL, timeoutMs: ALERT_WEBHOOK_TIMEOUT_MS, logger });
  const drainer = createDeadLetterDrainer({ db, connection, topology: deps.topology, repository, alerts, logger });
  const runs = createRetentionRunRepository();
  const retention = createRetentionJob({
    db,
    lockName: drainer.lockName,
    locks: repository,
    failedMessages: createFailedMessageRetention(),
    orders: createOrderRepository(),
    runs,
    settings: retentionSettings(config),
    logger,
  });
  if (deps.schedule) {
    const job = startDrainSchedule({ drainer, steps: [retention], intervalMs: config.DEAD_LETTER_BATCH_INTERVAL_MS, logger });
    deps.shutdown.add('dead-letter batch job', () => job.stop());
  }
  const service = createDeadLetterService({ db, repository, publisher: deps.publisher, drain: () => drainer.drain(), topology: deps.topology, logger });
  /** A bulk replay's default wait for its first messages: the retry chain, capped for HTTP. */
  const probeWaitMs = Math.min(retryChainMs(config.RETRY_DELAYS_MS, config.MAX_ATTEMPTS), HTTP_PROBE_WAIT_MAX_MS);
  /**
   * A replay's dry run judges messages as each actor would: the features supply those checks, and
   * the switches' values shown beside the paths they pick.
   */
  const replayDryRun = (preview: ReplayPreview) =>
    createReplayDryRun({ db, repository, topology: deps.topology, checks: preview.replayChecks, switchValue: preview.switchValue });
  return {
    service,
    replayDryRun,
    probeWaitMs,
    /** An order's failed messages, oldest first, with their replays and discards: for its timeline. */
    failuresOf: (orderId: string) => repository.forOrder(db, orderId),
    connection,
    retention,
    /** The admin REST routes over this service and the retention audit (registered by processes that serve HTTP intake). */
    routes: (preview: ReplayPreview) => async (app: FastifyInstance) => {
      await deadLetterRoutes({ service, dryRun: replayDryRun(preview), adminToken: config.ADMIN_TOKEN, probeWaitMs })(app);
      await retentionRoutes({ db, runs, adminToken: config.ADMIN_TOKEN })(app);
    },
  };
}
