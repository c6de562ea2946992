import { defineConfig } from 'vitest/config'

// Tests run real servers over loopback, real SQLite files and the real Redis; every test
// picks its own port, temporary directory and Redis key prefix, so files run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
  // vitest 4 transforms with oxc (rolldown-vite) and ignores an `esbuild` block, warning each run.
  oxc: { jsx: { runtime: 'automatic', importSource: 'hono/jsx' } },
})
