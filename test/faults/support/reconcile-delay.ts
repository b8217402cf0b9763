// The reconciliation for a delivery delay, the delay's counterpart of reconcile.ts: from the
// database and the messaging provider, which affected orders were skipped (date not moved, buyer
// not told), which were moved or told more than once, which orders the delay should not have
// touched were touched anyway, and what was left in the broker.
import type { Topology } from '../../../src/platform/amqp/topology.js';
import type { Db } from '../../../src/platform/db.js';
import type { Sandbox } from '../../support/service-harness.js';
import { queueDepths } from './reconcile.js';

const KIND = 'delivery-delayed';

export type DelayReconciliation = {
  /** Affected orders whose date was not moved, not journaled, not recorded as told, or whose buyer was not told: "orderId: why". */
  lost: string[];
  /** Affected orders moved, recorded or told more than once: "orderId: what". */
  duplicated: string[];
  /** Orders outside the delay that it touched, and notices with the wrong key or dates. */
  unexpected: string[];
  deadLettered: number;
  leftBehind: string[];
};

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export async function reconcileDelay(
  deps: { db: Db; sandbox: Sandbox; amqpUrl: string; topology: Topology },
  delay: { delayId: string; affected: readonly string[]; untouched: readonly string[]; from: string; to: string },
): Promise<DelayReconciliation> {
  const { db } = deps;
  const ids = [...delay.affected, ...delay.untouched];
  const [orders, journal, deliveries, snapshot] = await Promise.all([
    db.selectFrom('orders').select(['order_id', 'delivery_date']).where('order_id', 'in', ids).execute(),
    db.selectFrom('order_journal').select('order_id').where('order_id', 'in', ids).where('event', '=', 'delivery.delayed').execute(),
    db.selectFrom('deliveries').select(['order_id', 'idempotency_key']).where('order_id', 'in', ids).where('kind', '=', KIND).execute(),
    db.selectFrom('delivery_delay_orders').select('order_id').where('order_id', 'in', delay.untouched).execute(),
  ]);
  const date = new Map(orders.map((o) => [o.order_id, o.delivery_date]));
  const journaled = countBy(journal, (j) => j.order_id);
  const recorded = countBy(deliveries, (d) => d.order_id);
  const recordedKeys = new Set(deliveries.map((d) => d.idempotency_key));
  const notices = deps.sandbox.messages().filter((m) => m.template === KIND);
  const told = countBy(notices, (m) => String(m.params.orderId));
  const toldKeys = new Set(notices.map((m) => m.idempotencyKey));
  // Spelled out rather than imported: the key is the provider-facing contract under test.
  const keyOf = (orderId: string) => `${KIND}:${orderId}:${delay.delayId}`;

  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const id of delay.affected) {
    const why: string[] = [];
    if (date.get(id) !== delay.to) why.push(`delivery date ${date.get(id) ?? 'missing'}`);
    if (!journaled.has(id)) why.push('not journaled');
    if (!recordedKeys.has(keyOf(id))) why.push('no delivery recorded');
    if (!toldKeys.has(keyOf(id))) why.push('buyer not told');
    if (why.length > 0) lost.push(`${id}: ${why.join(', ')}`);
    const what: string[] = [];
    if ((journaled.get(id) ?? 0) > 1) what.push(`journaled as delayed ${journaled.get(id)}×`);
    if ((recorded.get(id) ?? 0) > 1) what.push(`delivery recorded ${recorded.get(id)}×`);
    if ((told.get(id) ?? 0) > 1) what.push(`buyer told ${told.get(id)}×`);
    if (what.length > 0) duplicated.push(`${id}: ${what.join(', ')}`);
  }

  const untouched = new Set(delay.untouched);
  const inSnapshot = new Set(snapshot.map((s) => s.order_id));
  const unexpected: string[] = [];
  for (const id of delay.untouched) {
    const how: string[] = [];
    if (date.get(id) === delay.to) how.push('delivery date moved');
    if (journaled.has(id)) how.push('journaled as delayed');
    if (recorded.has(id)) how.push('delivery recorded');
    if (told.has(id)) how.push('buyer told');
    if (inSnapshot.has(id)) how.push('taken into a delay');
    if (how.length > 0) unexpected.push(`${id}: outside the delay, yet ${how.join(', ')}`);
  }
  for (const m of notices) {
    const orderId = String(m.params.orderId);
    if (untouched.has(orderId)) continue;
    if (m.idempotencyKey !== keyOf(orderId) || m.params.previousDeliveryDate !== delay.from || m.params.newDeliveryDate !== delay.to) {
      unexpected.push(`${orderId}: told under ${m.idempotencyKey} of ${String(m.params.previousDeliveryDate)} → ${String(m.params.newDeliveryDate)}`);
    }
  }

  const depths = await queueDepths(deps.amqpUrl, deps.topology);
  return {
    lost,
    duplicated,
    unexpected,
    deadLettered: depths.get(deps.topology.deadLetters) ?? 0,
    leftBehind: [...depths].filter(([q, n]) => q !== deps.topology.deadLetters && n > 0).map(([q, n]) => `${q}: ${n}`),
  };
}
