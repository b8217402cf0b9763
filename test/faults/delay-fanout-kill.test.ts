// A delivery delay over thousands of stored orders, with the intake process (which fans it out in
// slices of 1,000: each slice's dates moved, one notice per buyer published to the notification
// queue and the slice marked, in one transaction that commits once the confirms are in) killed -9
// half-way and started again. The new process resumes the fan-out by
// itself, and every affected buyer is told exactly once, every date moved once, and no order outside
// the delay touched. The intake's link to RabbitMQ is throttled by a TCP proxy while the fan-out runs,
// so that even on a 2-core machine the kill can be timed to land inside a slice, part of it already
// queued, without any hook in the service.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { getJson, postJson } from '../support/service-harness.js';
import { storeOrders } from '../support/stored-orders.js';
import { sleep, waitFor } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';
import { reconcileDelay } from './support/reconcile-delay.js';
import { queueDepths } from './support/reconcile.js';
import { proxyInFrontOf, throughProxy, type TcpProxy } from './support/tcp-proxy.js';

/** Three slices and a half: the kill lands after the first is marked, well before the last. */
const AFFECTED = 3_500;
/**
 * A slice is about 0.5 MB on the wire; at this rate it takes about 2 s, well inside the publisher's
 * 5 s confirm deadline (a slice not confirmed in time is rolled back and sent again whole).
 */
const THROTTLE_BYTES_PER_S = 250_000;
/** About a tenth of a slice, some 100 messages: enough to be sure part of it reached the broker. */
const INTO_SLICE_BYTES = 50_000;
const DUE = '2026-12-01';
const OTHER_DAY = '2026-12-02';
const NEW_DATE = '2026-12-04';

let brokerLink: TcpProxy;
const file = faultsForThisFile('delay-kill', async (services) => {
  brokerLink = await proxyInFrontOf(services.amqpUrl);
  return {
    // Only the intake, which runs the fan-out, goes through the proxy; the actors talk to RabbitMQ directly.
    roleEnv: { intake: { AMQP_URL: throughProxy(services.amqpUrl, brokerLink) } },
    remove: () => brokerLink.close(),
  };
});

/** Messages the notification actor settled as done, from its own /metrics. */
async function noticesDone(): Promise<number> {
  const res = await fetch(`${file.deployment.notification.baseUrl}/metrics`);
  const m = /^order_actors_actor_messages_total\{actor="notification",result="done"\} (\d+)$/m.exec(await res.text());
  return Number(m?.[1] ?? 0);
}

