// The network between the service and its dependencies cut (or silently blackholed) and restored,
// through TCP proxies in front of the shared broker and database (only this file's connections pass
// through them, so other tests are undisturbed). Intake refuses while it cannot reach the broker;
// every process reconnects by itself once the network is back; every order that got a 202 is
// processed and told once.
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';
import { proxyInFrontOf, throughProxy, type TcpProxy } from './support/tcp-proxy.js';

let brokerLink: TcpProxy;
let databaseLink: TcpProxy;
const file = faultsForThisFile('net-cut', async (services) => {
  brokerLink = await proxyInFrontOf(services.amqpUrl);
  databaseLink = await proxyInFrontOf(services.databaseUrl);
  return {
    serviceAmqpUrl: throughProxy(services.amqpUrl, brokerLink),
    serviceDatabaseUrl: throughProxy(services.databaseUrl, databaseLink),
    remove: () => Promise.all([brokerLink.close(), databaseLink.close()]),
  };
});

/** The `error` of intake's 503 whose message reads "The order could not be queued; nothing was accepted." */
const NOTHING_ACCEPTED = 'unavailable';

it('answers 503 with Retry-After, never 202, while the broker cannot be reached, and the refused orders leave no trace', async () => {
  brokerLink.setMode({ mode: 'cut' });
  try {
    await waitFor(async () => !(await file.deployment.intake.isReady()), { what: 'intake to notice the broker is unreachable' });
    const during = await file.stream('d', { count: 20, ratePerSecond: 30, retryForMs: 0 }).done;
    expect(during.accepted).toEqual([]);
    expect(during.answers).toHaveLength(20);
    // Every answer a refusal that says when to come back.
    expect(during.answers.filter((a) => a.status !== 503 || !/^\d+$/.test(a.retryAfter ?? ''))).toEqual([]);
  } finally {
    brokerLink.setMode({ mode: 'pass' });
  }
  await file.deployment.waitUntilReady();

  const after = await file.stream('a', { count: 20, ratePerSecond: 30 }).done;
  expect(after.refused).toEqual([]);
  const r = await file.expectRecoveredClean({
    accepted: after.accepted,
    refused: file.orderIds('d', 20),
  });
  expect(r).toMatchObject({ accepted: 20, refused: 20 });
});

it('the network to the broker cut for 4 s mid-stream and restored: every process reconnects, nothing lost or doubled', async () => {
  const stream = file.stream('b', { count: 400, ratePerSecond: 30 });
  await stream.acceptedMore(60);
  brokerLink.setMode({ mode: 'cut' });
  await sleep(4_000);
  brokerLink.setMode({ mode: 'pass' });
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  expect(result.answers.some((a) => a.status === 503)).toBe(true);
  await file.expectRecoveredClean(result);
});

it('the broker blackholed for 12 s mid-stream (a partition: no reset, no answer): publishes time out into 503s instead of hanging, heartbeats drop the dead connections, and everything recovers', async () => {
  const stream = file.stream('h', { count: 400, ratePerSecond: 30 });
  await stream.acceptedMore(60);
  await stream.slowedDuring(async () => {
    brokerLink.setMode({ mode: 'blackhole' });
    await sleep(12_000);
    brokerLink.setMode({ mode: 'pass' });
  });
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  // The intake gave up on the silent broker within its confirm deadline, before the client's own.
  expect(result.answers.some((a) => a.status === 503)).toBe(true);
  expect(result.answers.filter((a) => a.status === 'timeout')).toEqual([]);
  await file.expectRecoveredClean(result);
});

it('a 503 that says nothing was accepted is kept: orders refused while the broker was silent are never processed', async () => {
  // Silent for longer than the publish-confirm deadline (5 s) and shorter than the heartbeat timeout
  // (2 × 5 s): the intake gives up on publishes its connection still carries, and when the network
  // heals, what it wrote reaches the broker. Each order is sent once, so every refusal stands.
  const stream = file.stream('u', { count: 300, ratePerSecond: 20, retryForMs: 0 });
  await stream.acceptedMore(40);
  brokerLink.setMode({ mode: 'blackhole' });
  await sleep(7_000);
  brokerLink.setMode({ mode: 'pass' });
  await file.deployment.waitUntilReady();
  await stream.acceptedMore(20);
  stream.stop();

  const result = await stream.done;
  // A silent broker confirms nothing, so some orders were refused.
  expect(result.refused.length).toBeGreaterThan(0);
  // Those refused with the answer that says "nothing was accepted" hold the service to it. A refusal
  // that admits the outcome is unknown (another error code) may go either way, but never twice.
  const refusedAsNothingAccepted = result.refused.filter((id) =>
    result.answers.some((a) => a.orderId === id && a.status === 503 && a.error === NOTHING_ACCEPTED),
  );
  const indeterminate = result.refused.filter((id) => !refusedAsNothingAccepted.includes(id));
  await file.expectRecoveredClean({ accepted: result.accepted, refused: refusedAsNothingAccepted, indeterminate });
});

it('the network to the database cut for 4 s mid-stream and restored: no process dies, the failed work is retried, nothing lost or doubled', async () => {
  const stream = file.stream('p', { count: 400, ratePerSecond: 30 });
  await stream.acceptedMore(60);
  databaseLink.setMode({ mode: 'cut' });
  await sleep(4_000);
  databaseLink.setMode({ mode: 'pass' });
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  // Intake does not need the database to accept an order.
  expect(result.refused).toEqual([]);
  await file.expectRecoveredClean(result);
});
