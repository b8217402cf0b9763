// A seller's rate limits over HTTP for operators, behind the admin token: see the limits in force
// with the override and its history, set an override (audited with who and why), clear it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { toIssues, ValidationError } from '../http/http-errors.js';
import { IdSchema } from '../platform/id-schema.js';
import type { SellerRateLimitAdmin } from './seller-rate-limit-admin.js';
import { ClearReasonSchema, RateLimitOverrideSchema } from './seller-rate-limit-schema.js';

const SellerParams = z.strictObject({ sellerId: IdSchema });
const ClearQuery = z.strictObject({ reason: ClearReasonSchema });

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toIssues(result.error));
  return result.data;
}

export function sellerRateLimitRoutes(deps: { admin: SellerRateLimitAdmin; adminToken: string | undefined; reloadMs: number }) {
  const { admin } = deps;
  const sellerOf = (req: FastifyRequest) => parsed(SellerParams, req.params).sellerId;
  // Said in every answer that changes something, so the operator does not expect it at once everywhere.
  const takesEffect = `every intake process applies it within ${deps.reloadMs} ms`;

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      // onRequest, not preHandler: a caller without the token learns nothing, not even body errors.
      scope.addHook('onRequest', adminAuth(deps.adminToken));

      scope.get('/admin/sellers/:sellerId/rate-limit', async (req) => admin.show(sellerOf(req)));

      scope.put('/admin/sellers/:sellerId/rate-limit', async (req) => {
        const sellerId = sellerOf(req);
        const body = parsed(RateLimitOverrideSchema, req.body);
        return { ...(await admin.set(sellerId, body, { actor: adminActor(req), source: 'rest' })), note: takesEffect };
      });

      scope.delete('/admin/sellers/:sellerId/rate-limit', async (req) => {
        const sellerId = sellerOf(req);
        const { reason } = parsed(ClearQuery, req.query);
        return { ...(await admin.clear(sellerId, reason, { actor: adminActor(req), source: 'rest' })), note: takesEffect };
      });
    });
  };
}
