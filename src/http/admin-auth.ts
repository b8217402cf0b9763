// Bearer-token guard for /admin routes. Compared in constant time; with no ADMIN_TOKEN configured
// every admin request is refused (401), so an unconfigured deployment is closed, not open.
// A seller's API key is refused with 403: authenticated, but not an operator.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from './http-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  return async (req: FastifyRequest): Promise<void> => {
    // Node keeps only the first of repeated Authorization headers, while a proxy in front may have
    // judged the last: credentials that are ambiguous are no credentials.
    const single = req.raw.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization').length === 1;
    const header = single ? req.headers.authorization : undefined;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (expected && token && timingSafeEqual(digest(token), expected)) return;
    // A shop's API key is a valid identity, just not one allowed here.
    if (token?.startsWith('oak_')) throw new ForbiddenError('Seller API keys cannot use admin routes; use ADMIN_TOKEN');
    throw new UnauthorizedError(expected ? 'Send Authorization: Bearer <ADMIN_TOKEN>' : 'Admin routes are disabled until ADMIN_TOKEN is set');
  };
}

/** Who made an admin change, for audit rows: a short fingerprint of the token, never the token. */
export function adminActor(req: FastifyRequest): string {
  const header = req.headers.authorization ?? '';
  const who = req.headers['x-operator'];
  const fingerprint = createHash('sha256').update(header).digest('hex').slice(0, 8);
  return typeof who === 'string' && /^[\w.@-]{1,64}$/.test(who) ? `${who} (token ${fingerprint})` : `admin (token ${fingerprint})`;
}
