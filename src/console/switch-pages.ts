// Switches in the console: each value with its recent history, and a flip in two steps — the
// blast-radius preview of the new value first (reads only), then a confirm button that flips it
// through the same use case as PUT /admin/switches/{name}, audited with the session's actor. A
// percentage switch's page also holds its rollback guard and its scheduled flips.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../http/http-errors.js';
import { SWITCH_NAME_PATTERN } from '../platform/runtime-switches/switch-registry.js';
import { withSwitchHttpErrors } from '../switch-admin/switch-http-errors.js';
import type { ConsoleDeps } from './console-deps.js';
import { parseInput } from './console-forms.js';
import { csrfField, page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { doneNotice, doneUrl } from './done-notice.js';
import { html } from './html.js';
import { guardCell, guardOf, guardPanel, rolloutWatch, switchGuardForms } from './switch-guard-panel.js';
import { schedulePanel, switchScheduleForms } from './switch-schedule-panel.js';
import { kindLabel, throughLabel, valueLabel, valueSourceLabel } from './switch-words.js';

const NameParams = z.strictObject({ name: z.string().regex(SWITCH_NAME_PATTERN, 'a switch name such as order-rules-v2') });
const ValueForm = z.object({ value: z.string().trim().min(1, 'the new value, e.g. 30 or on').max(100) });
const FlipForm = ValueForm.extend({ reason: z.string().trim().min(1, 'say why, for the audit').max(500) });
/** How many of the newest orders a preview looks at (the REST default). */
const PREVIEW_LAST = 10_000;
const HISTORY_SHOWN = 20;

export function switchPages(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  const { admin, preview } = deps.switches;

  app.get('/console/switches', async (req, reply) => {
    const { stale, switches } = await admin.list();
    const watchOf = await rolloutWatch(deps);
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'switches',
        'Switches',
        html`<h1>Switches</h1>
          <p class="lead">Runtime switches held in ZooKeeper: percentages that move orders onto new code paths, and on/off switches that pause actors.</p>
          ${stale && html`<p class="notice">ZooKeeper is not reachable: these are the last values this process read, and flips are refused.</p>`}
          <table>
            <tr>
              <th>Switch</th>
              <th>Kind</th>
              <th>Value</th>
              <th>Default</th>
              <th>What it does</th>
              <th>Rollback guard</th>
              <th>Scheduled</th>
              <th>Last change</th>
            </tr>
            ${switches.map(
              (s) =>
                html`<tr>
                  <td class="when"><a href="/console/switches/${s.name}">${s.name}</a></td>
                  <td>${kindLabel(s.kind)}</td>
                  <td><strong>${valueLabel(s.value)}</strong>${s.rejected && html` <span class="status-new">(ignored invalid value)</span>`}</td>
                  <td>${valueLabel(s.default)}</td>
                  <td>${s.description ?? ''}</td>
                  <td>${guardCell(watchOf(s.name).guard)}</td>
                  <td>${watchOf(s.name).pending > 0 ? html`${watchOf(s.name).pending} step(s)` : html`<span class="muted">—</span>`}</td>
                  <td>${s.lastChange ? html`${when(s.lastChange.at)} by ${s.lastChange.actor}` : html`<span class="muted">never</span>`}</td>
                </tr>`,
            )}
          </table>`,
      ),
    );
  });

  app.get('/console/switches/:name', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const [s, history] = await Promise.all([withSwitchHttpErrors(admin.get(name)), withSwitchHttpErrors(admin.history(name, HISTORY_SHOWN))]);
    const [guard, schedule] = await Promise.all([guardOf(deps, name), deps.switches.schedule.of(name)]);
    const session = sessionOf(req);
    return sendHtml(
      reply,
      page(
        session,
        'switches',
        name,
        html`<p><a href="/console/switches">← All switches</a></p>
          <h1>${name}</h1>
          ${doneNotice(req.query)}
          <p class="lead">${s.description ?? ''}</p>
          <dl>
            <dt>Value</dt>
            <dd><strong>${valueLabel(s.value)}</strong> <span class="muted">(${valueSourceLabel(s.source)})</span></dd>
            <dt>Kind</dt>
            <dd>${s.kind === 'percent' ? 'percentage of orders on the new path (0–100)' : 'on / off'}</dd>
            <dt>Default</dt>
            <dd>${valueLabel(s.default)}</dd>
          </dl>
          <form class="panel" method="get" action="/console/switches/${name}/preview">
            <label for="value">New value</label>
            <input id="value" name="value" type="text" maxlength="100" required placeholder="${s.kind === 'percent' ? 'e.g. 25' : 'on or off'}" />
            <button type="submit">Preview</button> <span class="muted">shows what the flip would change; nothing is flipped yet</span>
          </form>
          ${guardPanel(session, name, s.kind, guard)} ${schedulePanel(session, name, schedule.steps)}
          <h2>Recent changes</h2>
          ${
            history.length === 0
              ? html`<p class="muted">No change recorded.</p>`
              : html`<table>
                  <tr>
                    <th>When</th>
                    <th>From</th>
                    <th>To</th>
                    <th>Who</th>
                    <th>Why</th>
                    <th>Through</th>
                  </tr>
                  ${history.map(
                    (c) =>
                      html`<tr>
                        <td class="when">${when(c.at)}</td>
                        <td>${c.oldValue === null ? '—' : valueLabel(c.oldValue)}</td>
                        <td>${valueLabel(c.newValue)}</td>
                        <td>${c.actor}</td>
                        <td>${c.reason ?? ''}</td>
                        <td>${throughLabel(c.source)}</td>
                      </tr>`,
                  )}
                </table>`
          }`,
      ),
    );
  });

  app.get('/console/switches/:name/preview', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const { value } = parseInput(ValueForm, req.query);
    const session = sessionOf(req);
    let p: Awaited<ReturnType<typeof preview>>;
    try {
      p = await withSwitchHttpErrors(preview(name, value, PREVIEW_LAST));
    } catch (err) {
      // A mistyped value is the likely slip here: say so on the page, next to the way back.
      if (!(err instanceof ValidationError)) throw err;
      const refused = html`<p><a href="/console/switches/${name}">← ${name}</a></p>
        <h1>${name} cannot take “${value}”</h1>
        ${err.issues.map((i) => html`<p class="error">${i.message}</p>`)}`;
      return sendHtml(reply, page(session, 'switches', `Preview ${name}`, refused), 400);
    }
    const details =
      p.kind === 'percent'
        ? html`<dl>
            <dt>Buckets that move</dt>
            <dd>${p.buckets.from} → ${p.buckets.to} (${p.direction.replace(/-/g, ' ')})</dd>
            <dt>Recent orders</dt>
            <dd>${p.orders.wouldChange} of the last ${p.orders.considered} would change path</dd>
            <dt>Waiting messages</dt>
            <dd>${p.waiting.messages ?? 'unknown'} waiting; ${p.waiting.wouldChange ?? 'unknown'} would change path (${p.waiting.basis})</dd>
            ${
              p.orders.sample.length > 0 &&
              html`<dt>Some of those orders</dt>
                <dd>${p.orders.sample.map((id) => html`<a href="/console/orders?orderId=${encodeURIComponent(id)}">${id}</a> `)}</dd>`
            }
          </dl>`
        : html`<dl>
            <dt>Effect</dt>
            <dd>${p.effect}${p.actor && html` of the ${p.actor} actor`}</dd>
            <dt>Waiting messages</dt>
            <dd>${p.messages ?? 'unknown'}</dd>
          </dl>`;
    return sendHtml(
      reply,
      page(
        session,
        'switches',
        `Preview ${name}`,
        html`<p><a href="/console/switches/${name}">← ${name}</a></p>
          <h1>Flip ${name}: ${String(p.current)} → ${String(p.value)}?</h1>
          <p class="lead">Preview of the blast radius. Nothing has been flipped yet.</p>
          <p>${p.message}</p>
          ${details}
          <form class="panel" method="post" action="/console/switches/${name}">
            ${csrfField(session)}<input type="hidden" name="value" value="${value}" />
            <label for="flip-reason">Why</label>
            <input id="flip-reason" name="reason" type="text" maxlength="500" required />
            <p>The flip reaches every process within seconds and is recorded with your token's fingerprint and your reason.</p>
            <button type="submit" class="danger">Flip to ${String(p.value)}</button>
            <a href="/console/switches/${name}">Cancel</a>
          </form>`,
      ),
    );
  });

  app.post('/console/switches/:name', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const { value, reason } = parseInput(FlipForm, req.body);
    await withSwitchHttpErrors(admin.set(name, value, { actor: sessionOf(req).actor, source: 'console', reason }));
    return reply.redirect(doneUrl(`/console/switches/${name}`, 'flipped'), 303);
  });

  switchGuardForms(app, deps, sessionOf);
  switchScheduleForms(app, deps, sessionOf);
}
