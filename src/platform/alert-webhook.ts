// Tells people through ALERT_WEBHOOK_URL: a JSON POST naming the event, its source and time, and
// the caller's fields. An alert that cannot be delivered is logged and dropped; it never fails the
// work that raised it (a batch job, a rollback).
import type { Logger } from './logger.js';

/** Long enough for a slow receiver, short enough that a hung one never holds a job up for long. */
export const ALERT_WEBHOOK_TIMEOUT_MS = 5_000;

export type AlertWebhook = { post(event: string, fields: Record<string, unknown>): Promise<void> };

export function createAlertWebhook(deps: { url: string | undefined; timeoutMs: number; logger: Logger }): AlertWebhook {
  const logger = deps.logger.child({ module: 'alert-webhook' });
  return {
    async post(event, fields) {
      if (!deps.url) return;
      try {
        const res = await fetch(deps.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ event, source: 'order-actors', at: new Date().toISOString(), ...fields }),
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
        // The body is not needed; reading it frees the connection.
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) logger.warn({ status: res.status, event }, 'the alert webhook refused the alert');
      } catch (err) {
        logger.warn({ err, event }, 'could not POST the alert to the alert webhook');
      }
    },
  };
}
