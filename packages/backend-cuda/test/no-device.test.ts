// Without a usable GPU the package imports cleanly and `setBackend('cuda')` rejects with a
// message that names the cause. (On a GPU machine these tests check nothing and pass.)
import * as tl from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { createCudaBackend, cudaAvailability } from '../src/index.js';

const status = cudaAvailability();

describe('without a CUDA device', () => {
  it('importing registers cuda lazily and harmlessly', () => {
    expect(tl.listBackends()).toContain('cuda');
  });

  it.skipIf(status.available)("await tl.setBackend('cuda') rejects, naming the missing device or addon", async () => {
    await expect(tl.setBackend('cuda')).rejects.toThrow(/no CUDA device|CUDA driver|not built/);
  });

  it('a missing addon is reported with how to build it', async () => {
    await expect(createCudaBackend({ addonPath: '/nonexistent/tensile_cuda.node' })).rejects.toThrow(
      /native addon is not built.*npx tensile-cuda build/,
    );
    expect(cudaAvailability('/nonexistent/tensile_cuda.node')).toMatchObject({ available: false });
  });

  it.skipIf(status.available)('with the addon built, the reason is the driver: no CUDA device', async () => {
    const reason = (status as { reason: string }).reason;
    if (/not built/.test(reason)) return;
    expect(reason).toMatch(/^no CUDA device: the CUDA driver reports cuda\w+|^no CUDA device: the driver found no GPU/);
    await expect(createCudaBackend()).rejects.toThrow(/cuda backend: no CUDA device/);
  });
});
