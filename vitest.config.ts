import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file opens its own database; two cores → two forks keep memory (PGlite ~hundreds of MB) in check.
    pool: 'forks',
    maxWorkers: 2,
  },
});
