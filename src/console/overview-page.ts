// The console's front page: what is switched how, and which failures are open, at a glance.
import type { FastifyInstance } from 'fastify';
import type { ConsoleDeps } from './console-deps.js';
import { page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { html } from './html.js';

export function overviewPage(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.get('/console', async (req, reply) => {
    const [switches, groups] = await Promise.all([deps.switches.admin.list(), deps.deadLetters.service.groups({ status: 'new' }, 50)]);
    const open = groups.reduce((sum, g) => sum + g.open, 0);
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'overview',
        'Overview',
        html`<h1>Overview</h1>
          <p class="lead">The switches in effect on this process and the failed messages still waiting for a decision.</p>
          ${switches.stale && html`<p class="notice">ZooKeeper is not reachable: these are the last values this process read.</p>`}
          <div class="summary">
            <div><strong>${open}</strong>open failed message(s)</div>
            <div><strong>${groups.length}</strong>cause(s)</div>
            <div><strong>${switches.switches.length}</strong>switch(es)</div>
          </div>
          <h2>Open failures by cause</h2>
          ${
            groups.length === 0
              ? html`<p class="ok">No open failures.</p>`
              : html`<table>
                  <tr>
                    <th>Actor</th>
                    <th>Error</th>
                    <th class="num">Open</th>
                    <th>Last seen</th>
                    <th>Sample message</th>
                  </tr>
                  ${groups.map(
                    (g) =>
                      html`<tr>
                        <td>${g.actor}</td>
                        <td><a href="/console/failures/groups/${g.groupId}">${g.errorCode}</a></td>
                        <td class="num">${g.open}</td>
                        <td class="when">${when(g.lastSeen)}</td>
                        <td>${g.message}</td>
                      </tr>`,
                  )}
                </table>`
          }
          <h2>Switches</h2>
          <table>
            <tr>
              <th>Switch</th>
              <th>Value</th>
              <th>Default</th>
              <th>Last change</th>
            </tr>
            ${switches.switches.map(
              (s) =>
                html`<tr>
                  <td class="when"><a href="/console/switches/${s.name}">${s.name}</a></td>
                  <td><strong>${String(s.value)}</strong>${s.source !== 'store' && html` <span class="muted">(${s.source})</span>`}</td>
                  <td>${String(s.default)}</td>
                  <td>${s.lastChange ? html`${when(s.lastChange.at)} by ${s.lastChange.actor}` : html`<span class="muted">never</span>`}</td>
                </tr>`,
            )}
          </table>
          <h2>Queues</h2>
          <p>Queue depths per actor and shard are in the metrics (<code>order_actors_queue_depth</code> at <a href="/metrics">/metrics</a>).</p>`,
      ),
    );
  });
}
