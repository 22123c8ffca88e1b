/**
 * A backend that cannot start must not take the import (or the other backends) down with it:
 * the failure is registered under 'wasm' and `setBackend('wasm')` rejects with its reason.
 * Here the kernels are looked for where none exist, through the real Node loader.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/loader.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/loader.js')>();
  const { compileWasm } = await import('../src/platform-node.js');
  return { ...actual, loadModule: () => compileWasm(new URL('file:///nonexistent/backend-wasm/src/tensile-relaxed.wasm')) };
});

describe('a wasm backend that cannot start', () => {
  it('registers its failure, leaves cpu working, and says how to build the kernels', async () => {
    const tl = await import('@tensile/core');
    await import('@tensile/backend-cpu');
    const wasm = await import('../src/index.js');
    expect(tl.listBackends()).toEqual(['wasm', 'cpu']);
    await expect(tl.setBackend('wasm')).rejects.toThrow(
      /^wasm backend: cannot read the kernels at \/nonexistent\/backend-wasm\/dist\/tensile-relaxed\.wasm; .*pnpm --filter @tensile\/backend-wasm build/,
    );
    // The failure is what every wasm function reports, not a vaguer "not started".
    expect(() => wasm.getThreads()).toThrow(/cannot read the kernels/);
    await tl.setBackend('cpu');
    expect(tl.tensor([1, 2]).add(1).arraySync()).toEqual([2, 3]);
    expect(tl.currentBackendName()).toBe('cpu');
  });

  it('points at the package, not at a workspace build, when an installed copy lacks its files', async () => {
    const { compileWasm } = await import('../src/platform-node.js');
    await expect(compileWasm(new URL('file:///app/node_modules/@tensile/backend-wasm/dist/tensile-simd.wasm'))).rejects.toThrow(
      'wasm backend: cannot read the kernels at /app/node_modules/@tensile/backend-wasm/dist/tensile-simd.wasm; the installed @tensile/backend-wasm is incomplete: reinstall it',
    );
  });
});
