// Console sessions: random ids held in this process's memory, each with its own CSRF token and an
// expiry. They are not shared between processes and do not survive a restart (operators sign in
// again); that keeps the console free of a session store the service does not otherwise need.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** The signed-in session of a request, found by the guard before any page handler runs. */
export type SessionOf = (req: FastifyRequest) => ConsoleSession;

export type ConsoleSession = {
  id: string;
  csrfToken: string;
  /** Who the audit rows name: the token's fingerprint, the same one the REST API records. */
  actor: string;
  expiresAt: number;
};

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The first 8 hex digits of the SHA-256 of the Authorization header the token would make, as adminActor fingerprints it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(`Bearer ${token}`).digest('hex').slice(0, 8);
}

/** Equal in constant time; hashing first makes the lengths equal too. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

export function createConsoleSessions(deps: { adminToken: string | undefined; ttlMs?: number; now?: () => number }) {
  const ttlMs = deps.ttlMs ?? SESSION_TTL_MS;
  const now = deps.now ?? Date.now;
  const sessions = new Map<string, ConsoleSession>();

  const prune = () => {
    const t = now();
    for (const [id, s] of sessions) if (s.expiresAt <= t) sessions.delete(id);
  };

  return {
    /** A new session for the right token; undefined for a wrong one, or when no ADMIN_TOKEN is configured. */
    signIn(token: string): ConsoleSession | undefined {
      if (!deps.adminToken || !sameSecret(token, deps.adminToken)) return undefined;
      prune();
      const session: ConsoleSession = {
        id: randomBytes(32).toString('base64url'),
        csrfToken: randomBytes(32).toString('base64url'),
        actor: `console (token ${tokenFingerprint(token)})`,
        expiresAt: now() + ttlMs,
      };
      sessions.set(session.id, session);
      return session;
    },

    find(id: string | undefined): ConsoleSession | undefined {
      if (!id) return undefined;
      const session = sessions.get(id);
      if (session && session.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return session;
    },

    signOut(id: string): void {
      sessions.delete(id);
    },
  };
}
