import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Lets tests make workers fail on purpose (src/parallel/test-fault.ts); off everywhere else.
    env: { ACA_TEST_FAULTS: '1' },
  },
});
