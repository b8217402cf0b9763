// The frame every signed-in console page shares: a navigation bar, the sign-out form (a POST with
// the session's CSRF token) and the page's content, linking only the console's own stylesheet.
import type { FastifyReply } from 'fastify';
import type { ConsoleSession } from './console-sessions.js';
import { html, type SafeHtml } from './html.js';

export type ConsoleSection = 'overview' | 'failures' | 'switches' | 'orders' | 'delays';

const SECTIONS: ReadonlyArray<{ section: ConsoleSection; href: string; label: string }> = [
  { section: 'overview', href: '/console', label: 'Overview' },
  { section: 'failures', href: '/console/failures', label: 'Failures' },
  { section: 'switches', href: '/console/switches', label: 'Switches' },
  { section: 'orders', href: '/console/orders', label: 'Orders' },
  { section: 'delays', href: '/console/delays', label: 'Delays' },
];

export function document(title: string, header: SafeHtml, content: SafeHtml): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · order-actors console</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        ${header}
        <main>${content}</main>
      </body>
    </html>`;
}

/** The hidden field every state-changing form carries. */
export const csrfField = (session: ConsoleSession) => html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />`;

/** A duration as people read it (`51 ms`, `1.2 s`, `3 min`). */
export function duration(ms: number): string {
  // A no-break space keeps the figure and its unit on one line.
  return ms < 1_000 ? `${ms}\u00a0ms` : ms < 120_000 ? `${(ms / 1_000).toFixed(1)}\u00a0s` : `${Math.round(ms / 60_000)}\u00a0min`;
}

/** A duration between two ISO times as people read it; empty when unknown. */
export function durationBetween(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? duration(ms) : '';
}

export function page(session: ConsoleSession, section: ConsoleSection, title: string, content: SafeHtml): SafeHtml {
  const nav = SECTIONS.map((s) => html`<a href="${s.href}" class="${s.section === section ? 'here' : ''}">${s.label}</a>`);
  const header = html`<header>
    <span class="brand">order-actors console</span>
    ${nav}
    <form method="post" action="/console/sign-out">${csrfField(session)}<button type="submit">Sign out</button></form>
  </header>`;
  return document(title, header, content);
}

export function sendHtml(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

/** Times as operators read them in logs and the REST API: ISO 8601 in UTC, to the second. */
export const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
