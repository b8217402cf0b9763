// kill -9 of a service process in the middle of a stream of orders, then a restart: whatever the
// dead process held (un-acked deliveries, a committed but unconfirmed batch, a call to the messaging
// API whose answer never arrived) is redone, and every order that got a 202 is stored and told to
// its buyer exactly once. Also a worker frozen while duplicates pile up for it. Intake, business and
// notification each run in their own process.
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { createFaultContext, type FaultContext } from './support/fault-context.js';
import { startOrderStream } from './support/order-stream.js';
import { expectReconciledClean, type ReconcileDeps } from './support/reconcile.js';
import { startDeployment, type Deployment } from './support/service-process.js';

let ctx: FaultContext;
let deployment: Deployment;
let deps: ReconcileDeps;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ctx = await createFaultContext('kill');
  deps = { db: ctx.db, sandbox: ctx.sandbox, amqpUrl: ctx.amqpUrl, topology: ctx.topology };
  deployment = await startDeployment(ctx.env);
});

afterAll(async () => {
  await deployment?.stop();
  await ctx?.cleanup();
});

function diagnoseOnFailure(): void {
  onTestFailed(() => console.log(deployment.tail(40)));
}

it('a business process killed -9 twice mid-stream, once while frozen holding un-acked orders: every 202 processed and notified once', async () => {
  diagnoseOnFailure();
  const stream = startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-b`, count: 600, ratePerSecond: 30 });

  await stream.acceptedMore(40);
  await stream.slowedDuring(async () => {
    await deployment.business.kill('SIGKILL');
    await sleep(500);
    await deployment.business.start();
  });

  await stream.acceptedMore(30);
  // Frozen, it keeps receiving deliveries up to its prefetch and acks none: the kill then lands
  // with many orders un-acked, some perhaps committed to PostgreSQL and not yet confirmed onward.
  process.kill(deployment.business.pid!, 'SIGSTOP');
  await sleep(1_000);
  await stream.slowedDuring(async () => {
    await deployment.business.kill('SIGKILL');
    await deployment.business.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  await expectReconciledClean(deps, result);
  expect(deployment.unexpectedExits()).toEqual([]);
});

it('a notification process killed -9 while its calls to the messaging API are in flight: each buyer told once, under the same idempotency key', async () => {
  diagnoseOnFailure();
  // Each call takes 400 ms, so a kill always finds calls the provider has received but not answered.
  ctx.sandbox.setMode({ mode: 'slow', delayMs: 400 });
  const stream = startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-n`, count: 400, ratePerSecond: 30 });

  await stream.acceptedMore(60);
  // Received by the provider, not yet answered.
  const inFlight = () => {
    const told = new Set(ctx.sandbox.messages().map((m) => m.idempotencyKey));
    return stream.acceptedSoFar().some((id) => ctx.sandbox.requestsFor(`order-confirmed:${id}`) > 0 && !told.has(`order-confirmed:${id}`));
  };
  while (!inFlight()) await sleep(20);
  await stream.slowedDuring(async () => {
    await deployment.notification.kill('SIGKILL');
    await sleep(500);
    await deployment.notification.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  ctx.sandbox.setMode({ mode: 'ok' });
  expect(result.refused).toEqual([]);
  const r = await expectReconciledClean(deps, result);
  // The calls cut short were made again after the restart, with the key of the first call.
  expect(r.resentKeys).toBeGreaterThan(0);
  expect(deployment.unexpectedExits()).toEqual([]);
});

it('the intake process killed -9 mid-stream: clients retry the same orders, and every one that got a 202 is processed once', async () => {
  diagnoseOnFailure();
  const stream = startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-i`, count: 400, ratePerSecond: 30 });

  await stream.acceptedMore(60);
  await stream.slowedDuring(async () => {
    await deployment.intake.kill('SIGKILL');
    await sleep(500);
    await deployment.intake.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  // Some clients saw the connection drop and sent their order again.
  expect(result.answers.some((a) => a.status === 'error' || a.status === 'timeout')).toBe(true);
  await expectReconciledClean(deps, result);
  expect(deployment.unexpectedExits()).toEqual([]);
});

it('a notification process frozen while clients resubmit their orders: the duplicate requests that reach it together are sent and journaled once', async () => {
  diagnoseOnFailure();
  const ids = Array.from({ length: 20 }, (_, i) => `${ctx.id}-r-${String(i).padStart(4, '0')}`);
  const pid = deployment.notification.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    const first = await startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-r`, count: 20, ratePerSecond: 50 }).done;
    expect(first.accepted).toHaveLength(20);
    // The same orders again, as clients whose first answer was lost: the business actor asks for
    // each confirmation a second time, and both requests wait for the frozen notification actor.
    const again = await startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-r`, count: 20, ratePerSecond: 50 }).done;
    expect(again.accepted).toHaveLength(20);
    await waitFor(
      async () =>
        (await ctx.db.selectFrom('order_journal').select('id').where('order_id', 'in', ids).where('event', '=', 'order.processed').execute()).length === 20,
      { what: 'the business actor to store the orders' },
    );
    await sleep(1_000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  await expectReconciledClean(deps, { accepted: ids, refused: [] });
  expect(deployment.unexpectedExits()).toEqual([]);
});
