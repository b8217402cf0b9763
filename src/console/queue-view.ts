// The overview's queues: each actor's work queue (per shard when sharded), its retry tiers and the
// dead letters, with what waits in each, who reads it, and whether it fills or drains.
import type { QueueRow } from '../platform/amqp/queue-overview.js';
import { html, type SafeHtml } from './html.js';

const NBSP = '\u00a0';

function kindOf(q: QueueRow): string {
  if (q.kind === 'retry') return `retry after ${q.delayMs! % 1_000 === 0 ? `${q.delayMs! / 1_000}${NBSP}s` : `${q.delayMs}${NBSP}ms`}`;
  if (q.kind === 'dead-letters') return 'dead letters';
  if (q.kind === 'parked') return 'parked dead letters';
  return 'work';
}

/** Signed, with one decimal below ten: +0.4/s, −12/s. */
function perSecond(rate: number): string {
  const size = Math.abs(rate);
  const figure = size < 10 ? size.toFixed(1) : Math.round(size).toString();
  if (figure === '0.0') return '0/s';
  return `${rate > 0 ? '+' : '−'}${figure}/s`;
}

/** How long a draining queue takes to empty at its present pace, as people read it. */
function emptyIn(messages: number, rate: number): string {
  const s = messages / -rate;
  return s < 90 ? `${Math.max(1, Math.round(s))}${NBSP}s` : s < 5_400 ? `${Math.round(s / 60)}${NBSP}min` : `${Math.round(s / 3_600)}${NBSP}h`;
}

function outlook(q: QueueRow): SafeHtml | string {
  const s = q.sample;
  if (!s) return html`<span class="status-new">not sampled lately</span>`;
  if (q.kind === 'work' && s.consumers === 0 && s.messages > 0) return html`<span class="status-new">nobody reads it</span>`;
  // Parked dead letters are the ones the batch job could not store: only an operator moves them on.
  if (q.kind === 'parked' && s.messages > 0)
    return html`<span class="status-new">needs an operator (could not be stored; look at them in RabbitMQ's management UI)</span>`;
  if (s.changePerSecond === undefined || s.messages === 0) return '';
  if (s.changePerSecond < 0) return `empty in ≈${NBSP}${emptyIn(s.messages, s.changePerSecond)}`;
  return s.changePerSecond > 0 ? 'filling' : '';
}

export function queueTable(queues: readonly QueueRow[]): SafeHtml {
  const sharded = queues.some((q) => q.shard !== null);
  return html`<table class="queues">
    <tr>
      <th>Actor</th>
      ${sharded && html`<th class="num">Shard</th>`}
      <th>Queue</th>
      <th>Kind</th>
      <th class="num">Ready</th>
      <th class="num">Consumers</th>
      <th class="num">Change</th>
      <th>Outlook</th>
    </tr>
    ${queues.map(
      (q) =>
        html`<tr class="${q.kind === 'work' || q.kind === 'dead-letters' ? 'first' : ''}">
          <td>${q.actor ?? '—'}</td>
          ${sharded && html`<td class="num">${q.shard ?? '—'}</td>`}
          <td class="when"><code>${q.queue}</code></td>
          <td class="when">${kindOf(q)}</td>
          <td class="num">${q.sample?.messages ?? '—'}</td>
          <td class="num">${q.sample?.consumers ?? '—'}</td>
          <td class="num when" title="${q.sample?.changeOverMs ? `net change over the last ${Math.round(q.sample.changeOverMs / 1_000)} s` : ''}">
            ${q.sample?.changePerSecond === undefined ? '—' : perSecond(q.sample.changePerSecond)}
          </td>
          <td>${outlook(q)}</td>
        </tr>`,
    )}
  </table>`;
}
