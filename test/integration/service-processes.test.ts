// The deployment's processes as operators list them (GET /admin/processes): each one's role, host,
// pid, ZooKeeper session and broker nodes, from the heartbeat rows every process keeps current; a
// process that stops shows as gone, and one that cannot reach ZooKeeper says so.
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessListSchema, type ProcessList } from '../../src/process-registry/service-process.js';
import { ADMIN, ADMIN_TOKEN } from '../support/dead-letters.js';
import { freePort } from '../support/free-port.js';
import { getJson, serviceForThisFile, startTestService, type TestService } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('service-processes', { ADMIN_TOKEN, PROCESS_HEARTBEAT_MS: '200' });
const others: TestService[] = [];

afterAll(async () => {
  for (const other of others) await other.stop();
});

async function list(): Promise<ProcessList> {
  const res = await getJson(file.service.baseUrl, '/admin/processes', ADMIN);
  expect(res.status).toBe(200);
  return ProcessListSchema.parse(res.body);
}

describe('GET /admin/processes', () => {
  it('answers 401 without the admin token, and 403 to a seller key', async () => {
    expect((await getJson(file.service.baseUrl, '/admin/processes')).status).toBe(401);
    expect((await getJson(file.service.baseUrl, '/admin/processes', { authorization: 'Bearer not-the-admin-token-at-all' })).status).toBe(401);
    expect((await getJson(file.service.baseUrl, '/admin/processes', { authorization: 'Bearer oak_0123456789abcdef' })).status).toBe(403);
  });

  it('lists this process as running, connected to ZooKeeper, with the broker node of each connection', async () => {
    // A connection opened at start may name its node only at the next heartbeat.
    const self = await waitFor(
      async () => {
        const { answeredBy, processes } = await list();
        const found = processes.find((p) => p.id === answeredBy)!;
        return found.brokerNodes.every((b) => b.node !== null) ? found : undefined;
      },
      { what: 'every connection of this process to name its node' },
    );
    expect(self).toMatchObject({
      role: 'all',
      host: os.hostname(),
      pid: process.pid,
      status: 'running',
      stoppedAt: null,
      zookeeper: { state: 'connected', switchesStale: false },
    });
    const connections = self.brokerNodes.map((b) => b.connection).sort();
    expect(connections).toEqual(['order-actors-all-consume', 'order-actors-all-dead-letters', 'order-actors-all-monitor', 'order-actors-all-publish']);
    expect(self.brokerNodes.every((b) => b.node === '127.0.0.1:5672')).toBe(true);
    // Seen again within a few heartbeats.
    const seen = Date.parse(self.lastSeenAt);
    await waitFor(async () => Date.parse((await list()).processes.find((p) => p.id === self.id)!.lastSeenAt) > seen, { what: 'a later heartbeat' });
  });

  it('shows a process that cannot reach ZooKeeper as such, and one that stopped as gone', async () => {
    // Nothing listens on this port: the process starts on the switches' code defaults.
    const nowhere = await freePort();
    const worker = await startTestService(file.ctx, file.sandbox, {
      ROLE: 'business',
      ZK_CONNECT: `127.0.0.1:${nowhere}`,
      ZK_START_TIMEOUT_MS: '300',
      PROCESS_HEARTBEAT_MS: '200',
    });
    others.push(worker);
    const found = await waitFor(async () => (await list()).processes.find((p) => p.role === 'business'), { what: 'the business process to be listed' });
    expect(found).toMatchObject({ status: 'running', zookeeper: { state: 'connecting', switchesStale: true } });
    expect(found.brokerNodes.map((b) => b.connection).sort()).toEqual(['order-actors-business-consume', 'order-actors-business-publish']);

    await worker.stop();
    const gone = (await list()).processes.find((p) => p.id === found.id)!;
    expect(gone.status).toBe('gone');
    expect(gone.stoppedAt).not.toBeNull();
    // Running processes come first.
    expect((await list()).processes.at(-1)!.id).toBe(found.id);
  });
});
