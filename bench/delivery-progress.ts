// Knowing when a scenario is over without loading the service: the bench polls the messaging
// sandbox's count of messages per kind, kept as they arrive (no table or list is scanned while the
// pipeline runs), and reads the sandbox's full list only once, at the end.
import { sql } from 'kysely';
import { idempotencyKey } from '../src/notifications/notification-messages.js';
import type { Db } from '../src/platform/db.js';
import type { SandboxCount, SandboxMessage } from '../src/sandbox/messaging-sandbox.js';

/** A scenario's sandbox process and the POST /messages calls it answered while the CPU was measured. */
export type SandboxCalls = { name: string; calls: number };

/** Messages the sandbox kept under `prefix` (all, when empty) and the POST /messages calls it answered. */
export async function sandboxCount(sandboxUrl: string, prefix = ''): Promise<SandboxCount> {
  const res = await fetch(`${sandboxUrl}/messages/count?prefix=${encodeURIComponent(prefix)}`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`The messaging sandbox answered ${res.status} to GET /messages/count`);
  return (await res.json()) as SandboxCount;
}

async function poll(
  count: () => Promise<number>,
  options: { expected: number; stallMs: number; everyMs: number; onStall: (n: number) => void; onProgress?: (n: number) => void },
): Promise<number> {
  let seen = -1;
  let movedAt = Date.now();
  let reportedAt = Date.now();
  for (;;) {
    const n = await count();
    if (n !== seen) {
      seen = n;
      movedAt = Date.now();
    }
    if (n >= options.expected) return n;
    if (Date.now() - movedAt > options.stallMs) {
      options.onStall(n);
      return n;
    }
    if (options.onProgress && Date.now() - reportedAt >= 5_000) {
      reportedAt = Date.now();
      options.onProgress(n);
    }
    await new Promise((r) => setTimeout(r, options.everyMs));
  }
}

/**
 * Resolves when the sandbox holds `expected` messages of `kind` and the service has recorded their
 * deliveries, or when a count has not moved for `stallMs` (then the verification that follows
 * reports what is missing). Returns the number of buyers the sandbox saw told.
 */
export async function waitForBuyersTold(
  db: Db,
  sandboxUrl: string,
  options: { kind: string; expected: number; stallMs: number; label: string },
): Promise<number> {
  const { kind, expected, stallMs, label } = options;
  const told = await poll(async () => (await sandboxCount(sandboxUrl, `${kind}:`)).messages, {
    expected,
    stallMs,
    everyMs: 200,
    onStall: (n) => console.error(`[bench] ${label}: no buyer told for ${stallMs / 1000} s at ${n}/${expected}; verifying what arrived`),
    onProgress: (n) => console.error(`[bench] ${label}: ${n}/${expected} buyers told`),
  });
  // The service records a delivery just after the messaging API answers: one count of the rows
  // (rarely two) so that neither the CPU meter nor the verification cuts that last write off.
  await poll(
    async () => {
      const row = await db
        .selectFrom('deliveries')
        .select(sql<string>`count(*)`.as('n'))
        .where('kind', '=', kind)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    { expected: told, stallMs, everyMs: 50, onStall: (n) => console.error(`[bench] ${label}: ${n} deliveries recorded of ${told} buyers told; verifying`) },
  );
  return told;
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
