// A percentage switch's rollback guard in the console: its state and the live figures of its
// window, its events, a form to arm (or re-arm) it and one to disarm it. The forms go through the
// same use case as PUT/DELETE /admin/switches/{name}/guard, audited with the session's actor.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../http/http-errors.js';
import type { SwitchGuard as StoredGuard } from '../switch-admin/switch-guard-repository.js';
import { withGuardHttpErrors } from '../switch-admin/switch-guard-routes.js';
import { GuardSettingsSchema } from '../switch-admin/switch-guard-rules.js';
import type { GuardView } from '../switch-admin/switch-guard.js';
import type { ConsoleDeps } from './console-deps.js';
import { parseInput } from './console-forms.js';
import { csrfField, when } from './console-layout.js';
import type { ConsoleSession, SessionOf } from './console-sessions.js';
import { doneUrl } from './done-notice.js';
import { html, type SafeHtml } from './html.js';

const NameParams = z.strictObject({ name: z.string().min(1).max(63) });
const optionalInt = z.preprocess((v) => (v === '' || v === undefined ? undefined : Number(v)), z.number().int().optional());
/** The form speaks in percent (5 for 5%), the API in shares (0.05). */
const ArmForm = z.object({
  maxFailurePercent: z.coerce.number().min(0, 'a percentage from 0 to 99').lt(100, 'a percentage from 0 to 99'),
  window: z.string().trim(),
  minMessages: optionalInt,
  rollbackTo: optionalInt,
  reason: z.string(),
});
const DisarmForm = z.object({ reason: z.string().trim().min(1, 'say why, for the audit').max(500) });

