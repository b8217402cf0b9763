// The switches over HTTP for operators, behind the admin token: list, read, flip (validated before
// anything is written, audited with who and old → new), each switch's history, and a preview of
// what a flip would change.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { toIssues, ValidationError } from '../http/http-errors.js';
import type { SwitchAdmin } from './switch-admin.js';
import { switchNameOf, withSwitchHttpErrors } from './switch-http-errors.js';
import type { SwitchPreview } from './switch-preview.js';

const SetBody = z.strictObject({ value: z.union([z.string().max(100), z.number()]) });
const HistoryQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
const PreviewQuery = z.strictObject({
  /** The value to preview, as PUT would take it; checked against the switch's kind by the preview. */
  value: z.string({ error: 'the value to preview, e.g. ?value=30 or ?value=on' }).max(100),
  /** How many of the newest orders to look at. */
  last: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

export function switchRoutes(deps: { admin: SwitchAdmin; preview: SwitchPreview; adminToken: string | undefined }) {
  const { admin } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    // onRequest, not preHandler: a caller without the token learns nothing, not even body errors.
    app.addHook('onRequest', adminAuth(deps.adminToken));

    const nameOf = switchNameOf;

    app.get('/admin/switches', async () => admin.list());

    app.get('/admin/switches/:name', async (req) => withSwitchHttpErrors(admin.get(nameOf(req.params))));

    app.put('/admin/switches/:name', async (req) => {
      const name = nameOf(req.params);
      const body = SetBody.safeParse(req.body);
      if (!body.success) throw new ValidationError(toIssues(body.error));
      // ZooKeeper away: SwitchesUnavailableError, answered 503 with Retry-After by the error handler.
      const change = await withSwitchHttpErrors(admin.set(name, body.data.value, { actor: adminActor(req), source: 'rest' }));
      return { name, previous: change.previous ?? null, value: change.value, version: change.version, at: change.modifiedAt.toISOString() };
    });

    // Reads only: no flip, no audit row, nothing taken off a queue.
    app.get('/admin/switches/:name/preview', async (req) => {
      const name = nameOf(req.params);
      const query = PreviewQuery.safeParse(req.query);
      if (!query.success) throw new ValidationError(toIssues(query.error));
      return withSwitchHttpErrors(deps.preview(name, query.data.value, query.data.last));
    });

    app.get('/admin/switches/:name/history', async (req) => {
      const name = nameOf(req.params);
      const query = HistoryQuery.safeParse(req.query);
      if (!query.success) throw new ValidationError(toIssues(query.error));
      const entries = await withSwitchHttpErrors(admin.history(name, query.data.limit));
      return { name, changes: entries };
    });
  };
}
