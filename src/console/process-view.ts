// The overview's processes: every process of the deployment with its role, where it runs, when it
// started and was last seen, its ZooKeeper session and the broker node of each of its connections.
import type { ProcessList, ServiceProcess } from '../process-registry/service-process.js';
import { duration, when } from './console-layout.js';
import { html, type SafeHtml } from './html.js';

function zookeeper(p: ServiceProcess): SafeHtml {
  const { state, since } = p.zookeeper;
  return html`<span class="${state === 'connected' ? 'ok' : 'status-new'}">${state}</span>
    <div class="muted when">since ${when(since)}</div>`;
}

/** Connection names repeat the process's role (order-actors-all-publish): its last word says enough here. */
function brokerNodes(p: ServiceProcess): SafeHtml[] {
  const prefix = `order-actors-${p.role}-`;
  return p.brokerNodes.map(
    (b) =>
      html`<div>
        ${b.connection.startsWith(prefix) ? b.connection.slice(prefix.length) : b.connection}: ${b.node ?? html`<span class="status-new">not connected</span>`}
      </div>`,
  );
}

function status(p: ServiceProcess): SafeHtml {
  if (p.status === 'running') return html`<span class="ok">running</span>`;
  return p.stoppedAt
    ? html`gone <span class="muted">(stopped ${when(p.stoppedAt)})</span>`
    : html`<span class="status-new">gone</span> <span class="muted">(silent)</span>`;
}

export function processTable(list: ProcessList): SafeHtml {
  return html`<table class="processes">
    <tr>
      <th>Role</th>
      <th>Host · pid</th>
      <th>Started</th>
      <th>Last seen</th>
      <th>ZooKeeper</th>
      <th>Switch values</th>
      <th>Broker nodes</th>
      <th>Status</th>
    </tr>
    ${list.processes.map(
      (p) =>
        html`<tr class="${p.status}">
          <td>${p.role}${p.id === list.answeredBy && html`<div class="muted">this one</div>`}</td>
          <td class="when">${p.host} · ${p.pid}</td>
          <td class="when">${when(p.startedAt)}</td>
          <td class="when" title="${when(p.lastSeenAt)}">${duration(p.lastSeenAgoMs)} ago</td>
          <td>${zookeeper(p)}</td>
          <td>${p.zookeeper.switchesStale ? html`<span class="status-new">stale</span>` : 'current'}</td>
          <td class="when">${brokerNodes(p)}</td>
          <td class="when">${status(p)}</td>
        </tr>`,
    )}
  </table>`;
}
