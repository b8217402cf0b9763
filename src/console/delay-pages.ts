// The delivery delays in the console: the newest ones with their progress (orders concerned,
// published, applied, buyers told, failed), as GET /delivery-delays/{id} reports each.
import type { FastifyInstance } from 'fastify';
import type { DelayProgress } from '../delivery-delays/delay-repository.js';
import type { ConsoleDeps } from './console-deps.js';
import { durationBetween, page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { html, type SafeHtml } from './html.js';

/** Enough to see what is running and what just ran; older delays are in the database. */
const SHOWN = 30;

/** The delays as a table, one row each with its progress; shared with the overview's running delays. */
export function delayTable(delays: readonly DelayProgress[]): SafeHtml {
  return html`<table>
    <tr>
      <th>Delay</th>
      <th>Seller</th>
      <th>Date</th>
      <th>Reason</th>
      <th class="num">Orders</th>
      <th class="num">Published</th>
      <th class="num">Applied</th>
      <th class="num">Told</th>
      <th class="num">Failed</th>
      <th>Started</th>
      <th>Took</th>
    </tr>
    ${delays.map(
      (d) =>
        html`<tr>
          <td><code>${d.delayId}</code></td>
          <td>${d.sellerId}</td>
          <td class="when">${d.requestedDeliveryDate} → ${d.newDeliveryDate}</td>
          <td>${d.reason}</td>
          <td class="num">${d.total}</td>
          <td class="num">${d.published}</td>
          <td class="num">${d.processed}</td>
          <td class="num">${d.notified}</td>
          <td class="num">${d.failed > 0 ? html`<strong class="status-new">${d.failed}</strong>` : d.failed}</td>
          <td class="when">${when(d.startedAt)}</td>
          <td class="when">${d.finishedAt ? durationBetween(d.startedAt, d.finishedAt) : html`<strong>running</strong>`}</td>
        </tr>`,
    )}
  </table>`;
}

export function delayPages(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.get('/console/delays', async (req, reply) => {
    const delays = await deps.recentDelays(SHOWN);
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'delays',
        'Delays',
        html`<h1>Delivery delays</h1>
          <p class="lead">
            The newest ${SHOWN} delays a shop announced. Published: the orders' messages sent to the actors; applied: dates moved; told: buyers the messaging
            API accepted; failed: buyers not told whose message was dead-lettered (see Failures).
          </p>
          ${delays.length === 0 ? html`<p class="muted">No delivery delay yet.</p>` : delayTable(delays)}`,
      ),
    );
  });
}
