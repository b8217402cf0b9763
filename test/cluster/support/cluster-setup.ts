// The cluster suite's own services: a 3-node RabbitMQ cluster and a 3-server ZooKeeper ensemble,
// started by the same script an operator uses (npm run cluster:up), and stopped and removed after
// the suite (npm run cluster:down). PostgreSQL is the shared one.
import { clusterScript } from './local-cluster.js';

export default async function setup(): Promise<() => Promise<void>> {
  await clusterScript(['up'], 300_000);
  return async () => {
    // CLUSTER_KEEP=1 leaves it running, to look at it after a failure.
    if (process.env.CLUSTER_KEEP !== '1') await clusterScript(['down'], 120_000);
  };
}
