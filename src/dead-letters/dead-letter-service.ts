// The use cases of reviewing failures, shared by the admin REST routes and the CLI so neither holds
// logic of its own: list, group, show, replay (one, or a group that stops itself when the cause is
// not fixed: bulk-replay.ts), discard, drain.
import { ConflictError, NotFoundError } from '../http/http-errors.js';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { Topology } from '../platform/amqp/topology.js';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { createBulkReplay } from './bulk-replay.js';
import type { DrainReport } from './dead-letter-drainer.js';
import { replayMessage } from './dead-letter-record.js';
import type { FailedMessageRepository } from './failed-message-repository.js';
import type { FailedMessageFilter, FailedMessageSummary } from './failed-message.js';
import { replayTargets } from './replay-target.js';

export type ReplayedMessage = { id: number; status: 'replayed'; queue: string; messageId: string; replayedAt: string; replayedBy: string };

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

/** Why a masked message is not replayed, and what to do instead. */
function maskedError(id: number, maskedAt: Date): ConflictError {
  return new ConflictError(
    'pii_masked',
    `Failed message ${id} cannot be replayed: its buyer's personal data was masked on ${maskedAt.toISOString()} (DEAD_LETTER_PII_DAYS after its last failure), ` +
      'so its body is no longer the message that was sent. If it still matters, have it sent again at its source (the shop resubmits the order; ' +
      'a resubmitted order also asks for its confirmation again), then discard this one with a reason.',
  );
}

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

  const replayMany = createBulkReplay({ db, repository, replay, drain: () => deps.drain(), logger });

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
