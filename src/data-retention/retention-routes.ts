// The retention audit over HTTP for operators, behind the admin token: what each run of the batch
// job masked or deleted, with its cutoff, newest first.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminAuth } from '../http/admin-auth.js';
import type { Db } from '../platform/db.js';
import type { RetentionRunRepository } from './retention-run-repository.js';

const RunsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

export function retentionRoutes(deps: { db: Db; runs: Pick<RetentionRunRepository, 'recent'>; adminToken: string | undefined }) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      const admin = scope.withTypeProvider<ZodTypeProvider>();
      // onRequest, not preHandler: a caller without the token learns nothing, not even query errors.
      admin.addHook('onRequest', adminAuth(deps.adminToken));

      admin.get('/admin/retention/runs', { schema: { querystring: RunsQuery } }, async (req) => ({
        runs: await deps.runs.recent(deps.db, req.query.limit),
      }));
    });
  };
}
