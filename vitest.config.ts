import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Separate processes: native memory measurements and libtorch's global state stay per file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
