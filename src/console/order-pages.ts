// An order's timeline in the console: a search box by order id, and the order's hops, dead letters
// and operators' decisions in time order (the same lookup as GET /admin/orders/{id}/timeline).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../http/http-errors.js';
import { IdSchema } from '../platform/id-schema.js';
import type { ConsoleDeps } from './console-deps.js';
import { durationBetween, page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { html, type SafeHtml } from './html.js';

/** An event's detail as short key: value pairs, which read better than JSON in a table. */
const detailOf = (detail: Record<string, unknown>) =>
  Object.entries(detail).map(([k, v]) => html`<span class="muted">${k}:</span> <code>${typeof v === 'string' ? v : JSON.stringify(v)}</code> `);

const SearchQuery = z.object({ orderId: z.string().trim().max(200).optional() });

export function orderPages(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.get('/console/orders', async (req, reply) => {
    const orderId = SearchQuery.safeParse(req.query).data?.orderId || undefined;
    let result: SafeHtml = html``;
    if (orderId !== undefined) {
      if (!IdSchema.safeParse(orderId).success) {
        result = html`<p class="error">Order ids are 1–64 characters of A–Z, a–z, 0–9, _ or -.</p>`;
      } else {
        try {
          const t = await deps.orderTimeline(orderId);
          result = html`<h2>Order ${t.orderId}</h2>
            <dl>
              <dt>Status</dt>
              <dd><strong>${t.status}</strong></dd>
              <dt>Seller</dt>
              <dd>${t.sellerId ?? '—'}</dd>
              <dt>Trace id</dt>
              <dd><code>${t.traceId ?? '—'}</code></dd>
              <dt>Failed messages</dt>
              <dd>${t.deadLetters}</dd>
            </dl>
            <h2>Timeline (oldest first)</h2>
            <table>
              <tr>
                <th>When</th>
                <th class="num">After</th>
                <th>Who</th>
                <th>What</th>
                <th>Detail</th>
              </tr>
              ${t.events.map((e, i) => {
                const deadLetterId = e.detail.deadLetterId;
                return html`<tr>
                  <td class="when">${when(e.at)}</td>
                  <td class="num">${i === 0 ? '' : `+${durationBetween(t.events[i - 1]!.at, e.at)}`}</td>
                  <td>${e.actor}</td>
                  <td>${typeof deadLetterId === 'number' ? html`<a href="/console/failures/${deadLetterId}">${e.event}</a>` : e.event}</td>
                  <td>${detailOf(e.detail)}</td>
                </tr>`;
              })}
            </table>`;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          result = html`<p class="notice">${err.message}</p>`;
        }
      }
    }
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'orders',
        orderId ? `Order ${orderId}` : 'Orders',
        html`<h1>Orders</h1>
          <p class="lead">One order's path through the service: what each actor did, which of its messages failed, and what operators did about them.</p>
          <form class="panel" method="get" action="/console/orders">
            <label for="orderId">Order id</label>
            <input id="orderId" name="orderId" type="search" value="${orderId ?? ''}" required />
            <button type="submit">Show timeline</button>
          </form>
          ${result}`,
      ),
    );
  });
}
