// Knowing when a scenario is over without loading the service: the bench polls the cheap count of
// delivery rows in its own schema, and reads the messaging sandbox's full list only once, at the end.
import { sql } from 'kysely';
import type { Db } from '../src/platform/db.js';
import type { SandboxMessage } from '../src/sandbox/messaging-sandbox.js';
import { idempotencyKey } from '../src/notifications/notification-messages.js';

/**
 * Resolves when `expected` deliveries of `kind` are recorded, or when the count has not moved for
 * `stallMs` (then the verification that follows reports what is missing). Returns the count seen.
 */
export async function waitForDeliveries(db: Db, options: { kind: string; expected: number; stallMs: number; label: string }): Promise<number> {
  let seen = -1;
  let movedAt = Date.now();
  let reportedAt = Date.now();
  for (;;) {
    const row = await db
      .selectFrom('deliveries')
      .select(sql<string>`count(*)`.as('n'))
      .where('kind', '=', options.kind)
      .executeTakeFirstOrThrow();
    const n = Number(row.n);
    if (n !== seen) {
      seen = n;
      movedAt = Date.now();
    }
    if (n >= options.expected) return n;
    if (Date.now() - movedAt > options.stallMs) {
      console.error(`[bench] ${options.label}: no delivery for ${options.stallMs / 1000} s at ${n}/${options.expected}; verifying what arrived`);
      return n;
    }
    if (Date.now() - reportedAt >= 5_000) {
      reportedAt = Date.now();
      console.error(`[bench] ${options.label}: ${n}/${options.expected} buyers told`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function fetchSandboxMessages(sandboxUrl: string): Promise<SandboxMessage[]> {
  const res = await fetch(`${sandboxUrl}/messages`);
  if (!res.ok) throw new Error(`The messaging sandbox answered ${res.status} to GET /messages`);
  const body = (await res.json()) as { messages: SandboxMessage[] };
  return body.messages;
}

/** The messages that confirmed these orders: a run's own, out of everything the sandbox received. */
export function confirmationsOf(messages: readonly SandboxMessage[], orderIds: Iterable<string>): SandboxMessage[] {
  const keys = new Set([...orderIds].map((id) => idempotencyKey('order-confirmed', id)));
  return messages.filter((m) => keys.has(m.idempotencyKey));
}
