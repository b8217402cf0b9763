// Who is calling the shop-facing routes: with SELLER_AUTH=required every request carries a seller's
// API key (Authorization: Bearer oak_…) and may only touch that seller's orders. With `off` (local
// trials only) any caller acts for any seller.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../http/http-errors.js';
import type { SellerKeys } from './seller-keys.js';

export type SellerAuth = {
  /** onRequest hook for shop-facing routes: reads only the headers. */
  authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The authenticated seller, or undefined when seller auth is off. */
  sellerOf(req: FastifyRequest): string | undefined;
  /** Throws 403 unless the caller may act for `sellerId`. */
  assertMayActFor(req: FastifyRequest, sellerId: string): void;
  /** Whether the caller may see data of `sellerId` (a 404 hides the rest). */
  maySee(req: FastifyRequest, sellerId: string): boolean;
};

const sellers = new WeakMap<FastifyRequest, string>();

export function createSellerAuth(deps: { mode: 'required' | 'off'; keys: Pick<SellerKeys, 'verify'> }): SellerAuth {
  const sellerOf = (req: FastifyRequest) => sellers.get(req);
  return {
    async authenticate(req) {
      if (deps.mode === 'off') return;
      const header = req.headers.authorization;
      const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      if (!token) throw new UnauthorizedError('Send your API key as Authorization: Bearer oak_…');
      const sellerId = await deps.keys.verify(token);
      if (!sellerId) throw new UnauthorizedError('This API key is unknown or revoked');
      sellers.set(req, sellerId);
    },
    sellerOf,
    assertMayActFor(req, sellerId) {
      const caller = sellerOf(req);
      if (deps.mode === 'required' && caller !== sellerId) {
        throw new ForbiddenError(`This API key belongs to seller ${caller ?? '?'} and cannot act for seller ${sellerId}`);
      }
    },
    maySee(req, sellerId) {
      return deps.mode === 'off' || sellerOf(req) === sellerId;
    },
  };
}
