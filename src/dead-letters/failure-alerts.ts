// Tells developers that failures arrived, so nobody has to watch the dead-letter queue: a warn log
// line with counts per actor and error code, and a JSON POST to ALERT_WEBHOOK_URL when one is set.
// An alert that cannot be delivered is logged and dropped; it never fails the batch job.
import { createAlertWebhook } from '../platform/alert-webhook.js';
import type { Logger } from '../platform/logger.js';

export type FailureCount = { actor: string; errorCode: string; count: number };

export type FailureAlert = {
  /** The dead-letter queue the failures came from. */
  queue: string;
  stored: number;
  byCause: FailureCount[];
};

export type FailureAlerts = ReturnType<typeof createFailureAlerts>;

export function createFailureAlerts(deps: { webhookUrl: string | undefined; timeoutMs: number; logger: Logger }) {
  const logger = deps.logger.child({ module: 'failure-alerts' });
  const webhook = createAlertWebhook({ url: deps.webhookUrl, timeoutMs: deps.timeoutMs, logger });

  return {
    async notify(alert: FailureAlert): Promise<void> {
      if (alert.stored === 0) return;
      logger.warn(
        { queue: alert.queue, stored: alert.stored, byCause: alert.byCause },
        `${alert.stored} failed message(s) stored; review them with GET /admin/dead-letters/groups`,
      );
      await webhook.post('dead_letters.stored', { ...alert, review: 'GET /admin/dead-letters/groups or `order-actors dead-letters groups`' });
    },
  };
}

/** Counts per actor and error code, most frequent first. */
export function countByCause(rows: ReadonlyArray<{ actor: string; errorCode: string }>): FailureCount[] {
  const counts = new Map<string, FailureCount>();
  for (const r of rows) {
    const key = `${r.actor}\u0000${r.errorCode}`;
    const c = counts.get(key) ?? { actor: r.actor, errorCode: r.errorCode, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.actor.localeCompare(b.actor) || a.errorCode.localeCompare(b.errorCode));
}
