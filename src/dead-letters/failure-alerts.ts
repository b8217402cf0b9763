// Tells developers that failures arrived, so nobody has to watch the dead-letter queue: a warn log
// line with counts per actor and error code, and a JSON POST to ALERT_WEBHOOK_URL when one is set.
// An alert that cannot be delivered is logged and dropped; it never fails the batch job.
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

  async function postWebhook(url: string, alert: FailureAlert): Promise<void> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          event: 'dead_letters.stored',
          source: 'order-actors',
          at: new Date().toISOString(),
          ...alert,
          review: 'GET /admin/dead-letters/groups or `order-actors dead-letters groups`',
        }),
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      // The body is not needed; reading it frees the connection.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) logger.warn({ status: res.status }, 'the alert webhook refused the failure summary');
    } catch (err) {
      logger.warn({ err }, 'could not POST the failure summary to the alert webhook');
    }
  }

  return {
    async notify(alert: FailureAlert): Promise<void> {
      if (alert.stored === 0) return;
      logger.warn(
        { queue: alert.queue, stored: alert.stored, byCause: alert.byCause },
        `${alert.stored} failed message(s) stored; review them with GET /admin/dead-letters/groups`,
      );
      if (deps.webhookUrl) await postWebhook(deps.webhookUrl, alert);
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
