// What a replay's dry run and a replay answer, as pages: the counts an operator decides on first,
// each message's verdict under them, and the form that replays the very same selection.
import type { BulkReplayReport } from '../dead-letters/bulk-replay.js';
import { REPLAY_RATE } from '../dead-letters/dead-letter-schemas.js';
import type { DryRunMessage, DryRunReport } from '../dead-letters/replay-dry-run.js';
import { csrfField, duration } from './console-layout.js';
import type { ConsoleSession } from './console-sessions.js';
import { html, type SafeHtml } from './html.js';

type Chosen = { fields: SafeHtml; label: string; back: string };

/** A message a replay cannot help goes to its own page's discard form, where the reason is asked for. */
const discardLink = (m: DryRunMessage) => html` <a href="/console/failures/${m.id}#discard">Discard…</a>`;

function verdict(m: DryRunMessage): SafeHtml {
  if (!m.replayable) return html`<span class="status-new">not replayable</span>: ${m.notReplayable?.message ?? ''}${discardLink(m)}`;
  if (m.validation?.passes === false)
    return html`<span class="status-new">would fail validation</span>: ${m.validation.errorCode} — ${m.validation.message}${discardLink(m)}`;
  if (m.validation === null) return html`<span class="muted">not judged</span>`;
  return html`<span class="ok">would pass</span>`;
}

const pathOf = (m: DryRunMessage) =>
  m.path ? html`${m.path.name}${m.path.switch && html` <span class="muted">(${m.path.switch.name} = ${String(m.path.switch.value)})</span>`}` : '—';

/** Replays the very selection the dry run judged, at the pace the operator types (empty: as fast as it goes). */
function replayForm(session: ConsoleSession, chosen: Chosen, replayable: number): SafeHtml {
  return html`<form class="panel" method="post" action="/console/failures/replay">
    ${csrfField(session)}${chosen.fields}
    <p>
      Replay publishes these messages to their queues again, for real: the actors process them as new work. The first five go alone; if they fail again the same
      way, the rest are left alone.
    </p>
    <label for="ratePerSecond">Pace, in messages per second (optional)</label>
    <input
      id="ratePerSecond"
      name="ratePerSecond"
      type="number"
      min="${REPLAY_RATE.min}"
      max="${REPLAY_RATE.max}"
      step="any"
      placeholder="as fast as it goes"
    />
    <p class="muted">
      Paced, the ${replayable} message(s) go one slot apart (at 2 per second, ${Math.ceil(replayable / 2)} s), the page answers when the last is sent, and
      replayed messages that fail again the same way meanwhile stop the rest. To stop it yourself, leave the page or press the browser's stop button: what was
      sent stays sent, the rest stay open. Left empty, they go as fast as the broker confirms them.
    </p>
    <button type="submit" class="danger">Replay ${replayable} message(s)</button>
  </form>`;
}

export function dryRunView(session: ConsoleSession, chosen: Chosen, report: DryRunReport): SafeHtml {
  const s = report.summary;
  return html`<p><a href="${chosen.back}">← Back</a></p>
    <h1>Dry run of a replay</h1>
    <p class="lead">Of ${chosen.label}. Nothing was published or changed.</p>
    <p>${report.message}</p>
    <div class="summary">
      <div><strong>${s.messages}</strong>message(s) selected</div>
      <div><strong>${s.replayable}</strong>would be replayed</div>
      <div><strong>${s.alreadyTold}</strong>buyer(s) already told</div>
      <div><strong>${s.wouldFailValidation}</strong>would fail validation again</div>
      <div><strong>${s.notReplayable}</strong>not replayable</div>
    </div>
    <h2>By code path</h2>
    ${
      Object.keys(s.byPath).length === 0
        ? html`<p class="muted">No message would take a path.</p>`
        : html`<table>
            <tr>
              <th>Path</th>
              <th class="num">Messages</th>
            </tr>
            ${Object.entries(s.byPath).map(
              ([path, n]) =>
                html`<tr>
                  <td>${path}</td>
                  <td class="num">${n}</td>
                </tr>`,
            )}
          </table>`
    }
    ${
      s.replayable > 0 &&
      s.wouldFailValidation === s.replayable &&
      html`<p class="notice">
        Every message a replay would publish fails validation again: replaying will not help until the producer or this consumer changes. Discard them with a
        reason instead (each one's Discard… link below).
      </p>`
    }
    ${
      // No Replay button when every message would fail the same way again: the page says what to do instead.
      s.replayable > 0 && s.wouldFailValidation < s.replayable && replayForm(session, chosen, s.replayable)
    }
    <h2>Each message${report.truncated ? html` (the first ${report.limit})` : ''}</h2>
    <table>
      <tr>
        <th>Id</th>
        <th>Order</th>
        <th>Verdict</th>
        <th>Path</th>
        <th>Buyer already told</th>
        <th>Queue</th>
      </tr>
      ${report.messages.map(
        (m) =>
          html`<tr>
            <td><a href="/console/failures/${m.id}">${m.id}</a></td>
            <td>${m.orderId ?? '—'}</td>
            <td>${verdict(m)}</td>
            <td>${pathOf(m)}</td>
            <td>${m.buyerAlreadyTold === null ? '—' : m.buyerAlreadyTold ? 'yes' : 'no'}</td>
            <td>${m.queue ?? '—'}</td>
          </tr>`,
      )}
    </table>`;
}

export function replayReportView(chosen: Chosen, report: BulkReplayReport): SafeHtml {
  return html`<p><a href="${chosen.back}">← Back</a></p>
    <h1>Replay: ${report.outcome.replace(/_/g, ' ')}</h1>
    <p class="lead">Of ${chosen.label}.</p>
    <p>${report.message}</p>
    <div class="summary">
      <div><strong>${report.replayed.length}</strong>replayed</div>
      <div><strong>${report.probe.cameBack.length}</strong>came back failed</div>
      <div><strong>${report.untouched}</strong>left alone</div>
      <div><strong>${report.left}</strong>still open</div>
      ${report.pace && html`<div><strong>${report.pace.ratePerSecond}/s</strong>paced, in ${duration(report.pace.tookMs)}</div>`}
    </div>`;
}