it("the intake process killed -9 half-way through a delivery delay's fan-out and started again: no order skipped, none told twice, nothing else touched", async () => {
  const sellerId = `farm-${file.ctx.id}`;
  const affected = await storeOrders(file.ctx.db, { idPrefix: `${file.ctx.id}-a`, count: AFFECTED, overrides: { sellerId, requestedDeliveryDate: DUE } });
  const otherDay = await storeOrders(file.ctx.db, { idPrefix: `${file.ctx.id}-d`, count: 20, overrides: { sellerId, requestedDeliveryDate: OTHER_DAY } });
  const otherSeller = await storeOrders(file.ctx.db, {
    idPrefix: `${file.ctx.id}-s`,
    count: 20,
    overrides: { sellerId: `${sellerId}-x`, requestedDeliveryDate: DUE },
  });

  brokerLink.setMode({ mode: 'throttle', bytesPerSecond: THROTTLE_BYTES_PER_S });
  const answer = await postJson(file.deployment.intakeUrl, '/delivery-delays', {
    sellerId,
    requestedDeliveryDate: DUE,
    newDeliveryDate: NEW_DATE,
    reason: 'heavy rain',
  });
  expect(answer.status).toBe(202);
  expect(answer.body).toMatchObject({ orders: AFFECTED, status: 'accepted' });
  const delayId = answer.body!.delayId as string;

  const marks = () =>
    file.ctx.db
      .selectFrom('delivery_delay_orders')
      .select([sql<number>`count(published_at)::int`.as('published'), sql<number>`count(processed_at)::int`.as('processed')])
      .where('delay_id', '=', delayId)
      .executeTakeFirstOrThrow();
  // The kill lands inside a slice: one slice marked, and some 100 messages of the next, unmarked one
  // across the throttled link to the broker. The restarted fan-out must send those again.
  let lastMark = { published: 0, bytesUp: 0 };
  const where = await waitFor(
    async () => {
      const { published } = await marks();
      const bytesUp = brokerLink.bytesForwarded().upstream;
      if (published >= AFFECTED) return 'finished';
      if (published !== lastMark.published) lastMark = { published, bytesUp };
      return published > 0 && bytesUp - lastMark.bytesUp > INTO_SLICE_BYTES ? 'inside a slice' : undefined;
    },
    { what: 'the fan-out to be half-way, inside a slice', timeoutMs: 60_000, intervalMs: 20 },
  );
  expect(where, 'the fan-out finished before the kill: throttle the link further').toBe('inside a slice');
  await file.deployment.intake.kill('SIGKILL');
  // Read once the process is gone: a commit it sent just before dying has landed by then.
  await sleep(200);
  const atKill = await marks();
  const delay = await file.ctx.db.selectFrom('delivery_delays').select('published_at').where('delay_id', '=', delayId).executeTakeFirstOrThrow();
  // Really half-way: some slices marked, not all, and the fan-out not recorded as finished.
  expect(atKill.published).toBeGreaterThan(0);
  expect(atKill.published).toBeLessThan(AFFECTED);
  expect(delay.published_at).toBeNull();

  // The cut slice's transaction died with the process: its dates are not moved, its rows not marked.
  expect(atKill.processed).toBe(atKill.published);
  // Before the restart, the notification actor works off what reached the broker. More buyers told
  // than marked published shows the cut slice had partly gone out: the restart sends those again.
  const told = () =>
    file.ctx.db
      .selectFrom('deliveries')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('idempotency_key', 'like', `delivery-delayed:%:${delayId}`)
      .executeTakeFirstOrThrow();
  const toldBeforeRestart = await waitFor(
    async () => {
      const before = (await told()).n;
      await sleep(1_000);
      const after = (await told()).n;
      const notices = (await queueDepths(file.ctx.amqpUrl, file.ctx.topology)).get(file.ctx.topology.actors.notification.work);
      return after === before && notices === 0 ? after : undefined;
    },
    { what: 'the notification actor to work off what reached the broker before the kill', timeoutMs: 60_000 },
  );
  expect((await marks()).published).toBe(atKill.published);
  expect(toldBeforeRestart).toBeGreaterThan(atKill.published);

  brokerLink.setMode({ mode: 'pass' });
  await file.deployment.intake.start();

  // The restarted process resumes the fan-out on its own (its sweep runs at start and every 5 s).
  await waitFor(
    async () => {
      const progress = await getJson(file.deployment.intakeUrl, `/delivery-delays/${delayId}`);
      if (progress.body?.notified !== AFFECTED || !progress.body.finishedAt) return false;
      const depths = await queueDepths(file.ctx.amqpUrl, file.ctx.topology);
      return [...depths.values()].every((n) => n === 0);
    },
    { what: 'every affected buyer to be told and the queues to drain', timeoutMs: 120_000, intervalMs: 500 },
  );
  // A moment longer, so that a late duplicate (a slice published twice) has time to show.
  await sleep(1_500);

  const progress = await getJson(file.deployment.intakeUrl, `/delivery-delays/${delayId}`);
  expect(progress.body).toMatchObject({ total: AFFECTED, published: AFFECTED, processed: AFFECTED, notified: AFFECTED, newDeliveryDate: NEW_DATE });
  expect(progress.body!.publishedAt).toEqual(expect.any(String));
  expect(progress.body!.finishedAt).toEqual(expect.any(String));

  const r = await reconcileDelay(file.ctx, { delayId, affected, untouched: [...otherDay, ...otherSeller], from: DUE, to: NEW_DATE });
  expect(r).toEqual({ lost: [], duplicated: [], unexpected: [], deadLettered: 0, leftBehind: [] });
  // The notices of the slice the kill cut short reached the notification actor twice, and told nobody twice.
  expect(await noticesDone()).toBeGreaterThan(AFFECTED);
  expect(file.deployment.unexpectedExits()).toEqual([]);
});
