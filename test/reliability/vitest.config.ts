import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The full reliability & security suite: `vitest run --config test/reliability/vitest.config.ts`.
 * Its `*.full.ts` files hold the long versions (50 crash runs, the whole fault matrix, the
 * whole bad-input corpus); the fast subsets (`*.test.ts`) run in `npm test`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/reliability/**/*.full.ts'],
    // Crash runs spawn processes and the fal test server listens: one file at a time on 2 cores.
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
