// A bulk replay (a group, a list of ids or a filter) that stops by itself when the cause is not
// fixed: a first slice goes alone and is watched; then the rest, at the operator's rate if one is
// given, watched all along. Used by the dead-letter service, which replays each row.
import { ConflictError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { DrainReport } from './dead-letter-drainer.js';
import type { FailedMessageRepository } from './failed-message-repository.js';
import type { FailedMessageFilter } from './failed-message.js';
import { replayPace, whileWatching } from './replay-pace.js';

export type ReplaySelection = { groupId: string } | { ids: readonly number[] } | { filter: Omit<FailedMessageFilter, 'status' | 'fingerprint' | 'ids'> };

export type BulkReplayReport = {
  /** completed: every selected row was replayed; stopped: the first ones failed again the same way (or the caller went away), the rest were left alone. */
  outcome: 'completed' | 'stopped' | 'nothing_to_replay';
  message: string;
  replayed: number[];
  /** Open rows of the selection skipped because their personal data was masked (at most `limit`); discard them. */
  masked: number[];
  probe: {
    ids: number[];
    waitedMs: number;
    /** Rows the probe messages came back as, with whether they failed for the same cause. */
    cameBack: CameBack[];
  };
  /** Selected rows this call did not replay (a stopped replay leaves them new). */
  untouched: number;
  /** Rows still open (status new) in the selection afterwards, those that came back included. */
  left: number;
  /** A paced replay's rate, how long it took, and the rows that came back for the same cause while it ran (it stopped at the first); null when not paced. */
  pace: { ratePerSecond: number; tookMs: number; cameBack: CameBack[] } | null;
};

export type CameBack = { id: number; replayOf: number; errorCode: string; fingerprint: string; sameCause: boolean };

export type BulkReplayOptions = {
  probeSize: number;
  probeWaitMs: number;
  limit: number;
  /** Messages per second, the first ones included; unset, as fast as the broker confirms. */
  ratePerSecond?: number | undefined;
  /**
   * Aborted when whoever asked for the replay went away (a CLI stopped with Ctrl-C, a console page
   * left): a paced replay of thousands runs for minutes, and this is how an operator stops it. What
   * was sent stays sent; the rest stay open.
   */
  cancelled?: AbortSignal | undefined;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often a paced replay looks whether the messages it sent come back failing the same way. */
const RECURRENCE_CHECK_MS = 1_000;

/** What a bulk replay says about the rows it skipped because they were masked. */
const maskedNote = (ids: readonly number[]) =>
  ids.length === 0
    ? ''
    : ` ${ids.length} matching message(s) were skipped because their personal data was masked (see masked); they cannot be replayed: discard them with a reason.`;

const failedAgain = (back: readonly CameBack[]) => `failed again with the same cause (${back[0]!.errorCode}),`;
const backAsNew = 'they are back as new rows linked to the replayed ones.';

/** Long by design: one bulk replay's steps (the first slice and its watch, the rest, paced and watched or not) share the repository and the drain. */
export function createBulkReplay(deps: {
  db: Db;
  repository: Pick<FailedMessageRepository, 'openIds' | 'maskedOpenIds' | 'replaysOf' | 'countOpen'>;
  /** Replays one row; a ConflictError means someone else replayed or discarded it meanwhile. */
  replay: (id: number, by: string) => Promise<unknown>;
  drain: () => Promise<DrainReport>;
  logger: Logger;
}) {
  const { db, repository, replay, logger } = deps;

  /**
   * Replays these rows, a few at a time, each in its slot of the pace, until `stopped`; rows someone
   * else replayed or discarded meanwhile are skipped.
   */
  async function replayAll(
    ids: readonly number[],
    by: string,
    how: { pace: () => Promise<void>; stopped?: () => boolean; onReplayed?: (id: number) => void },
  ): Promise<number[]> {
    const done: number[] = [];
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !how.stopped?.(); id = queue.shift()) {
        await how.pace();
        if (how.stopped?.()) return;
        try {
          await replay(id, by);
          done.push(id);
          how.onReplayed?.(id);
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

  /** What came back, of the rows replayed so far, for the same cause as before (drained first); nothing when it cannot tell. */
  async function recurred(fingerprintOf: ReadonlyMap<number, string>, sent: readonly number[]): Promise<CameBack[]> {
    if (sent.length === 0) return [];
    try {
      await deps.drain().catch((err: unknown) => logger.warn({ err }, 'could not drain while pacing a replay'));
      const back = await repository.replaysOf(db, sent);
      return back.map((b) => ({ ...b, sameCause: fingerprintOf.get(b.replayOf) === b.fingerprint })).filter((b) => b.sameCause);
    } catch (err) {
      logger.warn({ err }, 'could not look for replayed messages coming back; pacing on');
      return [];
    }
  }

  /**
   * The rest of a replay. Paced, it stops at the first message that comes back failing for the same
   * cause: of these rows, or of the first ones already sent (a short watch may not have seen them back).
   */
  async function replayRest(
    rows: ReadonlyArray<{ id: number; fingerprint: string }>,
    by: string,
    pace: () => Promise<void>,
    cancelled: () => boolean,
    paced: { first: ReadonlyArray<{ id: number; fingerprint: string }> } | undefined,
  ) {
    const ids = rows.map((r) => r.id);
    if (!paced) return { replayed: await replayAll(ids, by, { pace, stopped: cancelled }), cameBack: [] };
    const fingerprintOf = new Map([...paced.first, ...rows].map((r) => [r.id, r.fingerprint]));
    const sent = paced.first.map((r) => r.id);
    const { result, found } = await whileWatching(
      (recurred) => replayAll(ids, by, { pace, stopped: () => recurred() || cancelled(), onReplayed: (id) => sent.push(id) }),
      () => recurred(fingerprintOf, [...sent]),
      RECURRENCE_CHECK_MS,
    );
    return { replayed: result, cameBack: found };
  }

  /** The report of a replay whose caller went away: nobody reads it, so it is also logged. */
  function whenCancelled(
    replayed: number[],
    untouched: number,
    left: number,
    masked: number[],
    probe: BulkReplayReport['probe'],
    pace: BulkReplayReport['pace'],
  ): BulkReplayReport {
    logger.warn({ replayed: replayed.length, untouched }, 'bulk replay stopped: whoever asked for it went away; the rest stay open');
    const message =
      `Stopped: the replay was cancelled (its caller went away or pressed Ctrl-C) after ${replayed.length} message(s); ` +
      `${untouched} other message(s) were not replayed and are still open. Replay again to send them.${maskedNote(masked)}`;
    return { outcome: 'stopped', message, replayed, masked, probe, untouched, left, pace };
  }

  async function replayMany(selection: ReplaySelection, by: string, options: BulkReplayOptions): Promise<BulkReplayReport> {
    const filter: FailedMessageFilter =
      'groupId' in selection ? { fingerprint: selection.groupId } : 'ids' in selection ? { ids: selection.ids } : selection.filter;
    const candidates = await repository.openIds(db, filter, options.limit);
    const masked = await repository.maskedOpenIds(db, filter, options.limit);
    if (candidates.length === 0) {
      const message = `No open (new) failed messages that can be replayed match.${maskedNote(masked)}`;
      const probe = { ids: [], waitedMs: 0, cameBack: [] };
      return { outcome: 'nothing_to_replay', message, replayed: [], masked, probe, untouched: 0, left: 0, pace: null };
    }
    const started = Date.now();
    const rate = options.ratePerSecond;
    const pace = replayPace(rate);
    const paceReport = (cameBack: CameBack[]) => (rate === undefined ? null : { ratePerSecond: rate, tookMs: Date.now() - started, cameBack });
    // A first slice goes alone: if it fails again the same way, the cause is not fixed and replaying
    // the rest would only move them through the retry tiers back into the dead-letter table.
    const probeRows = candidates.slice(0, options.probeSize);
    const cancelled = () => options.cancelled?.aborted === true;
    const probeIds = await replayAll(
      probeRows.map((p) => p.id),
      by,
      { pace, stopped: cancelled },
    );
    const sentFirst = probeRows.filter((p) => probeIds.includes(p.id));
    const watched = cancelled() ? { cameBack: [], waitedMs: 0 } : await watchProbe(sentFirst, options.probeWaitMs);
    const probe = { ids: probeIds, ...watched };
    if (cancelled()) {
      const left = await repository.countOpen(db, filter);
      return whenCancelled(probeIds, candidates.length - probeIds.length, left, masked, probe, paceReport([]));
    }
    const same = watched.cameBack.filter((c) => c.sameCause);
    if (same.length > 0) {
      const left = await repository.countOpen(db, filter);
      const untouched = candidates.length - probeRows.length;
      const message =
        `Stopped: ${same.length} of the first ${probeIds.length} replayed message(s) ${failedAgain(same)} so the cause is not fixed yet; ` +
        `${backAsNew} ${untouched} other message(s) were not replayed. Fix the cause, then replay again.${maskedNote(masked)}`;
      logger.warn({ by, probe: probeIds, failedAgain: same.map((s) => s.id), untouched, masked: masked.length }, 'bulk replay stopped: the cause is not fixed');
      return { outcome: 'stopped', message, replayed: probeIds, masked, probe, untouched, left, pace: paceReport([]) };
    }
    const rest = await replayRest(candidates.slice(options.probeSize), by, pace, cancelled, rate === undefined ? undefined : { first: sentFirst });
    const replayed = [...probeIds, ...rest.replayed];
    const left = await repository.countOpen(db, filter);
    const untouched = candidates.length - replayed.length;
    if (cancelled() && untouched > 0) return whenCancelled(replayed, untouched, left, masked, probe, paceReport([]));
    if (rest.cameBack.length > 0) {
      const message =
        `Stopped while pacing at ${rate}/s: ${rest.cameBack.length} replayed message(s) ${failedAgain(rest.cameBack)} so the cause is back; ` +
        `${backAsNew} ${replayed.length} message(s) were replayed, ${untouched} other message(s) were not. Fix the cause, then replay again.${maskedNote(masked)}`;
      logger.warn({ by, replayed: replayed.length, failedAgain: rest.cameBack.map((c) => c.id), untouched }, 'paced replay stopped: the cause is back');
      return { outcome: 'stopped', message, replayed, masked, probe, untouched, left, pace: paceReport(rest.cameBack) };
    }
    logger.info({ by, replayed: replayed.length, left, masked: masked.length, ratePerSecond: rate }, 'bulk replay completed');
    const paced = paceReport([]);
    return {
      outcome: 'completed',
      message:
        `Replayed ${replayed.length} message(s)${paced ? ` at ${paced.ratePerSecond}/s in ${(paced.tookMs / 1_000).toFixed(1)} s` : ''}; ` +
        `the first ${probeIds.length} did not fail again the same way within ${watched.waitedMs} ms.` +
        `${left > 0 ? ` ${left} open message(s) remain beyond the limit of ${options.limit}.` : ''}${maskedNote(masked)}`,
      replayed,
      masked,
      probe,
      untouched,
      left,
      pace: paced,
    };
  }

  return replayMany;
}
