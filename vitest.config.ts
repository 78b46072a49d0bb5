import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    // One throwaway PostgreSQL cluster for the run; suites create their own databases in it.
    globalSetup: ['packages/server/test/global-setup.ts'],
    // The CLI tests spawn Node processes; give them room on a 2-core machine.
    testTimeout: 30_000,
    // Memory tests collect garbage before they sample, so they measure what is retained.
    execArgv: ['--expose-gc'],
  },
});
