// The fault-injection suite (`npm run test:faults`): the service in child processes, private broker
// and database instances, workers killed and networks cut. Slower than the main suite and kept out
// of it; each file still isolates itself, so two run side by side on this 2-core machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
    // A fault test that passes only on a second try is a finding, not a pass.
    retry: 0,
    // CI reads the JSON to print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/fault-results.json' }]] : ['default'],
  },
});
