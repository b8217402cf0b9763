// The use cases of reviewing failures, shared by the admin REST routes and the CLI so neither holds
// logic of its own: list, group, show, replay (one, or a group that stops itself when the cause is
// not fixed), discard, drain.
import { ConflictError, NotFoundError } from '../http/http-errors.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DrainReport } from './dead-letter-drainer.js';
import { replayMessage } from './dead-letter-record.js';
import type { FailedMessageRepository } from './failed-message-repository.js';
import type { FailedMessageFilter, FailedMessageSummary } from './failed-message.js';
import { replayTargets } from './replay-target.js';

export type ReplaySelection = { groupId: string } | { ids: readonly number[] } | { filter: Omit<FailedMessageFilter, 'status' | 'fingerprint' | 'ids'> };

export type ReplayedMessage = { id: number; status: 'replayed'; queue: string; messageId: string; replayedAt: string; replayedBy: string };

export type BulkReplayReport = {
  /** completed: every selected row was replayed; stopped: the first ones failed again the same way, the rest were left alone. */
  outcome: 'completed' | 'stopped' | 'nothing_to_replay';
  message: string;
  replayed: number[];
  /** Open rows of the selection skipped because their personal data was masked (at most `limit`); discard them. */
  masked: number[];
  probe: {
    ids: number[];
    waitedMs: number;
    /** Rows the probe messages came back as, with whether they failed for the same cause. */
    cameBack: Array<{ id: number; replayOf: number; errorCode: string; fingerprint: string; sameCause: boolean }>;
  };
  /** Selected rows this call did not replay (a stopped replay leaves them new). */
  untouched: number;
  /** Rows still open (status new) in the selection afterwards, those that came back included. */
  left: number;
};

export type BulkReplayOptions = { probeSize: number; probeWaitMs: number; limit: number };

export type DeadLetterService = ReturnType<typeof createDeadLetterService>;

/**
 * How long a replayed message can take to come back if its cause is not fixed: every retry tier it
 * would wait in, plus time to be handled and drained.
 */
