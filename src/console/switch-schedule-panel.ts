// A switch's scheduled flips in the console: the pending and recent steps with their outcome, a
// form to add a step, and one to cancel what has not run. Both go through the same use case as
// POST/DELETE /admin/switches/{name}/schedule, audited with the session's actor.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../http/http-errors.js';
import { withSwitchHttpErrors } from '../switch-admin/switch-http-errors.js';
import type { ScheduleStep } from '../switch-admin/switch-schedule-repository.js';
import { ScheduleStepError } from '../switch-admin/switch-schedule.js';
import type { ConsoleDeps } from './console-deps.js';
import { parseInput } from './console-forms.js';
import { csrfField, when } from './console-layout.js';
import type { ConsoleSession, SessionOf } from './console-sessions.js';
import { doneUrl } from './done-notice.js';
import { html, type SafeHtml } from './html.js';

const NameParams = z.strictObject({ name: z.string().min(1).max(63) });
const StepForm = z.object({
  at: z.iso.datetime({ offset: true, error: 'an ISO time such as 2026-12-07T09:00:00Z' }),
  value: z.string().trim().min(1, 'the value to flip to, e.g. 50').max(100),
  reason: z.string().trim().min(1, 'say why, for the audit').max(500),
});
const CancelForm = z.object({ reason: z.string().trim().min(1, 'say why, for the audit').max(500) });

/** Five minutes from now, to the minute: a starting point the operator edits. */
const soon = () => new Date(Math.ceil((Date.now() + 5 * 60_000) / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');

/** The schedule's part of a switch page. */
export function schedulePanel(session: ConsoleSession, name: string, steps: readonly ScheduleStep[]): SafeHtml {
  const pending = steps.filter((s) => s.status === 'pending').length;
  return html`<h2>Scheduled flips</h2>
    ${
      steps.length === 0
        ? html`<p class="muted">Nothing scheduled.</p>`
        : html`<table id="schedule">
            <tr>
              <th>At</th>
              <th>Value</th>
              <th>Status</th>
              <th>Outcome</th>
              <th>By</th>
              <th>Why</th>
            </tr>
            ${steps.map(
              (s) =>
                html`<tr>
                  <td class="when">${when(s.at)}</td>
                  <td>${s.value}</td>
                  <td class="${s.status === 'skipped' ? 'status-new' : ''}">${s.status}</td>
                  <td>${s.outcome ?? ''}</td>
                  <td>${s.createdBy}</td>
                  <td>${s.reason}</td>
                </tr>`,
            )}
          </table>`
    }
    <form class="panel" method="post" action="/console/switches/${name}/schedule">
      ${csrfField(session)}
      <label for="step-at">At (UTC, ISO)</label>
      <input id="step-at" name="at" type="text" maxlength="40" required value="${soon()}" />
      <label for="step-value">flip to</label>
      <input id="step-value" name="value" type="text" maxlength="100" required />
      <label for="step-reason">Why</label>
      <input id="step-reason" name="reason" type="text" maxlength="500" required />
      <button type="submit">Schedule</button> <span class="muted">carried out by one process within seconds of its time, audited like any flip</span>
    </form>
    ${
      pending > 0 &&
      html`<form class="panel" method="post" action="/console/switches/${name}/schedule/cancel">
        ${csrfField(session)}
        <label for="cancel-reason">Why</label>
        <input id="cancel-reason" name="reason" type="text" maxlength="500" required />
        <button type="submit" class="danger">Cancel ${pending} pending step(s)</button>
      </form>`
    }`;
}

export function switchScheduleForms(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  app.post('/console/switches/:name/schedule', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const step = parseInput(StepForm, req.body);
    const by = { actor: sessionOf(req).actor, reason: step.reason };
    try {
      await withSwitchHttpErrors(deps.switches.schedule.add(name, [{ at: new Date(step.at), value: step.value }], by));
    } catch (err) {
      if (err instanceof ScheduleStepError) throw new ValidationError([{ path: err.path.replace(/^steps\.0\./, ''), message: err.message }]);
      throw err;
    }
    return reply.redirect(doneUrl(`/console/switches/${name}`, 'scheduled'), 303);
  });

  app.post('/console/switches/:name/schedule/cancel', async (req, reply) => {
    const { name } = parseInput(NameParams, req.params);
    const { reason } = parseInput(CancelForm, req.body);
    await withSwitchHttpErrors(deps.switches.schedule.cancel(name, { actor: sessionOf(req).actor, reason }));
    return reply.redirect(doneUrl(`/console/switches/${name}`, 'schedule-cancelled'), 303);
  });
}
