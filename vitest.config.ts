import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    // Limits only bound a hang: on a shared 2-core machine one spawn of the binary can take many seconds, and a test
    // waits on the event it needs (a line, a port, a row), never on the clock.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Tests spawn real processes and servers; two cores here, so keep the pool small.
    maxWorkers: 2,
    disableConsoleIntercept: true,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
