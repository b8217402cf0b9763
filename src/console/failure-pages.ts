// Failed messages in the console: causes (groups), a cause's messages, one message in full, and
// the decisions on them — a replay's dry run, then the replay with the same selection, or a
// discard with its reason — through the dead-letter use cases the REST API calls, audited alike.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ReplaySelection } from '../dead-letters/bulk-replay.js';
import { DiscardBodySchema, IdParamsSchema, RatePerSecondSchema } from '../dead-letters/dead-letter-schemas.js';
import type { FailedMessageSummary, FailureGroup } from '../dead-letters/failed-message.js';
import { FINGERPRINT_PATTERN } from '../dead-letters/failure-fingerprint.js';
import { abortedWhenCallerLeaves, allowLongAnswer } from '../http/long-answer.js';
import type { ConsoleDeps } from './console-deps.js';
import { parseInput } from './console-forms.js';
import { csrfField, page, sendHtml, when } from './console-layout.js';
import type { SessionOf } from './console-sessions.js';
import { doneNotice, doneUrl } from './done-notice.js';
import { dryRunView, replayReportView } from './dry-run-view.js';
import { html, type SafeHtml } from './html.js';

const GroupParams = z.strictObject({ groupId: z.string().regex(FINGERPRINT_PATTERN, 'a group id from the failures page') });
/** A replay's selection as the forms carry it: one group, or one message. */
const SelectionForm = z
  .object({ groupId: z.string().regex(FINGERPRINT_PATTERN).optional(), id: z.coerce.number().int().min(1).optional() })
  .refine((f) => (f.groupId === undefined) !== (f.id === undefined), { message: 'send a groupId or an id', path: ['groupId'] });
const DiscardForm = DiscardBodySchema.extend({ _csrf: z.string() }).strip();
/**
 * A failed message's status in the console's words: "open" is what the lists and counts call a
 * message still waiting for a replay or a discard (the API's `new`).
 */
const STATUS_WORDS: Record<FailedMessageSummary['status'], string> = { new: 'open', replayed: 'replayed', discarded: 'discarded' };

/** The replay form's pace, as REST's ratePerSecond; left empty, as fast as the broker confirms. */
const PaceForm = z.object({
  ratePerSecond: z
    .union([z.literal('').transform(() => undefined), z.coerce.number({ error: 'messages per second, a number such as 5 or 0.5' }).pipe(RatePerSecondSchema)])
    .optional(),
});

/** Bulk replays in the console take the REST defaults: five go first, up to a thousand in all. */
const PROBE_SIZE = 5;
const REPLAY_LIMIT = 1_000;

