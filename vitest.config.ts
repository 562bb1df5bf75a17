import { defineConfig } from 'vitest/config';
import { SummaryReporter } from './test/summary-reporter.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
    execArgv: ['--no-node-snapshot'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // expect.poll waits like test/helpers/poll.ts: a deadline far past what a loaded machine needs
    expect: { poll: { timeout: 15_000 } },
    // `npm test` runs with --coverage: the floor below fails the run when coverage drops under it
    // (code run in child processes, the sandbox's worker and the CLI, is not counted)
    coverage: {
      provider: 'v8',
      include: ['core/**/*.ts', 'plugins/**/*.ts', 'sandbox/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: { lines: 87, functions: 86, branches: 75, statements: 84 },
    },
  },
});
