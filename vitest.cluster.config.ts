// The cluster suite (`npm run test:cluster`): the service on a 3-node RabbitMQ cluster and a
// 3-server ZooKeeper ensemble, with nodes stopped, killed and restarted under load. The files share
// one cluster and each breaks nodes, so they run one after another.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/cluster/support/cluster-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
    // A fault test that passes only on a second try is a finding, not a pass.
    retry: 0,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/cluster-results.json' }]] : ['default'],
  },
});
