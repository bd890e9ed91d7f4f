import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default keeps one core free (1 worker on CI's 2 cores); the test files are
    // CPU-bound TF.js runs in separate processes, so one worker per core halves the wall time.
    maxWorkers: availableParallelism(),
  },
});
