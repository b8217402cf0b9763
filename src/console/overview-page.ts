// The console's front page: the state of the whole system at a glance (queues, processes, running
// delays, open failures, switches), refreshed in place every few seconds by the console's script,
// which asks for `/console?fragment=1` (the same content without the page around it).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConsoleDeps } from './console-deps.js';
import { parseInput } from './console-forms.js';
import { page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { delayTable } from './delay-pages.js';
import { groupTable } from './failure-pages.js';
import { html, type SafeHtml } from './html.js';
import { processTable } from './process-view.js';
import { queueTable } from './queue-view.js';
import { rolloutWatch } from './switch-guard-panel.js';
import { valueLabel, valueSourceLabel } from './switch-words.js';

const OverviewQuery = z.object({ fragment: z.literal('1').optional() });

/** Seconds between refreshes: enough to watch a queue drain, little load for a page left open all day. */
export const REFRESH_MS = 5_000;

/** Delays looked at for the running ones: a running delay is among the newest. */
const RECENT_DELAYS = 30;

type SwitchList = Awaited<ReturnType<ConsoleDeps['switches']['admin']['list']>>['switches'];

/** Each switch's value at a glance, its default said only where it differs; the rest is on the Switches page. */
function switchList(switches: SwitchList): SafeHtml {
  const value = (s: SwitchList[number]) => {
    // Where the value comes from matters only when it is not ZooKeeper's (remembered, or the code default).
    const notes = [s.value !== s.default ? `default ${valueLabel(s.default)}` : '', s.source !== 'store' ? valueSourceLabel(s.source) : '']
      .filter(Boolean)
      .join(', ');
    return html`<strong>${valueLabel(s.value)}</strong>${notes && html` <span class="muted">(${notes})</span>`}`;
  };
  const change = (s: SwitchList[number]) =>
    s.lastChange ? html`<span class="muted">· ${when(s.lastChange.at)} by ${s.lastChange.actor}</span>` : html`<span class="muted">· never changed</span>`;
  return html`<dl>
    ${switches.map(
      (s) =>
        html`<dt><a href="/console/switches/${s.name}">${s.name}</a></dt>
          <dd>${value(s)} ${change(s)}</dd>`,
    )}
  </dl>`;
}

async function liveContent(deps: ConsoleDeps): Promise<SafeHtml> {
  const [switches, groups, processes, delays] = await Promise.all([
    deps.switches.admin.list(),
    deps.deadLetters.service.groups({ status: 'new' }, 50),
    deps.processes(),
    deps.recentDelays(RECENT_DELAYS),
  ]);
  const watchOf = await rolloutWatch(deps);
  const tripped = switches.switches.flatMap((s) => {
    const { guard } = watchOf(s.name);
    return guard?.state === 'tripped' ? [guard] : [];
  });
  const queues = deps.queues();
  const open = groups.reduce((sum, g) => sum + g.open, 0);
  const running = delays.filter((d) => !d.finishedAt);
  const alive = processes.processes.filter((p) => p.status === 'running').length;
  const work = queues.filter((q) => q.kind === 'work');
  // A sum over queues some of which are unknown would read as a fact: better say nothing.
  const waiting = work.every((q) => q.sample) ? work.reduce((sum, q) => sum + q.sample!.messages, 0) : '—';
  return html`<p class="muted">As of ${when(new Date().toISOString())}.</p>
    ${switches.stale && html`<p class="notice">ZooKeeper is not reachable: these are the last switch values this process read.</p>`}
    ${tripped.map((g) => {
      const trip = g.trip as { from: number; to: number } | null;
      return html`<p class="error">
        The rollback guard of <a href="/console/switches/${g.name}">${g.name}</a> rolled it back ${trip ? `from ${trip.from} % to ${trip.to} %` : ''} at
        ${when(g.trippedAt)}; it stays disarmed until someone re-arms it.
      </p>`;
    })}
    <div class="summary">
      <div><strong>${waiting}</strong>message(s) waiting for an actor</div>
      <div><strong>${alive}</strong>process(es) running</div>
      <div><strong>${running.length}</strong>delay(s) running</div>
      <div><strong>${open}</strong>open failed message(s)</div>
      <div><strong>${groups.length}</strong>cause(s)</div>
      <div><strong>${switches.switches.length}</strong>switch(es)</div>
    </div>
    <h2>Queues</h2>
    <p class="muted">
      Ready: messages waiting for a consumer (those delivered and not yet acknowledged are not counted). Change: the net change per second over the last ten
      samples (one a second; one every five seconds for the retry tiers), as this process sampled them.
    </p>
    ${queueTable(queues)}
    <h2>Processes</h2>
    <p class="muted">Each process writes its row every few seconds; one that misses four in a row, or stopped, is gone.</p>
    ${processes.processes.length === 0 ? html`<p class="muted">No process has reported yet.</p>` : processTable(processes)}
    <h2>Running delays</h2>
    ${running.length === 0 ? html`<p class="ok">No delivery delay is running.</p>` : delayTable(running)}
    <h2>Open failures by cause</h2>
    ${groups.length === 0 ? html`<p class="ok">No open failures.</p>` : groupTable(groups)}
    <h2>Switches</h2>
    ${switchList(switches.switches)}`;
}

export function overviewPage(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.get('/console', async (req, reply) => {
    const { fragment } = parseInput(OverviewQuery, req.query);
    const content = await liveContent(deps);
    if (fragment) return sendHtml(reply, content);
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'overview',
        'Overview',
        html`<h1>Overview</h1>
          <p class="lead">The queues, the processes, running delays, open failures and the switches, as this process sees them.</p>
          <p id="refresh" class="refresh" hidden>
            <span id="refresh-status" class="muted"></span> <button type="button" id="refresh-toggle" class="secondary">Pause</button>
          </p>
          <div id="live" data-refresh="/console?fragment=1" data-every="${REFRESH_MS}">${content}</div>`,
      ),
    );
  });
}
