// Shared vitest settings: resolve workspace packages to their TypeScript sources
// through the "@tensile/source" export condition, so tests need no prior build.
import { defineConfig } from 'vitest/config';

// Vite's default server conditions, with ours first.
export const sourceConditions = ['@tensile/source', 'module', 'node', 'development|production'];

export function packageConfig(options: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions } },
    test: {
      include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
      pool: 'forks',
    },
  });
}
