// The cluster suite's own services: a 3-node RabbitMQ cluster and a 3-server ZooKeeper ensemble,
// started by the same script an operator uses (npm run cluster:up), and stopped and removed after
// the suite (npm run cluster:down). PostgreSQL is the shared one.
import net from 'node:net';
import { clusterScript } from './local-cluster.js';

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export default async function setup(): Promise<() => Promise<void>> {
  // A cluster someone already runs (npm run cluster:up) is used and left running afterwards.
  const wasUp = await answers(5681);
  await clusterScript(['up'], 300_000);
  return async () => {
    // CLUSTER_KEEP=1 leaves it running, to look at it after a failure.
    if (!wasUp && process.env.CLUSTER_KEEP !== '1') await clusterScript(['down'], 120_000);
  };
}
