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
  },
});
