// The switches over HTTP for operators, behind the admin token: list, read, flip (validated before
// anything is written, audited with who and old → new), each switch's history, and a preview of
// what a flip would change.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import type { SwitchAdmin } from './switch-admin.js';
import { SwitchNameParams, withSwitchHttpErrors } from './switch-http-errors.js';
import type { SwitchPreview } from './switch-preview.js';

const SetBody = z.strictObject({
  value: z.union([z.string().max(100), z.number()]),
  /** Why, for the audit; recommended, and required by the console. */
  reason: z.string().trim().min(1).max(500).optional(),
});
const HistoryQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
const PreviewQuery = z.strictObject({
  /** The value to preview, as PUT would take it; checked against the switch's kind by the preview. */
  value: z.string({ error: 'the value to preview, e.g. ?value=30 or ?value=on' }).max(100),
  /** How many of the newest orders to look at. */
  last: z.coerce.number().int().min(1).max(100_000).default(10_000),
});

export function switchRoutes(deps: { admin: SwitchAdmin; preview: SwitchPreview; adminToken: string | undefined }) {
  const { admin } = deps;
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    // onRequest, not preHandler: a caller without the token learns nothing, not even body errors.
    app.addHook('onRequest', adminAuth(deps.adminToken));

    app.get('/admin/switches', async () => admin.list());

    app.get('/admin/switches/:name', { schema: { params: SwitchNameParams } }, async (req) => withSwitchHttpErrors(admin.get(req.params.name)));

    app.put('/admin/switches/:name', { schema: { params: SwitchNameParams, body: SetBody } }, async (req) => {
      const { name } = req.params;
      // ZooKeeper away: SwitchesUnavailableError, answered 503 with Retry-After by the error handler.
      const change = await withSwitchHttpErrors(admin.set(name, req.body.value, { actor: adminActor(req), source: 'rest', reason: req.body.reason }));
      return { name, previous: change.previous ?? null, value: change.value, version: change.version, at: change.modifiedAt.toISOString() };
    });

    // Reads only: no flip, no audit row, nothing taken off a queue.
    app.get('/admin/switches/:name/preview', { schema: { params: SwitchNameParams, querystring: PreviewQuery } }, async (req) =>
      withSwitchHttpErrors(deps.preview(req.params.name, req.query.value, req.query.last)),
    );

    app.get('/admin/switches/:name/history', { schema: { params: SwitchNameParams, querystring: HistoryQuery } }, async (req) => {
      const { name } = req.params;
      const entries = await withSwitchHttpErrors(admin.history(name, req.query.limit));
      return { name, changes: entries };
    });
  };
}
