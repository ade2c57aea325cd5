import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers; two cores here, so keep the pool small.
    maxWorkers: 2,
    disableConsoleIntercept: true,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
