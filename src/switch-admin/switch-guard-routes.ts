// A switch's rollback guard over HTTP for operators, behind the admin token: arm (or re-arm) it,
// read it with its window's live figures and its events, disarm it.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { NotFoundError, ValidationError } from '../http/http-errors.js';
import { UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { GuardSettingsSchema } from './switch-guard-rules.js';
import { GuardSettingError, NoGuardError, type SwitchGuardAdmin } from './switch-guard.js';
import { SwitchNameParams } from './switch-http-errors.js';

const DisarmQuery = z.strictObject({ reason: z.string().trim().min(1).max(500).default('disarmed') });

/** The guard's errors as the HTTP envelope's: for the admin routes and the console. */
export async function withGuardHttpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof UnknownSwitchError || err instanceof NoGuardError) throw new NotFoundError(err.message);
    if (err instanceof GuardSettingError) throw new ValidationError([{ path: err.path, message: err.message }]);
    throw err;
  }
}

export function switchGuardRoutes(deps: { guards: SwitchGuardAdmin; adminToken: string | undefined }) {
  const { guards } = deps;
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.addHook('onRequest', adminAuth(deps.adminToken));

    app.put('/admin/switches/:name/guard', { schema: { params: SwitchNameParams, body: GuardSettingsSchema } }, async (req) =>
      withGuardHttpErrors(guards.arm(req.params.name, req.body, adminActor(req))),
    );

    app.get('/admin/switches/:name/guard', { schema: { params: SwitchNameParams } }, async (req) => withGuardHttpErrors(guards.of(req.params.name)));

    app.delete('/admin/switches/:name/guard', { schema: { params: SwitchNameParams, querystring: DisarmQuery } }, async (req) =>
      withGuardHttpErrors(guards.disarm(req.params.name, { actor: adminActor(req), reason: req.query.reason })),
    );
  };
}
