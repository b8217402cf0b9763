// The local 3-node RabbitMQ cluster and ZooKeeper ensemble (scripts/cluster.sh), from a test's side:
// which node leads a queue, and the faults an operator or a failing machine causes — an application
// stopped, a VM killed, a ZooKeeper server gone — each through the same script an operator uses.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type NodeNumber = 1 | 2 | 3;
export const NODES: readonly NodeNumber[] = [1, 2, 3];

export const CLUSTER_AMQP_URL = NODES.map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`).join(',');
export const CLUSTER_ZK_CONNECT = NODES.map((n) => `127.0.0.1:${2190 + n}`).join(',');
export const nodeUrl = (n: NodeNumber) => `amqp://guest:guest@127.0.0.1:${5680 + n}`;
export const nodeName = (n: NodeNumber) => `oa-rabbit-${n}@localhost`;
export const zkServer = (n: NodeNumber) => `127.0.0.1:${2190 + n}`;

export function clusterScript(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['scripts/cluster.sh', ...args], { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/cluster.sh ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-3_000)}`));
      else resolve(stdout);
    });
  });
}

/** rabbitmqctl aimed at one node of the cluster, with the cluster's cookie. */
export const rabbitCtl = (n: NodeNumber, ...args: string[]) => clusterScript(['ctl', String(n), ...args], 60_000);

/** The node (1, 2 or 3) that leads `queue`, asked of a node that is up. */
export async function leaderOf(queue: string, askNode: NodeNumber = 1): Promise<NodeNumber> {
  const out = await rabbitCtl(askNode, 'list_queues', '-p', '/', 'name', 'leader', '--formatter', 'json');
  const rows = JSON.parse(out) as Array<{ name: string; leader: string }>;
  const row = rows.find((r) => r.name === queue);
  const match = row && /^oa-rabbit-(\d)@/.exec(row.leader);
  if (!match) throw new Error(`no leader known for ${queue}: ${out.slice(0, 500)}`);
  return Number(match[1]) as NodeNumber;
}

const nodeNumber = (name: string) => Number(/^oa-rabbit-(\d)@/.exec(name)?.[1]) as NodeNumber;

/** Every queue's leader and members (replicas) by node number, in one call. */
export async function queuePlacement(askNode: NodeNumber = 1): Promise<Map<string, { leader: NodeNumber; members: NodeNumber[] }>> {
  const out = await rabbitCtl(askNode, 'list_queues', '-p', '/', 'name', 'leader', 'members', '--formatter', 'json');
  const rows = JSON.parse(out) as Array<{ name: string; leader: string; members: string[] }>;
  return new Map(rows.map((r) => [r.name, { leader: nodeNumber(r.leader), members: r.members.map(nodeNumber).sort() }]));
}

export const otherThan = (n: NodeNumber): NodeNumber => (n === 1 ? 2 : 1);

export const rabbitNode = {
  /** Stops the RabbitMQ application; the Erlang VM stays up, as `rabbitmqctl stop_app` does. */
  stopApp: (n: NodeNumber) => rabbitCtl(n, 'stop_app'),
  startApp: async (n: NodeNumber) => {
    await rabbitCtl(n, 'start_app');
    await rabbitCtl(n, 'await_startup', '--timeout', '60');
  },
  /** kill -9 of the node's Erlang VM: no goodbye to clients or to the other nodes. */
  kill: (n: NodeNumber) => clusterScript(['kill-node', 'rabbit', String(n)]),
  /** Starts a stopped or killed node again on its data; it rejoins the cluster. */
  start: (n: NodeNumber) => clusterScript(['start-node', 'rabbit', String(n)]),
};

export const zkNode = {
  stop: (n: NodeNumber) => clusterScript(['stop-node', 'zk', String(n)]),
  start: (n: NodeNumber) => clusterScript(['start-node', 'zk', String(n)]),
};
