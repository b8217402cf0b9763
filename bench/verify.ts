// After each scenario, what a user would check: every accepted order stored once, every buyer told
// exactly once (one message per idempotency key at the messaging API, one delivery row), nothing
// dead-lettered. Problems fail the run; notes are reported but allowed.
import amqp from 'amqplib';
import { sql } from 'kysely';
import { allShards } from '../src/platform/amqp/topology.js';
import type { Db } from '../src/platform/db.js';
import type { SandboxMessage } from '../src/sandbox/messaging-sandbox.js';
import type { BenchConfig } from './bench-config.js';
import { firstUrl, type BenchNames } from './bench-isolation.js';

export type Verification = { ok: boolean; problems: string[]; notes: string[] };

const sample = (ids: Iterable<string>, n = 3) => [...ids].slice(0, n).join(', ');

function finding(list: string[], ids: readonly string[], what: string): void {
  if (ids.length > 0) list.push(`${ids.length} ${what} (e.g. ${sample(ids)})`);
}

/** Orders intake accepted are stored exactly once (their buyers' deliveries are checked apart); returns the ids stored. */
export async function checkOrdersStored(db: Db, accepted: ReadonlySet<string>, result: Verification): Promise<Set<string>> {
  const rows = await db.selectFrom('orders').select('order_id').execute();
  const stored = new Set(rows.map((r) => r.order_id));
  finding(
    result.problems,
    [...accepted].filter((id) => !stored.has(id)),
    'orders answered 202 but were never stored',
  );
  finding(
    result.notes,
    [...stored].filter((id) => !accepted.has(id)),
    'orders were stored without a 202 (the client saw an error or timeout after the broker had them)',
  );
  const twice = await db
    .selectFrom('order_journal')
    .select('order_id')
    .where('event', '=', 'order.processed')
    .groupBy('order_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  finding(
    result.problems,
    twice.map((r) => r.order_id),
    'orders were processed more than once (journal)',
  );
  return stored;
}

/** Each order's buyer got exactly one message under its idempotency key, and no one else got any. */
export async function checkBuyersTold(
  db: Db,
  messages: readonly SandboxMessage[],
  options: { kind: string; orderIds: ReadonlySet<string>; keyOf: (orderId: string) => string },
  result: Verification,
): Promise<void> {
  const keyPrefix = `${options.kind}:`;
  const expected = new Map([...options.orderIds].map((id) => [options.keyOf(id), id]));
  const byKey = new Map<string, SandboxMessage[]>();
  for (const m of messages) {
    if (!m.idempotencyKey.startsWith(keyPrefix)) continue;
    byKey.set(m.idempotencyKey, [...(byKey.get(m.idempotencyKey) ?? []), m]);
  }
  finding(
    result.problems,
    [...expected.values()].filter((id) => !byKey.has(options.keyOf(id))),
    `buyers were never told (${options.kind})`,
  );
  finding(
    result.problems,
    [...byKey.keys()].filter((k) => (byKey.get(k)?.length ?? 0) > 1),
    'idempotency keys have more than one message at the messaging API',
  );
  finding(
    result.problems,
    [...byKey.keys()].filter((k) => !expected.has(k)),
    'messages went to buyers of orders that are not in the run',
  );
  const repeats = [...byKey.values()].flat().filter((m) => m.requests > 1);
  finding(
    result.notes,
    repeats.map((m) => m.idempotencyKey),
    'notifications were sent to the messaging API more than once (its idempotency key absorbed the repeats)',
  );

  const rows = await db.selectFrom('deliveries').select('idempotency_key').where('idempotency_key', 'like', `${keyPrefix}%`).execute();
  const recorded = new Set(rows.map((r) => r.idempotency_key));
  finding(
    result.problems,
    [...expected.keys()].filter((k) => !recorded.has(k)),
    'deliveries are missing in PostgreSQL',
  );
  const twice = await db
    .selectFrom('order_journal')
    .select('order_id')
    .where('event', '=', 'notification.sent')
    .where(sql<string>`detail->>'kind'`, '=', options.kind)
    .groupBy('order_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  finding(
    result.problems,
    twice.map((r) => r.order_id),
    'orders were notified more than once (journal)',
  );
}

/** Nothing may be dead-lettered in a clean run; a message still in a work queue is reported. */
export async function checkQueues(config: BenchConfig, names: BenchNames, result: Verification): Promise<void> {
  const conn = await amqp.connect(firstUrl(names.placement.amqpUrl));
  try {
    const ch = await conn.createChannel();
    const { messageCount: dead } = await ch.checkQueue(names.topology.deadLetters);
    if (dead > 0) result.problems.push(`${dead} messages were dead-lettered (inspect ${names.topology.deadLetters} or the service logs)`);
    for (const shard of allShards(names.topology)) {
      const { messageCount } = await ch.checkQueue(shard.queue);
      if (messageCount > 0) result.notes.push(`${messageCount} messages still wait in ${shard.queue}`);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
}

export function newVerification(): Verification {
  return { ok: true, problems: [], notes: [] };
}

export function settle(result: Verification): Verification {
  return { ...result, ok: result.problems.length === 0 };
}
