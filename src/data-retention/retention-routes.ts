// The retention audit over HTTP for operators, behind the admin token: what each run of the batch
// job masked or deleted, with its cutoff, newest first.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminAuth } from '../http/admin-auth.js';
import { toIssues, ValidationError } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import type { RetentionRunRepository } from './retention-run-repository.js';

const RunsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

export function retentionRoutes(deps: { db: Db; runs: Pick<RetentionRunRepository, 'recent'>; adminToken: string | undefined }) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (admin) => {
      // onRequest, not preHandler: a caller without the token learns nothing, not even query errors.
      admin.addHook('onRequest', adminAuth(deps.adminToken));

      admin.get('/admin/retention/runs', async (req) => {
        const query = RunsQuery.safeParse(req.query);
        if (!query.success) throw new ValidationError(toIssues(query.error));
        return { runs: await deps.runs.recent(deps.db, query.data.limit) };
      });
    });
  };
}
