// The check every fault test ends with, as RabbitMQ's Jepsen runs end: from what the client was told
// (202 or refusal) and what the database and the messaging provider hold, count what was lost,
// duplicated, processed without being accepted, and left behind in the broker.
import { expect } from 'vitest';
import { allQueues, type Topology } from '../../../src/platform/amqp/topology.js';
import type { Db } from '../../../src/platform/db.js';
import type { Sandbox } from '../../support/service-harness.js';
import { connectAny } from '../../support/topology-cleanup.js';
import { waitFor } from '../../support/wait-for.js';

export type Reconciliation = {
  accepted: number;
  refused: number;
  /** Accepted (202) but not stored, not recorded as delivered, or the buyer not told: "orderId: why". */
  lost: string[];
  /** Processed or told more than once: "orderId: what". */
  duplicated: string[];
  /** Refused, yet stored or told. */
  unexpected: string[];
  /** Messages parked in the dead-letter queue. */
  deadLettered: number;
  /** Queues that still hold messages after the drain: "queue: count". */
  leftBehind: string[];
  /** Idempotency keys the messaging API was called with more than once (allowed: it answers once per key). */
  resentKeys: number;
};

export type ReconcileDeps = { db: Db; sandbox: Sandbox; amqpUrl: string; topology: Topology };

const CONFIRMED = 'order-confirmed';
const keyOf = (orderId: string) => `${CONFIRMED}:${orderId}`;

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Messages ready in each of this file's queues, looked at on a connection of the test's own. */
export async function queueDepths(url: string, topology: Topology): Promise<Map<string, number>> {
  const conn = await connectAny(url);
  try {
    const ch = await conn.createChannel();
    const depths = new Map<string, number>();
    for (const q of allQueues(topology)) depths.set(q, (await ch.checkQueue(q)).messageCount);
    await ch.close();
    return depths;
  } finally {
    await conn.close();
  }
}

/**
 * Waits until every accepted order is stored, recorded as delivered and told to the buyer, and the
 * work and retry queues are empty; then a moment longer, so a late duplicate has time to show.
 * Returns either way: the reconciliation says what is missing.
 */
export async function waitForDrain(deps: ReconcileDeps, accepted: readonly string[], timeoutMs = 90_000): Promise<void> {
  const ids = [...accepted];
  await waitFor(
    async () => {
      const told = new Set(deps.sandbox.messages().map((m) => m.idempotencyKey));
      if (!ids.every((id) => told.has(keyOf(id)))) return false;
      if (ids.length > 0) {
        const rows = await deps.db.selectFrom('deliveries').select('order_id').where('order_id', 'in', ids).execute();
        if (new Set(rows.map((r) => r.order_id)).size < ids.length) return false;
      }
      const depths = await queueDepths(deps.amqpUrl, deps.topology);
      return [...depths].every(([q, n]) => q === deps.topology.deadLetters || n === 0);
    },
    { timeoutMs, intervalMs: 500, what: 'the accepted orders to be processed and notified' },
  ).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1_500));
}

/** What the clients were told: the orders that got a 202, and those refused. */
export type ReconcileOutcome = {
  accepted: readonly string[];
  refused: readonly string[];
  /** Orders whose fate the client cannot know (the answer said so): either way is fine, twice is not. */
  indeterminate?: readonly string[];
};

export async function reconcile(deps: ReconcileDeps, outcome: ReconcileOutcome): Promise<Reconciliation> {
  const { db, sandbox } = deps;
  const ids = [...outcome.accepted, ...outcome.refused, ...(outcome.indeterminate ?? [])];
  const [orders, journal, deliveries] =
    ids.length === 0
      ? [[], [], []]
      : await Promise.all([
          db.selectFrom('orders').select('order_id').where('order_id', 'in', ids).execute(),
          db
            .selectFrom('order_journal')
            .select(['order_id', 'event'])
            .where('order_id', 'in', ids)
            .where('event', 'in', ['order.processed', 'notification.sent'])
            .execute(),
          db.selectFrom('deliveries').select(['order_id', 'kind']).where('order_id', 'in', ids).execute(),
        ]);
  const stored = new Set(orders.map((o) => o.order_id));
  const journalCounts = countBy(journal, (j) => `${j.order_id} ${j.event}`);
  const deliveryCounts = countBy(deliveries, (d) => `${d.order_id} ${d.kind}`);
  const messages = sandbox.messages();
  // The sandbox keeps one message per idempotency key; a second message for one order would need a
  // second key, which is what counting by the order id catches.
  const toldCounts = countBy(messages, (m) => String(m.params.orderId));

  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const id of outcome.accepted) {
    const why: string[] = [];
    if (!stored.has(id)) why.push('not stored');
    if (!deliveryCounts.has(`${id} ${CONFIRMED}`)) why.push('no delivery recorded');
    if (!toldCounts.has(id)) why.push('buyer not told');
    if (why.length > 0) lost.push(`${id}: ${why.join(', ')}`);
  }
  for (const id of ids) {
    const what: string[] = [];
    const processed = journalCounts.get(`${id} order.processed`) ?? 0;
    const sent = journalCounts.get(`${id} notification.sent`) ?? 0;
    const recorded = deliveryCounts.get(`${id} ${CONFIRMED}`) ?? 0;
    const told = toldCounts.get(id) ?? 0;
    if (processed > 1) what.push(`processed ${processed}×`);
    if (sent > 1) what.push(`journaled as sent ${sent}×`);
    if (recorded > 1) what.push(`delivery recorded ${recorded}×`);
    if (told > 1) what.push(`buyer told ${told}×`);
    if (what.length > 0) duplicated.push(`${id}: ${what.join(', ')}`);
  }
  const unexpected = outcome.refused
    .filter((id) => stored.has(id) || toldCounts.has(id))
    .map((id) => `${id}: refused, yet ${[stored.has(id) ? 'stored' : '', toldCounts.has(id) ? 'told to the buyer' : ''].filter(Boolean).join(' and ')}`);

  const depths = await queueDepths(deps.amqpUrl, deps.topology);
  const leftBehind = [...depths].filter(([q, n]) => q !== deps.topology.deadLetters && n > 0).map(([q, n]) => `${q}: ${n}`);

  return {
    accepted: outcome.accepted.length,
    refused: outcome.refused.length,
    lost,
    duplicated,
    unexpected,
    deadLettered: depths.get(deps.topology.deadLetters) ?? 0,
    leftBehind,
    resentKeys: outcome.accepted.filter((id) => sandbox.requestsFor(keyOf(id)) > 1).length,
  };
}

/** The verdict a fault test asserts: nothing lost, nothing twice, nothing refused yet done, nothing parked or stuck. */
export function verdict(r: Reconciliation) {
  return { lost: r.lost, duplicated: r.duplicated, unexpected: r.unexpected, deadLettered: r.deadLettered, leftBehind: r.leftBehind };
}

export const CLEAN = { lost: [], duplicated: [], unexpected: [], deadLettered: 0, leftBehind: [] };

/**
 * How a fault test ends: wait until every accepted order is processed and told, reconcile, and
 * expect the verdict clean. Returns the reconciliation for any further checks.
 */
export async function expectReconciledClean(deps: ReconcileDeps, outcome: ReconcileOutcome): Promise<Reconciliation> {
  await waitForDrain(deps, outcome.accepted);
  const r = await reconcile(deps, outcome);
  expect(verdict(r)).toEqual(CLEAN);
  return r;
}
