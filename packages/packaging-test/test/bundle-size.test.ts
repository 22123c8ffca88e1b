/**
 * Core tree-shakes: a browser bundle of `tensor` + `add` + backend-cpu is smaller than one of
 * all of core + backend-cpu. Prints the sizes (scripts/bundle-size.mjs; `pnpm --filter
 * @tensile/packaging-test bundle-size` prints the same table).
 */
import { expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { measure } from '../scripts/bundle-size.mjs';

it('tensor + add + backend-cpu bundles smaller than all of core + backend-cpu', async () => {
  const sizes = (await measure()) as Record<string, { minified: number; gzip: number }>;
  for (const [name, s] of Object.entries(sizes)) console.log(`${name}: ${(s.minified / 1024).toFixed(1)} KB min, ${(s.gzip / 1024).toFixed(1)} KB min+gzip`);
  const small = sizes['tensor + add + backend-cpu'];
  const all = sizes['all of core + backend-cpu'];
  expect(small.minified).toBeLessThan(all.minified);
  expect(small.gzip).toBeLessThan(all.gzip);
  expect(all.gzip).toBeLessThan(sizes['all of core + nn + optim + backend-cpu'].gzip);
});
