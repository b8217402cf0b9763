// A seller's rate limits over HTTP for operators, behind the admin token: see the limits in force
// with the override and its history, set an override (audited with who and why), clear it.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminActor, adminAuth } from '../http/admin-auth.js';
import { IdSchema } from '../platform/id-schema.js';
import type { SellerRateLimitAdmin } from './seller-rate-limit-admin.js';
import { ClearReasonSchema, RateLimitOverrideSchema } from './seller-rate-limit-schema.js';

const SellerParams = z.strictObject({ sellerId: IdSchema });
const ClearQuery = z.strictObject({ reason: ClearReasonSchema });

export function sellerRateLimitRoutes(deps: { admin: SellerRateLimitAdmin; adminToken: string | undefined; reloadMs: number }) {
  const { admin } = deps;
  // Said in every answer that changes something, so the operator does not expect it at once everywhere.
  const takesEffect = `every intake process applies it within ${deps.reloadMs} ms`;

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (plain) => {
      const scope = plain.withTypeProvider<ZodTypeProvider>();
      // onRequest, not preHandler: a caller without the token learns nothing, not even body errors.
      scope.addHook('onRequest', adminAuth(deps.adminToken));

      scope.get('/admin/sellers/:sellerId/rate-limit', { schema: { params: SellerParams } }, async (req) => admin.show(req.params.sellerId));

      scope.put('/admin/sellers/:sellerId/rate-limit', { schema: { params: SellerParams, body: RateLimitOverrideSchema } }, async (req) => ({
        ...(await admin.set(req.params.sellerId, req.body, { actor: adminActor(req), source: 'rest' })),
        note: takesEffect,
      }));

      scope.delete('/admin/sellers/:sellerId/rate-limit', { schema: { params: SellerParams, querystring: ClearQuery } }, async (req) => ({
        ...(await admin.clear(req.params.sellerId, req.query.reason, { actor: adminActor(req), source: 'rest' })),
        note: takesEffect,
      }));
    });
  };
}
