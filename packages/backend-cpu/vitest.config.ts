// The shared config (../../vitest.shared.ts) imports `defaultServerConditions` from
// 'vitest/config', which vitest 4 no longer exports, so it fails to load. Until it is fixed
// there, this package spells the same settings out: resolve workspace packages to their
// TypeScript sources through the "@tensile/source" condition (then Vite's server defaults).
import { defineConfig } from 'vitest/config';

const conditions = ['@tensile/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
