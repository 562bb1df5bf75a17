import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './test/summary-reporter.ts';

/**
 * `npm run test:chaos`: the chaos and soak suites (test/chaos/*.chaos.ts). They are kept out of
 * `npm test` (its include is `*.test.ts`) because they run for minutes against their own
 * redis-server processes. Files run in parallel: they mostly wait on retry and claim timers.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
    fileParallelism: true,
    maxWorkers: 4,
    execArgv: ['--no-node-snapshot'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    expect: { poll: { timeout: 15_000 } },
  },
});
