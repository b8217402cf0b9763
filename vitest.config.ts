// One config for every suite: integration files share real services, so each file isolates itself
// by its own queue prefix, schema and ZooKeeper root (see test/support/test-context.ts).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault and cluster suites have their own configs and commands (npm run test:faults,
    // npm run test:cluster): the cluster suite needs the cluster it starts itself.
    exclude: ['test/faults/**', 'test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
    // CI reads the JSON to print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/test-results.json' }]] : ['default'],
  },
});
