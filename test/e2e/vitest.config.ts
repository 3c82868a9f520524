import { defineConfig } from 'vitest/config';

// End-to-end tests share one service, simulated rig and browser, so files run one at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
