// The install script never fails an install: without nvcc it prints how to build later
// (`npx tensile-cuda build`), and that command fails saying what is missing.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'install.mjs');
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tensile-cuda.mjs');
const noNvcc = (): Record<string, string> => ({ PATH: dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' });

it('exits 0 and prints the rebuild hint when nvcc is absent', () => {
  const env: Record<string, string> = { PATH: dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' };
  const result = spawnSync(process.execPath, [script], { env, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/nvcc was not found/);
  expect(result.stdout).toMatch(/run: npx tensile-cuda build .*pnpm exec tensile-cuda build/);
});

it('exits 0 when told to skip the build', () => {
  const result = spawnSync(process.execPath, [script], { env: { ...process.env, TENSILE_CUDA_SKIP_BUILD: '1' }, encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/not building/);
});

it('tensile-cuda build without nvcc exits 1 and says what is missing and where it looked', () => {
  const result = spawnSync(process.execPath, [bin, 'build'], { env: noNvcc(), encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/cannot build the CUDA addon: nvcc, the CUDA compiler, was not found/);
  expect(result.stdout).toMatch(/looked in: every directory on PATH, CUDA_HOME \(unset\), CUDA_PATH \(unset\)/);
  expect(result.stdout).toMatch(/needed: the CUDA toolkit 12\.x or 13\.x .*g\+\+ .*Python 3/);
  expect(result.stdout).toMatch(/set CUDA_HOME=.*TENSILE_NVCC=/);
});

it('tensile-cuda build names a TENSILE_NVCC that is not there', () => {
  const result = spawnSync(process.execPath, [bin, 'build'], { env: { ...noNvcc(), TENSILE_NVCC: '/nonexistent/nvcc' }, encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stdout).toContain('looked in: TENSILE_NVCC=/nonexistent/nvcc (not an executable file)');
});

it('tensile-cuda without a known command prints its usage and exits 2', () => {
  for (const args of [[], ['compile'], ['build', '--fast']]) {
    const result = spawnSync(process.execPath, [bin, ...args], { env: noNvcc(), encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^tensile-cuda: (no command given|unknown command 'compile'|unknown option '--fast')\nusage: tensile-cuda build/);
  }
  expect(spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }).stdout).toMatch(/^usage: tensile-cuda build/);
});
