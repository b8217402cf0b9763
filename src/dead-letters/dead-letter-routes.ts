// Reviewing failures over REST, under /admin behind the bearer ADMIN_TOKEN: list, groups, one
// message, replay (one or many, or a dry run of it), discard, and an on-demand drain. The token is checked before the
// body is even parsed, so a request without it changes nothing and learns nothing.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { abortedWhenCallerLeaves, allowLongAnswer } from '../http/long-answer.js';
import type { ReplaySelection } from './bulk-replay.js';
import {
  DiscardBodySchema,
  GroupsQuerySchema,
  HTTP_PROBE_WAIT_MAX_MS,
  IdParamsSchema,
  ListQuerySchema,
  ReplayManyBodySchema,
  ReplayOneBodySchema,
} from './dead-letter-schemas.js';
import type { DeadLetterService } from './dead-letter-service.js';
import type { ReplayDryRun } from './replay-dry-run.js';

export function deadLetterRoutes(deps: {
  service: DeadLetterService;
  dryRun: ReplayDryRun;
  adminToken: string | undefined;
  /** Default wait for a bulk replay's first messages: the retry chain, capped for HTTP. */
  probeWaitMs: number;
}) {
  const { service } = deps;

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      const admin = scope.withTypeProvider<ZodTypeProvider>();
      admin.addHook('onRequest', adminAuth(deps.adminToken));

      admin.get('/admin/dead-letters', { schema: { querystring: ListQuerySchema } }, async (req) => {
        const { limit, cursor, ...filter } = req.query;
        return service.list(filter, { limit, cursor });
      });

      admin.get('/admin/dead-letters/groups', { schema: { querystring: GroupsQuerySchema } }, async (req) => {
        const { limit, ...filter } = req.query;
        return { groups: await service.groups(filter, limit) };
      });

      admin.get('/admin/dead-letters/:id', { schema: { params: IdParamsSchema } }, async (req) => service.show(req.params.id));

      // The schema only refuses a body with options: replaying one row takes none.
      admin.post('/admin/dead-letters/:id/replay', { schema: { params: IdParamsSchema, body: ReplayOneBodySchema } }, async (req) =>
        service.replay(req.params.id, adminActor(req)),
      );

      admin.post('/admin/dead-letters/replay', { schema: { body: ReplayManyBodySchema } }, async (req, reply) => {
        const { body } = req;
        const selection: ReplaySelection =
          body.groupId !== undefined ? { groupId: body.groupId } : body.ids !== undefined ? { ids: body.ids } : { filter: body.filter! };
        if (body.dryRun) return deps.dryRun(selection, body.limit);
        // Paced, the answer comes when the last message has been sent.
        if (body.ratePerSecond !== undefined) allowLongAnswer(req);
        return service.replayMany(selection, adminActor(req), {
          probeSize: body.probeSize,
          probeWaitMs: Math.min(body.probeWaitMs ?? deps.probeWaitMs, HTTP_PROBE_WAIT_MAX_MS),
          limit: body.limit,
          ratePerSecond: body.ratePerSecond,
          cancelled: abortedWhenCallerLeaves(reply),
        });
      });

      admin.post('/admin/dead-letters/:id/discard', { schema: { params: IdParamsSchema, body: DiscardBodySchema } }, async (req) =>
        service.discard(req.params.id, adminActor(req), req.body.reason),
      );

      admin.post('/admin/dead-letters/drain', async () => service.drain());
    });
  };
}
