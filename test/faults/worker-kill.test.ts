// kill -9 of a service process in the middle of a stream of orders, then a restart: whatever the
// dead process held (un-acked deliveries, a committed but unconfirmed batch, a call to the messaging
// API whose answer never arrived) is redone, and every order that got a 202 is stored and told to
// its buyer exactly once. Also a worker frozen while duplicates pile up for it. Intake, business and
// notification each run in their own process.
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';

const file = faultsForThisFile('kill');

it('a business process killed -9 twice mid-stream, once while frozen holding un-acked orders: every 202 processed and notified once', async () => {
  const stream = file.stream('b', { count: 600, ratePerSecond: 30 });

  await stream.acceptedMore(40);
  await stream.slowedDuring(async () => {
    await file.deployment.business.kill('SIGKILL');
    await sleep(500);
    await file.deployment.business.start();
  });

  await stream.acceptedMore(30);
  // Frozen, it keeps receiving deliveries up to its prefetch and acks none: the kill then lands
  // with many orders un-acked, some perhaps committed to PostgreSQL and not yet confirmed onward.
  process.kill(file.deployment.business.pid!, 'SIGSTOP');
  await sleep(1_000);
  await stream.slowedDuring(async () => {
    await file.deployment.business.kill('SIGKILL');
    await file.deployment.business.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  await file.expectRecoveredClean(result);
});

it('a notification process killed -9 while its calls to the messaging API are in flight: each buyer told once, under the same idempotency key', async () => {
  // Each call takes 400 ms, so a kill always finds calls the provider has received but not answered.
  file.ctx.sandbox.setMode({ mode: 'slow', delayMs: 400 });
  const stream = file.stream('n', { count: 400, ratePerSecond: 30 });

  await stream.acceptedMore(60);
  // Received by the provider, not yet answered.
  const inFlight = () => {
    const told = new Set(file.ctx.sandbox.messages().map((m) => m.idempotencyKey));
    return stream.acceptedSoFar().some((id) => file.ctx.sandbox.requestsFor(`order-confirmed:${id}`) > 0 && !told.has(`order-confirmed:${id}`));
  };
  while (!inFlight()) await sleep(20);
  await stream.slowedDuring(async () => {
    await file.deployment.notification.kill('SIGKILL');
    await sleep(500);
    await file.deployment.notification.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  file.ctx.sandbox.setMode({ mode: 'ok' });
  expect(result.refused).toEqual([]);
  const r = await file.expectRecoveredClean(result);
  // The calls cut short were made again after the restart, with the key of the first call.
  expect(r.resentKeys).toBeGreaterThan(0);
});

it('the intake process killed -9 mid-stream: clients retry the same orders, and every one that got a 202 is processed once', async () => {
  const stream = file.stream('i', { count: 400, ratePerSecond: 30 });

  await stream.acceptedMore(60);
  await stream.slowedDuring(async () => {
    await file.deployment.intake.kill('SIGKILL');
    await sleep(500);
    await file.deployment.intake.start();
  });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  // Some clients saw the connection drop and sent their order again.
  expect(result.answers.some((a) => a.status === 'error' || a.status === 'timeout')).toBe(true);
  await file.expectRecoveredClean(result);
});

it('a notification process frozen while clients resubmit their orders: the duplicate requests that reach it together are sent and journaled once', async () => {
  const ids = file.orderIds('r', 20);
  const pid = file.deployment.notification.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    const first = await file.stream('r', { count: 20, ratePerSecond: 50 }).done;
    expect(first.accepted).toHaveLength(20);
    // The same orders again, as clients whose first answer was lost: the business actor asks for
    // each confirmation a second time, and both requests wait for the frozen notification actor.
    const again = await file.stream('r', { count: 20, ratePerSecond: 50 }).done;
    expect(again.accepted).toHaveLength(20);
    await waitFor(
      async () =>
        (await file.ctx.db.selectFrom('order_journal').select('id').where('order_id', 'in', ids).where('event', '=', 'order.processed').execute()).length ===
        20,
      { what: 'the business actor to store the orders' },
    );
    await sleep(1_000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  await file.expectRecoveredClean({ accepted: ids, refused: [] });
});
