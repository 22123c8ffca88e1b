// The install script never fails an install: without nvcc it prints how to build later.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'install.mjs');

it('exits 0 and prints the rebuild hint when nvcc is absent', () => {
  const env: Record<string, string> = { PATH: dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' };
  const result = spawnSync(process.execPath, [script], { env, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/nvcc was not found/);
  expect(result.stdout).toMatch(/pnpm rebuild @tensile\/backend-cuda/);
});

it('exits 0 when told to skip the build', () => {
  const result = spawnSync(process.execPath, [script], { env: { ...process.env, TENSILE_CUDA_SKIP_BUILD: '1' }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/not building/);
});
