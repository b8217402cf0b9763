// A replay's dry run: what replaying a selection of failed messages would do now, and nothing
// else — no publish, no status change, no audit. Per message: whether it may be replayed at all,
// whether it would fail the same checks again, the code path the switches would send it down, and
// whether its buyer was already told; then the same counted.
import { NotFoundError } from '../http/http-errors.js';
import type { ActorName, Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { SwitchValue } from '../platform/runtime-switches/switch-registry.js';
import type { ReplaySelection } from './bulk-replay.js';
import { replayMessage } from './dead-letter-record.js';
import type { FailedMessageRepository } from './failed-message-repository.js';
import type { FailedMessageFilter, StoredForReplay } from './failed-message.js';
import type { ReplayCheck } from './replay-check.js';
import { replayTargets } from './replay-target.js';

export type DryRunMessage = {
  id: number;
  actor: string;
  orderId: string | null;
  type: string | null;
  status: StoredForReplay['status'];
  /** The error it was stored with. */
  errorCode: string;
  /** Where a replay would publish it; null when it is not replayable there. */
  queue: string | null;
  replayable: boolean;
  /** Why a replay would refuse it (the same codes a replay answers with). */
  notReplayable: { code: 'pii_masked' | 'already_replayed' | 'already_discarded' | 'not_replayable'; message: string } | null;
  /** Null when it was not judged: its body is masked, or no actor of this deployment takes it. */
  validation: { passes: true } | { passes: false; errorCode: string; message: string; sameAsBefore: boolean } | null;
  /** Null unless it passes validation. */
  path: { name: string; switch: { name: string; value: SwitchValue | null; newPath: boolean } | null } | null;
  /** From the deliveries the notifications feature records; null unless it passes validation. */
  buyerAlreadyTold: boolean | null;
};

export type DryRunSummary = {
  messages: number;
  /** Of the messages a replay would publish: */
  replayable: number;
  byPath: Record<string, number>;
  alreadyTold: number;
  wouldFailValidation: number;
  /** Masked, no longer new, or from a queue this deployment does not have. */
  notReplayable: number;
};

export type DryRunReport = { dryRun: true; message: string; messages: DryRunMessage[]; summary: DryRunSummary; limit: number; truncated: boolean };

/** The counts an operator decides on, over what a replay would actually publish. */
export function summarizeDryRun(messages: readonly DryRunMessage[]): DryRunSummary {
  const replayable = messages.filter((m) => m.replayable);
  const byPath: Record<string, number> = {};
  for (const m of replayable) if (m.path) byPath[m.path.name] = (byPath[m.path.name] ?? 0) + 1;
  return {
    messages: messages.length,
    replayable: replayable.length,
    byPath,
    alreadyTold: replayable.filter((m) => m.buyerAlreadyTold === true).length,
    wouldFailValidation: replayable.filter((m) => m.validation?.passes === false).length,
    notReplayable: messages.length - replayable.length,
  };
}

function describe(s: DryRunSummary): string {
  const paths = Object.entries(s.byPath)
    .map(([p, n]) => `${n} ${p}`)
    .join(', ');
  return (
    `Dry run: nothing was replayed or changed. Of ${s.messages} message(s), ${s.replayable} would be replayed` +
    `${paths ? ` (${paths})` : ''}; ${s.wouldFailValidation} of them would fail validation again and ${s.alreadyTold} concern a buyer already told. ` +
    `${s.notReplayable} cannot be replayed (see notReplayable on each).`
  );
}

function refusal(row: StoredForReplay, target: string | undefined): DryRunMessage['notReplayable'] {
  if (row.piiMaskedAt)
    return { code: 'pii_masked', message: `Its buyer's personal data was masked on ${row.piiMaskedAt}; have it sent again at its source, then discard it.` };
  if (row.status !== 'new') return { code: `already_${row.status}`, message: `It is ${row.status}; only new ones are replayed, and only once.` };
  if (!target)
    return { code: 'not_replayable', message: `It came from ${row.originalQueue ?? 'an unknown queue'}, which is not a work queue of this deployment.` };
  return null;
}

export function createReplayDryRun(deps: {
  db: Db;
  repository: Pick<FailedMessageRepository, 'forReplayPreview'>;
  topology: Pick<Topology, 'actors'>;
  /** Per actor, how it would judge a message (see replay-check.ts); an actor without one is not judged. */
  checks: Partial<Record<ActorName, ReplayCheck>>;
  /** A switch's current value, to show beside the path it picks. */
  switchValue: (name: string) => SwitchValue | undefined;
}) {
  const replayTarget = replayTargets(deps.topology);

  /** Judges every row one actor would take, in one call of its check. */
  async function judge(rows: readonly StoredForReplay[], check: ReplayCheck | undefined) {
    if (!check || rows.length === 0) return rows.map(() => undefined);
    return check(rows.map((r) => ({ body: r.body, publish: replayMessage(r) })));
  }

  return async function dryRun(selection: ReplaySelection, limit: number): Promise<DryRunReport> {
    // Named rows are shown whatever their status; a group or filter takes the open rows a replay would.
    const filter: FailedMessageFilter =
      'ids' in selection
        ? { ids: selection.ids }
        : 'groupId' in selection
          ? { fingerprint: selection.groupId, status: 'new' }
          : { ...selection.filter, status: 'new' };
    const rows = await deps.repository.forReplayPreview(deps.db, filter, limit);
    if ('ids' in selection) {
      const found = new Set(rows.map((r) => r.id));
      const missing = selection.ids.filter((id) => !found.has(id));
      if (missing.length > 0) throw new NotFoundError(`No failed message(s) ${missing.join(', ')}; list them with GET /admin/dead-letters`);
    }

    const targets = rows.map((r) => replayTarget(r.originalQueue));
    // Masked bodies are not what was sent: judging them would say nothing about the message.
    const judged = new Map<number, Awaited<ReturnType<ReplayCheck>>[number]>();
    for (const actor of Object.keys(deps.checks) as ActorName[]) {
      const mine = rows.filter((r, i) => targets[i]?.actor === actor && !r.piiMaskedAt);
      const results = await judge(mine, deps.checks[actor]);
      mine.forEach((r, i) => results[i] && judged.set(r.id, results[i]));
    }

    const messages = rows.map((row, i): DryRunMessage => {
      const target = targets[i];
      const notReplayable = refusal(row, target?.queue);
      const result = judged.get(row.id);
      const forecast = result?.forecast ?? null;
      const decided = forecast?.path.switch;
      return {
        id: row.id,
        actor: row.actor,
        orderId: row.orderId,
        type: result?.type ?? null,
        status: row.status,
        errorCode: row.errorCode,
        queue: notReplayable ? null : target!.queue,
        replayable: notReplayable === null,
        notReplayable,
        validation: !result
          ? null
          : result.validation.passes
            ? { passes: true }
            : { ...result.validation, sameAsBefore: result.validation.errorCode === row.errorCode },
        path: forecast && {
          name: forecast.path.path,
          switch: decided ? { name: decided.name, value: deps.switchValue(decided.name) ?? null, newPath: decided.newPath } : null,
        },
        buyerAlreadyTold: forecast ? forecast.buyerTold : null,
      };
    });
    const summary = summarizeDryRun(messages);
    return { dryRun: true, message: describe(summary), messages, summary, limit, truncated: rows.length === limit };
  };
}

export type ReplayDryRun = ReturnType<typeof createReplayDryRun>;
