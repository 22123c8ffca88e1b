// The built addon on this machine: it loads without a driver (static CUDA runtime), its
// argument structs match src/params.ts byte for byte, and it holds every kernel the
// TypeScript side can choose. Where nvcc is present the addon must have been built
// (pnpm install builds it); elsewhere these tests skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { binaryFacts, CORE_DTYPES, kernelDTypes, REDUCE_OPS, reduceFacts, unaryFacts } from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { binaryKernel, CUDA_BINARY_OPS, CUDA_UNARY_OPS, DTYPE_SUFFIX, unaryKernel } from '../src/kernels/elementwise.js';
import { DEFAULT_ADDON_PATH, loadNative } from '../src/native.js';
import { LAYOUTS, layoutOf, type StructName } from '../src/params.js';

const built = existsSync(DEFAULT_ADDON_PATH);
const nvccPresent = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).status === 0;

it('the addon is built wherever nvcc is present', () => {
  if (nvccPresent || process.env.TENSILE_REQUIRE_TOOLS === '1') expect(built, `${DEFAULT_ADDON_PATH} missing`).toBe(true);
});

/** Every kernel name the backend can launch: each op it runs as a kernel, in each dtype core sends it. */
function reachableKernels(): Set<string> {
  const names = new Set<string>();
  const sent = (facts: { float: string; int: string; bool: string }) => kernelDTypes(facts).filter((d) => d !== 'float16');
  for (const op of CUDA_UNARY_OPS) for (const d of sent(unaryFacts(op))) names.add(unaryKernel(op, d));
  for (const op of CUDA_BINARY_OPS) for (const d of sent(binaryFacts(op))) names.add(binaryKernel(op, d));
  for (const op of REDUCE_OPS) for (const d of sent(reduceFacts(op))) names.add(`${op}_${DTYPE_SUFFIX[d]}`);
  for (const d of CORE_DTYPES) {
    const s = DTYPE_SUFFIX[d];
    ['where', 'copy', 'fill', 'gather', 'scatterAdd', 'argmax', 'argmin'].forEach((k) => names.add(`${k}_${s}`));
    for (const to of CORE_DTYPES) if (to !== d) names.add(`castTo${{ float32: 'F32', int32: 'I32', bool: 'Bool' }[to]}_${s}`);
  }
  for (const op of ['matmul', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight']) {
    names.add(`${op}_f32`);
    names.add(`${op}Tf32_f32`);
  }
  ['maxPool2d', 'avgPool2d', 'maxPool2dBackward', 'avgPool2dBackward', 'uniform', 'normal', 'softmax', 'logSoftmax'].forEach((k) =>
    names.add(`${k}_f32`),
  );
  return names;
}

describe.skipIf(!built)('the native addon (no GPU needed)', () => {
  it('loads without a CUDA driver and reports the device query result instead of crashing', () => {
    const native = loadNative();
    const { count, error } = native.deviceCount();
    expect(typeof count).toBe('number');
    if (error !== null) {
      expect(count).toBe(0);
      expect(error).toMatch(/^cuda\w+: /);
    }
    expect(native.runtimeVersion()).toBeGreaterThanOrEqual(12000);
  });

  it('argument structs match src/params.ts (sizeof and every offsetof)', () => {
    const layouts = loadNative().layouts();
    expect(Object.keys(layouts).sort()).toEqual(Object.keys(LAYOUTS).sort());
    for (const name of Object.keys(LAYOUTS) as StructName[]) {
      const ours = layoutOf(name);
      expect(layouts[name].size, name).toBe(ours.size);
      const offsets = Object.fromEntries(Object.entries(ours.fields).map(([f, v]) => [f, v.offset]));
      expect(layouts[name].fields, name).toEqual(offsets);
    }
  });

  it('holds exactly the kernels the backend can launch, named <op>_<dtype>, with the right argument sizes', () => {
    const kernels = loadNative().kernels();
    expect(kernels.map((k) => k.name).sort()).toEqual([...reachableKernels()].sort());
    for (const k of kernels) {
      expect(k.name).toMatch(/^[a-zA-Z0-9]+_(f32|i32|u8)$/);
      expect(k.paramBytes, k.name).toBe(layoutOf(k.paramType as StructName).size);
    }
  });

  it('kernel calls before init fail with a JS error, not a crash', () => {
    const native = loadNative();
    if (native.deviceCount().error === null) return; // a real device may already be initialised
    expect(() => native.synchronize()).toThrow(/not initialised/);
    expect(() => native.launch('add_f32', 1, 1, 1, 1, 1, 1, 0, new Uint8Array(8))).toThrow(/not initialised/);
  });

  it('the kernels are real sm_80/sm_90 code under their <op>_<dtype> names', () => {
    const cuobjdump = spawnSync('sh', ['-c', `command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null`], { encoding: 'utf8' });
    if (cuobjdump.status !== 0 || !cuobjdump.stdout.trim()) return; // tool absent (this toolkit has none): the table check above stands
    const out = spawnSync(cuobjdump.stdout.trim(), ['-symbols', DEFAULT_ADDON_PATH], { encoding: 'utf8' }).stdout;
    expect(out).toContain('matmulTf32_f32');
  });
});
