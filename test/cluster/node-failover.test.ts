// A node of the 3-node RabbitMQ cluster lost under load: its application stopped (the leader of the
// business queue, then of the notification queue), or its Erlang VM killed. Shops keep posting over
// HTTP with their API keys throughout; every 202 is stored once and its buyer told exactly once, no
// request hangs for more than 10 s, and the processes move to the live nodes by themselves.
import { afterEach, expect, it } from 'vitest';
import { createSellerKeys } from '../../src/sellers/seller-keys.js';
import { faultsForThisFile } from '../faults/support/fault-context.js';
import type { OrderStream, StreamResult } from '../faults/support/order-stream.js';
import { sleep, waitFor } from '../support/wait-for.js';
import { CLUSTER_AMQP_URL, CLUSTER_ZK_CONNECT, leaderOf, NODES, queuePlacement, rabbitNode, type NodeNumber } from './support/local-cluster.js';

let apiKey: string;
const file = faultsForThisFile('cluster-nodes', () => ({
  amqpUrl: CLUSTER_AMQP_URL,
  env: { ZK_CONNECT: CLUSTER_ZK_CONNECT, SELLER_AUTH: 'required' },
  // The shops post with an API key of their own, as in production.
  beforeStart: async (ctx) => {
    ({ apiKey } = await createSellerKeys({ db: ctx.db }).create('farm-7'));
  },
}));
const stopped = new Set<NodeNumber>();

// Whatever a test did, the next one starts with all three nodes running.
afterEach(async () => {
  for (const n of stopped) await rabbitNode.start(n);
  stopped.clear();
});

const stream = (label: string) => file.stream(label, { count: 2_000, ratePerSecond: 30, apiKey });

/** What a shop must never see: a request left hanging (10 s timeout) or a refusal it cannot act on. */
function expectShopsServed(result: StreamResult): void {
  expect(result.refused).toEqual([]);
  expect(result.answers.filter((a) => a.status === 'timeout')).toEqual([]);
  expect(result.answers.filter((a) => a.status === 503 && !/^\d+$/.test(a.retryAfter ?? ''))).toEqual([]);
  expect(result.answers.filter((a) => typeof a.status === 'number' && a.status !== 202 && a.status !== 503)).toEqual([]);
}

/** How each fault case ends: a few more orders with the cluster whole, then the reconciliation. */
async function finishAndReconcile(orders: OrderStream): Promise<void> {
  await orders.acceptedMore(30);
  orders.stop();
  const result = await orders.done;
  expectShopsServed(result);
  await file.expectRecoveredClean(result);
}

it('declares every quorum queue with three replicas, leaders spread over the nodes', async () => {
  const queues = [
    file.ctx.topology.deadLetters,
    ...Object.values(file.ctx.topology.actors).flatMap((a) => a.shards.flatMap((s) => [s.queue, ...s.retries.map((r) => r.queue)])),
  ];
  const placement = await queuePlacement();
  for (const q of queues) expect(placement.get(q)?.members, q).toEqual([1, 2, 3]);
  // Balanced: no node leads most of them.
  const perNode = [1, 2, 3].map((n) => queues.filter((q) => placement.get(q)?.leader === n).length);
  expect(Math.max(...perNode)).toBeLessThanOrEqual(Math.ceil(queues.length / 2));
});

for (const actor of ['business', 'notification'] as const) {
  it(`the node leading the ${actor} queue stopped (stop_app) and started again mid-stream: nothing accepted is lost or doubled`, async () => {
    const queue = file.ctx.topology.actors[actor].shards[0]!.queue;
    const leader = await leaderOf(queue);
    const orders = stream(`${actor.slice(0, 3)}-stop`);
    await orders.acceptedMore(60);
    // Slowed while the operator's commands run, so the stream outlasts them on a loaded machine.
    await orders.slowedDuring(async () => {
      stopped.add(leader);
      await rabbitNode.stopApp(leader);
      // Another node takes the lead while orders keep coming.
      await waitFor(async () => (await leaderOf(queue, leader === 1 ? 2 : 1)) !== leader, { what: `a new leader for ${queue}`, timeoutMs: 30_000 });
      await orders.acceptedMore(20);
      await rabbitNode.startApp(leader);
      stopped.delete(leader);
    });
    await finishAndReconcile(orders);
  });
}

it("a node's Erlang VM killed (kill -9) mid-stream and started again: it rejoins, and every 202 is processed once", async () => {
  const victim = await leaderOf(file.ctx.topology.actors.business.shards[0]!.queue);
  const orders = stream('kill');
  await orders.acceptedMore(60);
  await orders.slowedDuring(async () => {
    stopped.add(victim);
    await rabbitNode.kill(victim);
    await orders.acceptedMore(20);
    await sleep(2_000);
    await rabbitNode.start(victim);
    stopped.delete(victim);
  });
  await finishAndReconcile(orders);
});

type Readiness = { status: string; brokerNodes: Array<{ connection: string; node: string | null }> };

async function readiness(baseUrl: string): Promise<Readiness> {
  const res = await fetch(`${baseUrl}/health/ready`);
  return (await res.json()) as Readiness;
}

it('a process whose node dies moves to a live node within 5 s, says which in /health/ready and /metrics, and carries on', async () => {
  const before = await readiness(file.deployment.intake.baseUrl);
  const publish = before.brokerNodes.find((c) => c.connection.endsWith('-publish'))!;
  expect(publish.node).toMatch(/^127\.0\.0\.1:568[123]$/);
  const victim = Number(publish.node!.slice(-1)) as NodeNumber;
  expect(NODES).toContain(victim);

  const orders = stream('move');
  await orders.acceptedMore(40);
  stopped.add(victim);
  await rabbitNode.stopApp(victim);
  // stop_app returns once the node's connections are closed.
  const lostAt = Date.now();
  await waitFor(
    async () => {
      const now = await readiness(file.deployment.intake.baseUrl);
      const node = now.brokerNodes.find((c) => c.connection === publish.connection)?.node;
      return now.status === 'ready' && node !== null && node !== undefined && node !== publish.node;
    },
    { what: 'the intake to publish through another node', timeoutMs: 15_000, intervalMs: 100 },
  );
  // From the node gone to the process ready again on another one.
  const movedInMs = Date.now() - lostAt;
  console.log(`intake's publishing connection moved from ${publish.node} in ${movedInMs} ms`);
  expect(movedInMs).toBeLessThan(5_000);
  const metrics = await (await fetch(`${file.deployment.intake.baseUrl}/metrics`)).text();
  expect(metrics).toMatch(
    new RegExp(`order_actors_broker_connection_node\\{connection="${publish.connection}",node="127\\.0\\.0\\.1:568(?!${victim})\\d"\\} 1`),
  );
  await orders.acceptedMore(60);
  orders.stop();

  const result = await orders.done;
  expectShopsServed(result);
  await rabbitNode.startApp(victim);
  stopped.delete(victim);
  await file.expectRecoveredClean(result);
});
