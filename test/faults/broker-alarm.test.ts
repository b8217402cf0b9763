// RabbitMQ resource alarms (memory, then disk), raised on a private node so the shared broker never
// blocks anyone else: the broker stops reading from every connection that publishes. Intake must
// answer 503 with Retry-After instead of hanging, consumers must keep draining on their own
// connections, /metrics must say the broker blocks us, and once the alarm clears orders are accepted
// again, with no 202 lost, none processed twice and no refusal processed.
//
// What happens, as observed on RabbitMQ 3.10: the broker blocks a connection only once it publishes
// during the alarm, so intake's first order after the alarm is written, never confirmed, and answered
// 503 `unconfirmed` after the confirm deadline (it is queued once the alarm clears: indeterminate);
// the 'blocked' notice arrives within milliseconds of that publish, and every later order is refused
// at once with 503 `overloaded` by the intake guard. Consumers are not blocked: the notification
// actor drains its queue; the business actor stores the orders it takes, but holds them unacked while
// the confirmation requests it emits wait on its own blocked publishing connection, and finishes them
// once the alarm clears (the repeats this causes are absorbed by idempotency).
import { beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';
import type { Answer } from './support/order-stream.js';
import { startPrivateRabbitMq, type PrivateRabbitMq } from './support/private-rabbitmq.js';
import { queueDepths } from './support/reconcile.js';

type Resource = 'memory' | 'disk';

let rabbit: PrivateRabbitMq;
const file = faultsForThisFile('alarm', async () => {
  rabbit = await startPrivateRabbitMq('alarm');
  return { amqpUrl: rabbit.url, remove: () => rabbit.remove() };
});
/** The node's own limits, read before any test changes them and put back after each. */
let normal: { memory: string[]; disk: string };

/** What `rabbitmqctl status` says about the node, as far as these tests care. */
async function brokerStatus(): Promise<{ alarms: Resource[]; memory: Record<string, number>; disk: number }> {
  const status = JSON.parse(await rabbit.ctl('status', '--formatter', 'json')) as {
    alarms: Array<{ resource: Resource }>;
    vm_memory_high_watermark_setting: Record<string, number>;
    disk_free_limit: number;
  };
  return { alarms: status.alarms.map((a) => a.resource), memory: status.vm_memory_high_watermark_setting, disk: status.disk_free_limit };
}

beforeAll(async () => {
  const { memory, disk } = await brokerStatus();
  // {"relative": 0.4} or {"absolute": bytes}, as set_vm_memory_high_watermark takes them back.
  normal = { memory: memory.relative === undefined ? ['absolute', String(memory.absolute)] : [String(memory.relative)], disk: String(disk) };
});

const ALARMS: Array<{ resource: Resource; how: string; raise(): Promise<unknown>; clear(): Promise<unknown> }> = [
  {
    resource: 'memory',
    how: 'set_vm_memory_high_watermark 0',
    raise: () => rabbit.ctl('set_vm_memory_high_watermark', '0'),
    clear: () => rabbit.ctl('set_vm_memory_high_watermark', ...normal.memory),
  },
  {
    resource: 'disk',
    // 1 TB, in a unit RabbitMQ 3.10's CLI accepts (it refuses "1TB").
    how: 'set_disk_free_limit 1000GB',
    raise: () => rabbit.ctl('set_disk_free_limit', '1000GB'),
    clear: () => rabbit.ctl('set_disk_free_limit', normal.disk),
  },
];

/** The value of `order_actors_broker_blocked` on a process's GET /metrics (the intake's by default). */
async function brokerBlockedGauge(baseUrl = file.deployment.intakeUrl): Promise<number | undefined> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const m = /^order_actors_broker_blocked (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : undefined;
}

const depth = async (queue: string) => (await queueDepths(file.ctx.amqpUrl, file.ctx.topology)).get(queue);

const storedCount = async (ids: readonly string[]) => (await file.ctx.db.selectFrom('orders').select('order_id').where('order_id', 'in', ids).execute()).length;

const allTold = (ids: readonly string[]) => {
  const keys = new Set(file.ctx.sandbox.messages().map((m) => m.idempotencyKey));
  return ids.every((id) => keys.has(`order-confirmed:${id}`));
};

/** What the clients were told, counted (`{"503 overloaded": 11, …}`), for failure messages. */
function tally(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const told = `${a.status} ${a.error ?? ''}`.trim();
    counts[told] = (counts[told] ?? 0) + 1;
  }
  return counts;
}

