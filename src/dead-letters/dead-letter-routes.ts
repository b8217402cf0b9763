// Reviewing failures over REST, under /admin behind the bearer ADMIN_TOKEN: list, groups, one
// message, replay (one or many, or a dry run of it), discard, and an on-demand drain. The token is checked before the
// body is even parsed, so a request without it changes nothing and learns nothing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { toIssues, ValidationError } from '../http/http-errors.js';
import { allowLongAnswer } from '../http/long-answer.js';
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

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(toIssues(parsed.error));
  return parsed.data;
}

export function deadLetterRoutes(deps: {
  service: DeadLetterService;
  dryRun: ReplayDryRun;
  adminToken: string | undefined;
  /** Default wait for a bulk replay's first messages: the retry chain, capped for HTTP. */
  probeWaitMs: number;
}) {
  const { service } = deps;
  const id = (req: FastifyRequest) => parse(IdParamsSchema, req.params).id;

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (admin) => {
      admin.addHook('onRequest', adminAuth(deps.adminToken));

      admin.get('/admin/dead-letters', async (req) => {
        const { limit, cursor, ...filter } = parse(ListQuerySchema, req.query);
        return service.list(filter, { limit, cursor });
      });

      admin.get('/admin/dead-letters/groups', async (req) => {
        const { limit, ...filter } = parse(GroupsQuerySchema, req.query);
        return { groups: await service.groups(filter, limit) };
      });

      admin.get('/admin/dead-letters/:id', async (req) => service.show(id(req)));

      admin.post('/admin/dead-letters/:id/replay', async (req) => {
        const rowId = id(req);
        parse(ReplayOneBodySchema, req.body ?? undefined);
        return service.replay(rowId, adminActor(req));
      });

      admin.post('/admin/dead-letters/replay', async (req) => {
        const body = parse(ReplayManyBodySchema, req.body);
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
        });
      });

      admin.post('/admin/dead-letters/:id/discard', async (req) => {
        const rowId = id(req);
        const { reason } = parse(DiscardBodySchema, req.body);
        return service.discard(rowId, adminActor(req), reason);
      });

      admin.post('/admin/dead-letters/drain', async () => service.drain());
    });
  };
}
