// All SQL about the retention audit: one row per step of a run that masked or deleted something.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database-schema.js';

type Q = Kysely<Database>;

export const RETENTION_STEPS = ['dead_letter_pii_masked', 'dead_letters_deleted', 'order_journal_deleted'] as const;
export type RetentionStep = (typeof RETENTION_STEPS)[number];

export type RetentionRun = {
  step: RetentionStep;
  /** Rows whose time was before this were masked or deleted. */
  cutoff: string;
  rows: number;
  batches: number;
  /** False when the run stopped at its batch limit; the next run goes on where it stopped. */
  finished: boolean;
};

export type RetentionRunEntry = RetentionRun & { id: number; at: string };

export function createRetentionRunRepository() {
  return {
    async record(q: Q, run: RetentionRun): Promise<void> {
      await q
        .insertInto('data_retention_runs')
        .values({ step: run.step, cutoff: run.cutoff, rows: run.rows, batches: run.batches, finished: run.finished })
        .execute();
    },

    /** Newest first. */
    async recent(q: Q, limit: number): Promise<RetentionRunEntry[]> {
      const rows = await q.selectFrom('data_retention_runs').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: r.at.toISOString(),
        step: r.step as RetentionStep,
        cutoff: r.cutoff.toISOString(),
        rows: r.rows,
        batches: r.batches,
        finished: r.finished,
      }));
    },
  };
}

export type RetentionRunRepository = ReturnType<typeof createRetentionRunRepository>;