/** The guard of `name`, or undefined when it has none. */
export async function guardOf(deps: ConsoleDeps, name: string): Promise<GuardView | undefined> {
  try {
    return await withGuardHttpErrors(deps.switches.guards.of(name));
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** Each switch's guard and its pending scheduled steps, for the lists that show every switch (two queries for all). */
export async function rolloutWatch(deps: ConsoleDeps): Promise<(name: string) => { guard: StoredGuard | undefined; pending: number }> {
  const [guards, pending] = await Promise.all([deps.switches.guards.all(), deps.switches.schedule.pendingCounts()]);
  return (name) => ({ guard: guards.get(name), pending: pending.get(name) ?? 0 });
}

/** The guard's state in a table cell. */
export function guardCell(guard: StoredGuard | undefined): SafeHtml {
  if (!guard) return html`<span class="muted">—</span>`;
  if (guard.state === 'tripped') return html`<span class="status-new">tripped ${when(guard.trippedAt)}</span>`;
  return html`<span class="ok">armed</span>`;
}

const VERDICTS = {
  waiting: 'waiting for enough messages on the new path',
  healthy: 'healthy',
  held: 'holding: the old path fails about as much (an outage?)',
  trip: 'over the limit: rolling back',
} as const;

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);
const path = (p: { ok: number; failed: number; rate: number | null }) => `${p.failed} of ${p.ok + p.failed} failed (${pct(p.rate)})`;

function armForm(session: ConsoleSession, name: string, guard: GuardView | undefined): SafeHtml {
  return html`<form class="panel" method="post" action="/console/switches/${name}/guard">
    ${csrfField(session)}
    <label for="maxFailurePercent">Roll back when the new path fails more than the old by (%)</label>
    <input
      id="maxFailurePercent"
      name="maxFailurePercent"
      type="number"
      min="0"
      max="99"
      step="0.1"
      required
      value="${guard ? String(Number((guard.maxFailureRate * 100).toFixed(1))) : '5'}"
    />
    <label for="window">over the last</label>
    <input id="window" name="window" type="text" maxlength="8" required value="${guard?.window ?? '5m'}" />
    <label for="minMessages">once the new path has at least</label>
    <input id="minMessages" name="minMessages" type="number" min="1" required value="${String(guard?.minMessages ?? 50)}" />
    <span class="muted">messages</span>
    <label for="rollbackTo">back to (%)</label>
    <input
      id="rollbackTo"
      name="rollbackTo"
      type="number"
      min="0"
      max="100"
      placeholder="value now"
      value="${guard?.rollbackTo === null || !guard ? '' : String(guard.rollbackTo)}"
    />
    <label for="guard-reason">Why</label>
    <input id="guard-reason" name="reason" type="text" maxlength="500" required />
    <button type="submit">${guard ? 'Re-arm the guard' : 'Arm the guard'}</button>
  </form>`;
}

/** The guard's part of a switch page. */
export function guardPanel(session: ConsoleSession, name: string, kind: string, guard: GuardView | undefined): SafeHtml {
  if (kind !== 'percent') return html``;
  if (!guard) {
    return html`<h2>Rollback guard</h2>
      <p class="muted">No guard. Armed, it flips this switch back by itself when the orders on the new path fail more than those on the old path.</p>
      ${armForm(session, name, undefined)}`;
  }
  const trip = guard.trip as { from: number; to: number; check: { because: string }; flipped?: boolean; outcome?: string } | null;
  return html`<h2>Rollback guard</h2>
    ${
      guard.state === 'tripped' && trip
        ? html`<p class="error" id="guard-state">
            <strong>Tripped</strong> ${when(guard.trippedAt)}:
            ${trip.flipped === false ? `rolling back ${trip.from} → ${trip.to}` : trip.outcome?.startsWith('left') ? trip.outcome : `rolled back ${trip.from} → ${trip.to}`}
            because ${trip.check.because}. It stays disarmed until you re-arm it.
          </p>`
        : html`<p class="ok" id="guard-state"><strong>Armed</strong> since ${when(guard.armedAt)} by ${guard.armedBy}: ${guard.reason}</p>`
    }
    <dl>
      <dt>Limit</dt>
      <dd>
        rolls back when the new path's failure rate is above ${pct(guard.maxFailureRate)} and that many percentage points above the old path's, over the last
        ${guard.window}, once the new path has ${guard.minMessages} messages
      </dd>
      <dt>${guard.state === 'tripped' ? 'Since it was armed' : 'Now'} (window from ${when(guard.now.since)})</dt>
      <dd>
        new path ${path(guard.now.newPath)}; old path ${path(guard.now.oldPath)} —
        <strong>${guard.state === 'tripped' ? 'not judged: disarmed until re-armed' : VERDICTS[guard.now.verdict]}</strong>
      </dd>
    </dl>
    ${armForm(session, name, guard)}
    <form class="panel" method="post" action="/console/switches/${name}/guard/disarm">
      ${csrfField(session)}
      <label for="disarm-reason">Why</label>
      <input id="disarm-reason" name="reason" type="text" maxlength="500" required />
      <button type="submit" class="danger">Disarm the guard</button>
    </form>
    <table>
      <tr>
        <th>When</th>
        <th>What</th>
        <th>Who</th>
      </tr>
      ${guard.events.map(
        (e) =>
          html`<tr>
            <td class="when">${when(e.at)}</td>
            <td>${e.action}</td>
            <td>${e.actor}</td>
          </tr>`,
      )}
    </table>`;
}

export function switchGuardForms(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.post('/console/switches/:name/guard', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const form = parseInput(ArmForm, req.body);
    const settings = parseInput(GuardSettingsSchema, {
      maxFailureRate: form.maxFailurePercent / 100,
      window: form.window,
      ...(form.minMessages === undefined ? {} : { minMessages: form.minMessages }),
      ...(form.rollbackTo === undefined ? {} : { rollbackTo: form.rollbackTo }),
      reason: form.reason,
    });
    await withGuardHttpErrors(deps.switches.guards.arm(name, settings, sessionOf(req).actor));
    return reply.redirect(doneUrl(`/console/switches/${name}`, 'guard-armed'), 303);
  });

  app.post('/console/switches/:name/guard/disarm', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const { reason } = parseInput(DisarmForm, req.body);
    await withGuardHttpErrors(deps.switches.guards.disarm(name, { actor: sessionOf(req).actor, reason }));
    return reply.redirect(doneUrl(`/console/switches/${name}`, 'guard-disarmed'), 303);
  });
}
