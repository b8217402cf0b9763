// The switches on a 3-server ZooKeeper ensemble: with one server lost, a flip made through another
// reaches every process within 1 s; with two lost (no quorum), every process serves the last values
// and says they are stale, in /admin/switches and in its metrics; once the servers are back, the
// processes recover by themselves and a new flip reaches them all.
import { afterEach, expect, it } from 'vitest';
import { faultsForThisFile } from '../faults/support/fault-context.js';
import { ADMIN_TOKEN, adminRequest, metric, switchValue } from '../support/switch-admin.js';
import { waitFor } from '../support/wait-for.js';
import { zkCliSet } from '../support/zookeeper.js';
import { CLUSTER_AMQP_URL, CLUSTER_ZK_CONNECT, zkNode, zkServer, type NodeNumber } from './support/local-cluster.js';

const SWITCH = 'order-rules-v2';

const file = faultsForThisFile('cluster-zk', () => ({
  amqpUrl: CLUSTER_AMQP_URL,
  env: { ZK_CONNECT: CLUSTER_ZK_CONNECT, ZK_SESSION_TIMEOUT_MS: '4000', ADMIN_TOKEN },
}));
const stopped = new Set<NodeNumber>();

afterEach(async () => {
  for (const n of stopped) await zkNode.start(n);
  stopped.clear();
});

const processes = () => [file.deployment.intake, file.deployment.business, file.deployment.notification];

/** Flips through one server and returns how long until every process serves the value. */
async function flipAndTime(server: string, value: number): Promise<number> {
  await zkCliSet(server, `${file.ctx.config.ZK_ROOT}/switches/${SWITCH}`, String(value));
  const flippedAt = Date.now();
  await waitFor(async () => (await Promise.all(processes().map((p) => switchValue(p.baseUrl, SWITCH)))).every((v) => v === value), {
    what: `every process to serve ${SWITCH}=${value}`,
    intervalMs: 20,
    timeoutMs: 15_000,
  });
  return Date.now() - flippedAt;
}

it('one server lost: a flip through another reaches every process within 1 s', async () => {
  await flipAndTime(zkServer(1), 10);
  stopped.add(1);
  await zkNode.stop(1);
  // The processes that were on server 1 move to another within their session; give them that.
  await new Promise((r) => setTimeout(r, 4_000));
  const tookMs = await flipAndTime(zkServer(2), 20);
  console.log(`with server 1 down, a flip through server 2 reached all three processes in ${tookMs} ms`);
  expect(tookMs).toBeLessThan(1_000);
  for (const p of processes()) expect((await adminRequest(p.baseUrl, 'GET', '/admin/switches')).body?.stale).toBe(false);
});

it('two servers lost: the last values are served and shown stale; back to quorum, the processes recover and see a new flip', async () => {
  await flipAndTime(zkServer(3), 30);
  stopped.add(1);
  stopped.add(2);
  await zkNode.stop(1);
  await zkNode.stop(2);

  for (const p of processes()) {
    await waitFor(async () => (await adminRequest(p.baseUrl, 'GET', '/admin/switches')).body?.stale === true, {
      what: `${p.name} to report stale`,
      timeoutMs: 20_000,
    });
    expect(await metric(p.baseUrl, 'order_actors_switch_stale')).toBe(1);
    expect(await switchValue(p.baseUrl, SWITCH)).toBe(30);
  }
  // A flip cannot be made now, and the answer says why instead of hanging.
  const refused = await adminRequest(file.deployment.intake.baseUrl, 'PUT', `/admin/switches/${SWITCH}`, { value: 50 });
  expect(refused).toMatchObject({ status: 503, body: { error: 'switches_unavailable' } });

  await zkNode.start(1);
  await zkNode.start(2);
  stopped.clear();
  for (const p of processes()) {
    await waitFor(async () => (await adminRequest(p.baseUrl, 'GET', '/admin/switches')).body?.stale === false, {
      what: `${p.name} to recover`,
      timeoutMs: 30_000,
    });
  }
  await flipAndTime(zkServer(1), 40);
  for (const p of processes()) expect(await metric(p.baseUrl, 'order_actors_switch_stale')).toBe(0);
});