for (const alarm of ALARMS) {
  it(`${alarm.resource} alarm (${alarm.how}), then restored: intake refuses with 503 + Retry-After instead of hanging, consumers keep draining, /metrics shows the block, and afterwards nothing is lost or doubled`, async () => {
    const business = file.ctx.topology.actors.business.work;
    const notification = file.ctx.topology.actors.notification.work;

    // Work caught by the alarm at both stages: confirmations waiting for the notification actor, and
    // orders waiting for the business actor (their actors are down, so the messages wait in the queues).
    await file.deployment.notification.kill('SIGKILL');
    const waitingToBeTold = await file.stream(`${alarm.resource}-n`, { count: 20, ratePerSecond: 30 }).done;
    expect(waitingToBeTold.accepted).toHaveLength(20);
    await waitFor(async () => (await depth(notification)) === 20, { what: 'the confirmations to wait in the notification queue' });
    await file.deployment.business.kill('SIGKILL');
    const waitingToBeStored = await file.stream(`${alarm.resource}-b`, { count: 20, ratePerSecond: 30 }).done;
    expect(waitingToBeStored.accepted).toHaveLength(20);
    await waitFor(async () => (await depth(business)) === 20, { what: 'the orders to wait in the business queue' });

    let during: Answer[] = [];
    await alarm.raise();
    try {
      await waitFor(async () => (await brokerStatus()).alarms.includes(alarm.resource), {
        what: `the ${alarm.resource} alarm`,
        timeoutMs: 30_000,
        intervalMs: 500,
      });
      await Promise.all([file.deployment.notification.start(), file.deployment.business.start()]);

      // Consumers are not blocked: the notification actor tells the waiting buyers, and the business
      // actor takes the waiting orders and stores them, all while the alarm is on.
      await waitFor(async () => allTold(waitingToBeTold.accepted) && (await depth(notification)) === 0, {
        what: 'the waiting buyers to be told during the alarm',
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      await waitFor(async () => (await storedCount(waitingToBeStored.accepted)) === 20 && (await depth(business)) === 0, {
        what: 'the waiting orders to be stored during the alarm',
        timeoutMs: 30_000,
        intervalMs: 250,
      });

      // Each order sent once: a refusal stands, so the reconciliation can hold the service to it.
      const duringAlarm = await file.stream(`${alarm.resource}-r`, {
        count: 12,
        concurrency: 3,
        ratePerSecond: 4,
        retryForMs: 0,
        requestTimeoutMs: 10_000,
      }).done;
      during = duringAlarm.answers;
      expect(duringAlarm.accepted).toEqual([]);
      // Every answer a 503 that says when to come back, none a hang (the client waits 10 s, the
      // confirm deadline is 5 s), and the guard refused at least some at once.
      expect(
        during.filter((a) => a.status !== 503 || !/^\d+$/.test(a.retryAfter ?? '')),
        JSON.stringify(tally(during)),
      ).toEqual([]);
      expect(during.filter((a) => !['overloaded', 'unavailable', 'unconfirmed'].includes(a.error ?? ''))).toEqual([]);
      expect(
        during.some((a) => a.error === 'overloaded'),
        JSON.stringify(tally(during)),
      ).toBe(true);
      expect(await brokerBlockedGauge()).toBe(1);
      // The business process was blocked too, by the confirmation requests it emits.
      expect(await brokerBlockedGauge(file.deployment.business.baseUrl)).toBe(1);
      // All of the above happened under the alarm.
      expect((await brokerStatus()).alarms).toContain(alarm.resource);
    } finally {
      await alarm.clear();
    }
    await waitFor(async () => !(await brokerStatus()).alarms.includes(alarm.resource), {
      what: `the ${alarm.resource} alarm to clear`,
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    // The gauge follows the connection: back to 0 before any order arrives to notice.
    await waitFor(async () => (await brokerBlockedGauge()) === 0, { what: 'order_actors_broker_blocked to drop to 0', timeoutMs: 15_000, intervalMs: 250 });

    const after = await file.stream(`${alarm.resource}-a`, { count: 20, ratePerSecond: 30 }).done;
    expect(after.answers.filter((a) => a.status !== 202)).toEqual([]);

    const accepted = [...waitingToBeTold.accepted, ...waitingToBeStored.accepted, ...after.accepted];
    // A refusal that says nothing was queued must hold; `unconfirmed` admits the order may be queued.
    const refusedOutright = during.filter((a) => a.error === 'overloaded' || a.error === 'unavailable').map((a) => a.orderId);
    const indeterminate = during.filter((a) => a.error === 'unconfirmed').map((a) => a.orderId);
    const r = await file.expectRecoveredClean({ accepted, refused: refusedOutright, indeterminate });
    expect(r).toMatchObject({ accepted: 60 });
  });
}