export function retryChainMs(retryDelaysMs: readonly number[], maxAttempts: number): number {
  let total = 0;
  for (let attempt = 1; attempt < maxAttempts && retryDelaysMs.length > 0; attempt++) {
    total += retryDelaysMs[Math.min(attempt - 1, retryDelaysMs.length - 1)]!;
  }
  return total + 3_000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a masked message is not replayed, and what to do instead. */
function maskedError(id: number, maskedAt: Date): ConflictError {
  return new ConflictError(
    'pii_masked',
    `Failed message ${id} cannot be replayed: its buyer's personal data was masked on ${maskedAt.toISOString()} (DEAD_LETTER_PII_DAYS after its last failure), ` +
      'so its body is no longer the message that was sent. If it still matters, have it sent again at its source (the shop resubmits the order; ' +
      'a resubmitted order also asks for its confirmation again), then discard this one with a reason.',
  );
}

/** What a bulk replay says about the rows it skipped because they were masked. */
const maskedNote = (ids: readonly number[]) =>
  ids.length === 0
    ? ''
    : ` ${ids.length} matching message(s) were skipped because their personal data was masked (see masked); they cannot be replayed: discard them with a reason.`;

export function createDeadLetterService(deps: {
  db: Db;
  repository: FailedMessageRepository;
  publisher: Pick<Publisher, 'publish'>;
  /** One drain of the dead-letter queue (the batch job's). */
  drain: () => Promise<DrainReport>;
  topology: Pick<Topology, 'actors'>;
  logger: Logger;
}) {
  const { db, repository } = deps;
  const logger = deps.logger.child({ module: 'dead-letters' });
  const replayTarget = replayTargets(deps.topology);

  async function show(id: number) {
    const found = await repository.find(db, id);
    if (!found) throw new NotFoundError(`No failed message ${id}`);
    return found;
  }

  /**
   * Republishes the stored body and properties to the original queue and marks the row replayed,
   * in one transaction held across the publish confirm: a second replay waits for the row and finds
   * it replayed, and a failed publish leaves the row new. (A crash after the confirm but before the
   * commit can send it twice; the actors are idempotent, which is cheaper than losing it.)
   */
  async function replay(id: number, by: string): Promise<ReplayedMessage> {
    return db.transaction().execute(async (trx) => {
      const row = await repository.claimForReplay(trx, id, by);
      if (!row) {
        const state = await repository.stateOf(trx, id);
        if (!state) throw new NotFoundError(`No failed message ${id}`);
        if (state.status === 'new' && state.piiMaskedAt) throw maskedError(id, state.piiMaskedAt);
        throw new ConflictError(`already_${state.status}`, `Failed message ${id} is ${state.status}; only new ones are replayed, and only once`);
      }
      const target = replayTarget(row.originalQueue)?.queue;
      if (!target) {
        throw new ConflictError(
          'not_replayable',
          `Failed message ${id} came from ${row.originalQueue ?? 'an unknown queue'}, which is not a work queue of this deployment; republish it by hand or discard it`,
        );
      }
      await deps.publisher.publish(target, Buffer.from(row.body.base64, 'base64'), replayMessage(row));
      logger.info({ id, messageId: row.messageId, queue: target, by }, 'failed message replayed');
      return { id, status: 'replayed' as const, queue: target, messageId: row.messageId, replayedAt: row.replayedAt!, replayedBy: by };
    });
  }

  /** Replays these rows, a few at a time; rows someone else replayed or discarded meanwhile are skipped. */
  async function replayAll(ids: readonly number[], by: string): Promise<number[]> {
    const done: number[] = [];
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          await replay(id, by);
          done.push(id);
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }
    };
    // Each replay holds a pooled connection across its publish confirm: keep a few, not the pool.
    await Promise.all(Array.from({ length: 4 }, worker));
    return done.sort((a, b) => a - b);
  }

  /** Drains and looks for the probe rows coming back, until one fails the same way, all are back, or time is up. */
  async function watchProbe(probe: ReadonlyArray<{ id: number; fingerprint: string }>, waitMs: number) {
    const started = Date.now();
    const fingerprintOf = new Map(probe.map((p) => [p.id, p.fingerprint]));
    for (;;) {
      await deps.drain().catch((err: unknown) => logger.warn({ err }, 'could not drain while watching a replay'));
      const back = await repository.replaysOf(
        db,
        probe.map((p) => p.id),
      );
      const cameBack = back.map((b) => ({ ...b, sameCause: fingerprintOf.get(b.replayOf) === b.fingerprint }));
      const waitedMs = Date.now() - started;
      const allBack = new Set(cameBack.map((c) => c.replayOf)).size === probe.length;
      if (cameBack.some((c) => c.sameCause) || allBack || waitedMs >= waitMs) return { cameBack, waitedMs };
      await sleep(Math.min(300, Math.max(0, waitMs - waitedMs)));
    }
  }

  async function replayMany(selection: ReplaySelection, by: string, options: BulkReplayOptions): Promise<BulkReplayReport> {
    const filter: FailedMessageFilter =
      'groupId' in selection ? { fingerprint: selection.groupId } : 'ids' in selection ? { ids: selection.ids } : selection.filter;
    const candidates = await repository.openIds(db, filter, options.limit);
    const masked = await repository.maskedOpenIds(db, filter, options.limit);
    if (candidates.length === 0) {
      const message = `No open (new) failed messages that can be replayed match.${maskedNote(masked)}`;
      return { outcome: 'nothing_to_replay', message, replayed: [], masked, probe: { ids: [], waitedMs: 0, cameBack: [] }, untouched: 0, left: 0 };
    }
    // A first slice goes alone: if it fails again the same way, the cause is not fixed and replaying
    // the rest would only move them through the retry tiers back into the dead-letter table.
    const probeRows = candidates.slice(0, options.probeSize);
    const probeIds = await replayAll(
      probeRows.map((p) => p.id),
      by,
    );
    const watched = await watchProbe(
      probeRows.filter((p) => probeIds.includes(p.id)),
      options.probeWaitMs,
    );
    const probe = { ids: probeIds, ...watched };
    const same = watched.cameBack.filter((c) => c.sameCause);
    if (same.length > 0) {
      const left = await repository.countOpen(db, filter);
      const untouched = candidates.length - probeRows.length;
      const message =
        `Stopped: ${same.length} of the first ${probeIds.length} replayed message(s) failed again with the same cause (${same[0]!.errorCode}), ` +
        `so the cause is not fixed yet; they are back as new rows linked to the replayed ones. ${untouched} other message(s) were not replayed. ` +
        `Fix the cause, then replay again.${maskedNote(masked)}`;
      logger.warn({ by, probe: probeIds, failedAgain: same.map((s) => s.id), untouched, masked: masked.length }, 'bulk replay stopped: the cause is not fixed');
      return { outcome: 'stopped', message, replayed: probeIds, masked, probe, untouched, left };
    }
    const rest = await replayAll(
      candidates.slice(options.probeSize).map((c) => c.id),
      by,
    );
    const replayed = [...probeIds, ...rest];
    const left = await repository.countOpen(db, filter);
    logger.info({ by, replayed: replayed.length, left, masked: masked.length }, 'bulk replay completed');
    return {
      outcome: 'completed',
      message:
        `Replayed ${replayed.length} message(s); the first ${probeIds.length} did not fail again the same way within ${watched.waitedMs} ms.` +
        `${left > 0 ? ` ${left} open message(s) remain beyond the limit of ${options.limit}.` : ''}${maskedNote(masked)}`,
      replayed,
      masked,
      probe,
      untouched: candidates.length - replayed.length,
      left,
    };
  }

  async function discard(id: number, by: string, reason: string): Promise<FailedMessageSummary & { discardedBy: string; discardReason: string }> {
    const row = await repository.discard(db, id, by, reason);
    if (!row) {
      const state = await repository.stateOf(db, id);
      if (!state) throw new NotFoundError(`No failed message ${id}`);
      throw new ConflictError(`already_${state.status}`, `Failed message ${id} is ${state.status}; only new ones can be discarded`);
    }
    logger.info({ id, by, reason }, 'failed message discarded');
    return { ...row, discardedBy: by, discardReason: reason };
  }

  return {
    list: (filter: FailedMessageFilter, page: { limit: number; cursor?: string | undefined }) =>
      repository.list(db, filter, { limit: page.limit, beforeId: page.cursor === undefined ? undefined : Number(page.cursor) }).then((items) => ({
        items,
        nextCursor: items.length === page.limit ? String(items[items.length - 1]!.id) : null,
      })),
    groups: (filter: FailedMessageFilter, limit = 200) => repository.groups(db, filter, limit),
    show,
    replay,
    replayMany,
    discard,
    drain: () => deps.drain(),
  };
}
