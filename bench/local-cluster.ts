// Scenario 7's broker and ZooKeeper: the local 3-node RabbitMQ cluster and 3-server ensemble that
// `npm run cluster:up` starts. A run started by the bench is stopped and removed by it; one that
// was already up is left as it was.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { PROJECT_ROOT } from '../test/support/project-root.js';
import type { Placement } from './bench-isolation.js';

function script(command: 'up' | 'down'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['scripts/cluster.sh', command], { cwd: PROJECT_ROOT, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/cluster.sh ${command} failed: ${err.message}\n${stderr.slice(-2_000)}`));
      else resolve(stdout);
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the cluster unless it runs; returns where it is and what undoes the start. In the one-node
 * layout the services connect to the first node only and declare their queues' leaders there.
 */
export async function useLocalCluster(shards: number, layout: 'spread' | 'one-node'): Promise<{ placement: Placement; release(): Promise<void> }> {
  const wasUp = await answers(5681);
  const exports = await script('up');
  const value = (name: string) => new RegExp(`^export ${name}=(.+)$`, 'm').exec(exports)?.[1];
  const amqpUrl = value('AMQP_URL');
  const zkConnect = value('ZK_CONNECT');
  if (!amqpUrl || !zkConnect) throw new Error(`scripts/cluster.sh up printed no AMQP_URL/ZK_CONNECT:\n${exports}`);
  return {
    placement:
      layout === 'spread'
        ? { amqpUrl, zkConnect, shards }
        : { amqpUrl: amqpUrl.split(',')[0]!, zkConnect, shards, env: { QUEUE_LEADER_LOCATOR: 'client-local' } },
    release: async () => {
      if (!wasUp) await script('down');
    },
  };
}
