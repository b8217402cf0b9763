// What every console response and request goes through: the security headers (a strict CSP, no
// sniffing, no referrer), the session cookie's attributes, and the form parser. Kept apart from the
// pages so the properties docs/console.md promises are in one place.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSession } from './console-sessions.js';

export const SESSION_COOKIE = 'console_session';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Pages show failed messages' bodies and buyers' data: no shared or back-button cache keeps them.
  'cache-control': 'no-store',
};

/** The security headers on every answer of this scope, errors and redirects included. */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) void reply.header(name, value);
    return payload;
  });
}

/** HTML forms post application/x-www-form-urlencoded; the API elsewhere takes JSON only. */
export function parseForms(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });
}

export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Over TLS directly, or behind a proxy that says it terminated TLS. */
function cameOverTls(req: FastifyRequest): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, session: ConsoleSession | undefined): void {
  const value = session ? session.id : '';
  const maxAge = session ? Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000)) : 0;
  const attributes = [`${SESSION_COOKIE}=${value}`, 'Path=/console', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAge}`];
  if (cameOverTls(req)) attributes.push('Secure');
  void reply.header('set-cookie', attributes.join('; '));
}
