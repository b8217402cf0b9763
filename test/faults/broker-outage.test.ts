// RabbitMQ unavailable, on a private node so the shared broker is untouched: intake refuses (503 +
// Retry-After, never 202) while the broker is down; the application stopped and started, every
// connection force-closed, or the whole node crashed, in the middle of a stream leaves every process
// to recover by itself, and every order that got a 202 is processed and told to its buyer once.
import amqp from 'amqplib';
import { expect, it } from 'vitest';
import { sleep, waitFor } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';
import { startPrivateRabbitMq, type PrivateRabbitMq } from './support/private-rabbitmq.js';

let rabbit: PrivateRabbitMq;
const file = faultsForThisFile('broker', async () => {
  rabbit = await startPrivateRabbitMq('broker');
  return { amqpUrl: rabbit.url, remove: () => rabbit.remove() };
});

/** Consumers on each work queue, as `rabbitmqctl list_consumers` would count them. */
async function consumerCounts(): Promise<Record<string, number>> {
  const conn = await amqp.connect(rabbit.url);
  try {
    const ch = await conn.createChannel();
    const counts: Record<string, number> = {};
    for (const actor of ['business', 'notification'] as const) counts[actor] = (await ch.checkQueue(file.ctx.topology.actors[actor].work)).consumerCount;
    await ch.close();
    return counts;
  } finally {
    await conn.close();
  }
}

it('answers 503 with Retry-After, never 202, while the broker is down, and the refused orders leave no trace', async () => {
  await rabbit.stopApp();
  try {
    await waitFor(async () => !(await file.deployment.intake.isReady()), { what: 'intake to notice the broker is gone' });
    const during = await file.stream('d', { count: 30, ratePerSecond: 30, retryForMs: 0 }).done;
    expect(during.accepted).toEqual([]);
    expect(during.answers).toHaveLength(30);
    // Every answer a refusal that says when to come back.
    expect(during.answers.filter((a) => a.status !== 503 || !/^\d+$/.test(a.retryAfter ?? ''))).toEqual([]);
  } finally {
    await rabbit.startApp();
  }
  await file.deployment.waitUntilReady();

  // Back up: orders are accepted again, and the ones refused during the outage were never queued.
  const after = await file.stream('a', { count: 20, ratePerSecond: 30 }).done;
  expect(after.refused).toEqual([]);
  const r = await file.expectRecoveredClean({
    accepted: after.accepted,
    refused: file.orderIds('d', 30),
  });
  expect(r).toMatchObject({ accepted: 20, refused: 30 });
});

it('RabbitMQ stopped (stop_app) and started again mid-stream: every process recovers by itself and no accepted order is lost or doubled', async () => {
  const stream = file.stream('s', { count: 400, ratePerSecond: 30 });
  await stream.acceptedMore(60);
  await stream.slowedDuring(async () => {
    await rabbit.stopApp();
    await sleep(3_000);
    await rabbit.startApp();
  });
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  // Clients were refused while it was down, and sent the same orders again.
  expect(result.answers.some((a) => a.status === 503)).toBe(true);
  await file.expectRecoveredClean(result);
  expect(await consumerCounts()).toEqual({ business: 1, notification: 1 });
});

it('every broker connection force-closed three times mid-stream: publishers and consumers reconnect, nothing lost or doubled', async () => {
  const stream = file.stream('c', { count: 400, ratePerSecond: 30 });
  for (let i = 0; i < 3; i++) {
    await stream.acceptedMore(40);
    await stream.slowedDuring(() => rabbit.closeAllConnections('fault test: connections force-closed'));
  }
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  await file.expectRecoveredClean(result);
  expect(await consumerCounts()).toEqual({ business: 1, notification: 1 });
});

it('the broker crashes (kill -9 of its VM) with confirmed orders waiting in the queues, and is started again: they survive, and every 202 is processed once', async () => {
  const stream = file.stream('k', { count: 400, ratePerSecond: 30 });
  await stream.acceptedMore(40);
  await stream.slowedDuring(async () => {
    // With no business process, accepted orders wait in the business queue, confirmed by the broker.
    await file.deployment.business.kill('SIGKILL');
    await stream.acceptedMore(20);
    await rabbit.crashAndRestart();
    await file.deployment.business.start();
  });
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  await file.expectRecoveredClean(result);
  expect(await consumerCounts()).toEqual({ business: 1, notification: 1 });
});
