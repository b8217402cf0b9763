// Scheduled flips over HTTP for operators, behind the admin token: store steps with a reason, read a
// switch's schedule (pending and recently finished), cancel what has not run.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { NotFoundError, ValidationError } from '../http/http-errors.js';
import { UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { SwitchNameParams } from './switch-http-errors.js';
import { ScheduleStepError, type SwitchScheduleAdmin } from './switch-schedule.js';

const ScheduleBody = z.strictObject({
  steps: z
    .array(
      z.strictObject({
        at: z.iso.datetime({ offset: true, error: 'an ISO time such as 2026-12-07T09:00:00Z' }),
        value: z.union([z.string().max(100), z.number()]),
      }),
    )
    .min(1)
    .max(50),
  reason: z.string().trim().min(1, 'say why, for the audit').max(500),
});
const CancelQuery = z.strictObject({ reason: z.string().trim().min(1).max(500).default('cancelled') });

async function translated<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof UnknownSwitchError) throw new NotFoundError(err.message);
    if (err instanceof ScheduleStepError) throw new ValidationError([{ path: err.path, message: err.message }]);
    throw err;
  }
}

export function switchScheduleRoutes(deps: { schedule: SwitchScheduleAdmin; adminToken: string | undefined }) {
  const { schedule } = deps;
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.addHook('onRequest', adminAuth(deps.adminToken));

    app.post('/admin/switches/:name/schedule', { schema: { params: SwitchNameParams, body: ScheduleBody } }, async (req, reply) => {
      const { name } = req.params;
      const { steps, reason } = req.body;
      const stored = await translated(
        schedule.add(
          name,
          steps.map((s) => ({ at: new Date(s.at), value: s.value })),
          { actor: adminActor(req), reason },
        ),
      );
      return reply.code(201).send({ name, steps: stored });
    });

    app.get('/admin/switches/:name/schedule', { schema: { params: SwitchNameParams } }, async (req) => translated(schedule.of(req.params.name)));

    app.delete('/admin/switches/:name/schedule', { schema: { params: SwitchNameParams, querystring: CancelQuery } }, async (req) =>
      translated(schedule.cancel(req.params.name, { actor: adminActor(req), reason: req.query.reason })),
    );
  };
}