function selectionOf(req: FastifyRequest): { selection: ReplaySelection; fields: SafeHtml; label: string; back: string } {
  const form = parseInput(SelectionForm, req.body);
  if (form.groupId !== undefined) {
    return {
      selection: { groupId: form.groupId },
      fields: html`<input type="hidden" name="groupId" value="${form.groupId}" />`,
      label: `the open messages of group ${form.groupId}`,
      back: `/console/failures/groups/${form.groupId}`,
    };
  }
  return {
    selection: { ids: [form.id!] },
    fields: html`<input type="hidden" name="id" value="${form.id}" />`,
    label: `failed message ${form.id}`,
    back: `/console/failures/${form.id}`,
  };
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** The headers as shown: the stack has its own section below, so it is not printed twice. */
function withoutStack(headers: Record<string, unknown>): Record<string, unknown> {
  const { 'x-error-stack': _stack, ...rest } = headers;
  return rest;
}

/** One line per cause with its counts: on the failures page, and for the open ones on the overview. */
/** A cause's last hour against the hour before: growing causes stand out. */
function trendOf(t: FailureGroup['trend']): SafeHtml {
  if (t.lastHour === 0 && t.hourBefore === 0) return html`<span class="muted">none</span>`;
  const arrow = t.lastHour > t.hourBefore ? '↑' : t.lastHour < t.hourBefore ? '↓' : '→';
  return html`<span class="${t.lastHour > t.hourBefore ? 'status-new' : ''}">${t.lastHour} ${arrow}</span>
    <span class="muted">(${t.hourBefore} the hour before)</span>`;
}

export function groupTable(groups: readonly FailureGroup[]): SafeHtml {
  return html`<table>
    <tr>
      <th>Cause</th>
      <th>Actor</th>
      <th class="num">Open</th>
      <th class="num">All</th>
      <th>Last hour</th>
      <th>First seen</th>
      <th>Last seen</th>
      <th>Latest error</th>
    </tr>
    ${groups.map(
      (g) =>
        html`<tr>
          <td><a href="/console/failures/groups/${g.groupId}">${g.errorCode}</a></td>
          <td>${g.actor}</td>
          <td class="num ${g.open > 0 ? 'status-new' : ''}">${g.open}</td>
          <td class="num">${g.count}</td>
          <td>${trendOf(g.trend)}</td>
          <td class="when">${when(g.firstSeen)}</td>
          <td class="when">${when(g.lastSeen)}</td>
          <td>${g.message}</td>
        </tr>`,
    )}
  </table>`;
}

/** Long by design: one route a page or action, each page's HTML written where it is served. */
export function failurePages(app: FastifyInstance, deps: ConsoleDeps, sessionOf: SessionOf): void {
  const { service } = deps.deadLetters;

  app.get('/console/failures', async (req, reply) => {
    const groups = await service.groups({}, 200);
    return sendHtml(
      reply,
      page(
        sessionOf(req),
        'failures',
        'Failures',
        html`<h1>Failures</h1>
          <p class="lead">
            Messages an actor could not process, grouped by cause (actor, error code and message shape). Open = still waiting for a replay or a discard.
          </p>
          ${groups.length === 0 ? html`<p class="ok">No failed messages are stored.</p>` : groupTable(groups)}`,
      ),
    );
  });

  app.get('/console/failures/groups/:groupId', async (req, reply) => {
    const { groupId } = parseInput(GroupParams, req.params);
    const session = sessionOf(req);
    const [{ items }, [group]] = await Promise.all([service.list({ fingerprint: groupId }, { limit: 200 }), service.groups({ fingerprint: groupId }, 1)]);
    return sendHtml(
      reply,
      page(
        session,
        'failures',
        `Cause ${groupId}`,
        html`<p><a href="/console/failures">← All causes</a></p>
          <h1>${group ? `${group.actor}: ${group.errorCode}` : 'Unknown cause'}</h1>
          <p class="lead">Group <code>${groupId}</code>${group && html` · ${group.open} open of ${group.count}`}</p>
          ${group && html`<pre>${group.message}</pre>`}
          <form class="panel" method="post" action="/console/failures/dry-run">
            ${csrfField(session)}<input type="hidden" name="groupId" value="${groupId}" />
            <p>Before replaying, see what a replay of this group's open messages would do now. Nothing is changed.</p>
            <button type="submit">Dry run replay</button>
          </form>
          <h2>Messages (newest first, up to 200)</h2>
          <table>
            <tr>
              <th>Id</th>
              <th>Status</th>
              <th>Order</th>
              <th class="num">Attempts</th>
              <th>Last failed</th>
              <th>Error</th>
            </tr>
            ${items.map(
              (m) =>
                html`<tr>
                  <td><a href="/console/failures/${m.id}">${m.id}</a></td>
                  <td class="status-${m.status}">${STATUS_WORDS[m.status]}</td>
                  <td>${m.orderId ? html`<a href="/console/orders?orderId=${encodeURIComponent(m.orderId)}">${m.orderId}</a>` : '—'}</td>
                  <td class="num">${m.attempts}</td>
                  <td class="when">${when(m.lastFailedAt)}</td>
                  <td>${m.errorMessage}</td>
                </tr>`,
            )}
          </table>`,
      ),
    );
  });

  app.get('/console/failures/:id', async (req, reply) => {
    const { id } = parseInput(IdParamsSchema, req.params);
    const session = sessionOf(req);
    const m = await service.show(id);
    const body = m.body.json !== undefined ? pretty(m.body.json) : (m.body.text ?? `(${m.body.bytes} bytes, not text; base64) ${m.body.base64}`);
    return sendHtml(
      reply,
      page(
        session,
        'failures',
        `Failed message ${id}`,
        html`<p><a href="/console/failures/groups/${m.fingerprint}">← Its cause</a></p>
          <h1>Failed message ${id}</h1>
          ${doneNotice(req.query)}
          <p class="lead">${m.actor} actor · <span class="status-${m.status}">${STATUS_WORDS[m.status]}</span></p>
          <dl>
            <dt>Error</dt>
            <dd><code>${m.errorCode}</code></dd>
            <dt>Why it stopped</dt>
            <dd>${m.deadLetterReason === 'retries_exhausted' ? 'retried until its attempts ran out' : m.deadLetterReason} (error class ${m.errorClass})</dd>
            <dt>Message</dt>
            <dd>${m.errorMessage}</dd>
            <dt>Attempts</dt>
            <dd>${m.attempts}</dd>
            <dt>First failed</dt>
            <dd>${when(m.firstFailedAt)}</dd>
            <dt>Last failed</dt>
            <dd>${when(m.lastFailedAt)}</dd>
            <dt>Order</dt>
            <dd>${m.orderId ? html`<a href="/console/orders?orderId=${encodeURIComponent(m.orderId)}">${m.orderId}</a>` : '—'}</dd>
            <dt>Queue</dt>
            <dd>${m.originalQueue ?? '—'}</dd>
            <dt>Message id</dt>
            <dd><code>${m.messageId}</code></dd>
            <dt>Trace id</dt>
            <dd><code>${m.traceId ?? '—'}</code></dd>
            ${
              m.replayOf !== null &&
              html`<dt>Replay of</dt>
                <dd><a href="/console/failures/${m.replayOf}">${m.replayOf}</a></dd>`
            }
            ${
              m.replayedAt &&
              html`<dt>Replayed</dt>
                <dd>${when(m.replayedAt)} by ${m.replayedBy}</dd>`
            }
            ${
              m.discardedAt &&
              html`<dt>Discarded</dt>
                <dd>${when(m.discardedAt)} by ${m.discardedBy}: ${m.discardReason}</dd>`
            }
            ${
              m.piiMaskedAt &&
              html`<dt>Personal data masked</dt>
                <dd>${when(m.piiMaskedAt)} (cannot be replayed)</dd>`
            }
            ${
              m.replays.length > 0 &&
              html`<dt>Came back as</dt>
                <dd>${m.replays.map((r) => html`<a href="/console/failures/${r}">${r}</a> `)}</dd>`
            }
          </dl>
          ${
            m.status === 'new' &&
            html`<form class="panel" method="post" action="/console/failures/dry-run">
                ${csrfField(session)}<input type="hidden" name="id" value="${id}" /> <button type="submit">Dry run replay</button>
                <span class="muted">see what replaying it would do; nothing changes</span>
              </form>
              <form class="panel" id="discard" method="post" action="/console/failures/${id}/discard">
                ${csrfField(session)}
                <label for="reason">Discard with a reason (recorded with your token's fingerprint)</label>
                <input id="reason" name="reason" type="text" maxlength="500" required placeholder="e.g. test order from a staging shop" />
                <button type="submit" class="danger">Discard</button>
                <p class="muted">Discarding closes the message for good: it is kept for the record but can no longer be replayed.</p>
              </form>`
          }
          <h2>Body</h2>
          <pre>${body}</pre>
          <h2>Headers</h2>
          <pre>${pretty(withoutStack(m.headers))}</pre>
          <h2>Properties</h2>
          <pre>${pretty(m.properties)}</pre>
          ${
            m.errorStack &&
            html`<h2>Stack</h2>
              <pre>${m.errorStack}</pre>`
          }`,
      ),
    );
  });

  app.post('/console/failures/dry-run', async (req, reply) => {
    const session = sessionOf(req);
    const chosen = selectionOf(req);
    const report = await deps.deadLetters.dryRun(chosen.selection, REPLAY_LIMIT);
    return sendHtml(reply, page(session, 'failures', 'Dry run', dryRunView(session, chosen, report)));
  });

  app.post('/console/failures/replay', async (req, reply) => {
    const session = sessionOf(req);
    const chosen = selectionOf(req);
    const { ratePerSecond } = parseInput(PaceForm, req.body);
    // Paced, the page comes back when the last message has been sent.
    if (ratePerSecond !== undefined) allowLongAnswer(req);
    const report = await service.replayMany(chosen.selection, session.actor, {
      probeSize: PROBE_SIZE,
      probeWaitMs: deps.deadLetters.probeWaitMs,
      limit: REPLAY_LIMIT,
      ratePerSecond,
      cancelled: abortedWhenCallerLeaves(reply),
    });
    return sendHtml(reply, page(session, 'failures', 'Replay', replayReportView(chosen, report)));
  });

  app.post('/console/failures/:id/discard', async (req, reply) => {
    const { id } = parseInput(IdParamsSchema, req.params);
    const { reason } = parseInput(DiscardForm, req.body);
    await service.discard(id, sessionOf(req).actor, reason);
    return reply.redirect(doneUrl(`/console/failures/${id}`, 'discarded'), 303);
  });
}
