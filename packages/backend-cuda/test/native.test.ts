// The built addon on this machine: it loads without a driver (static CUDA runtime), its
// argument structs match src/params.ts byte for byte, and it holds exactly the kernels the
// TypeScript side can launch, filed under the op table's codes. Where nvcc is present the addon must have been built
// (pnpm install builds it); elsewhere these tests skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  ARG_REDUCE_OPS, ARG_REDUCE_TABLE, BINARY_TABLE, binaryFacts, CORE_DTYPES, DTYPE_CODES, REDUCE_OPS, REDUCE_TABLE, reduceFacts,
  UNARY_TABLE, unaryFacts,
} from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { binaryKernel, castKernel, CUDA_BINARY_OPS, CUDA_UNARY_OPS, unaryKernel } from '../src/kernels/elementwise.js';
import { dtypesSent, type KernelRef } from '../src/kernels/launch.js';
import { ARG_REDUCE_DTYPES, argReduceKernel, reduceKernel } from '../src/kernels/reduce.js';
import { DEFAULT_ADDON_PATH, loadNative } from '../src/native.js';
import { LAYOUTS, layoutOf, type StructName } from '../src/params.js';

const built = existsSync(DEFAULT_ADDON_PATH);
const nvccPresent = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' }).status === 0;

it('the addon is built wherever nvcc is present', () => {
  if (nvccPresent || process.env.TENSILE_REQUIRE_TOOLS === '1') expect(built, `${DEFAULT_ADDON_PATH} missing`).toBe(true);
});

const OP_NAMES: Record<string, Record<number, string>> = {
  unary: Object.fromEntries(Object.entries(UNARY_TABLE).map(([op, f]) => [f.code, op])),
  binary: Object.fromEntries(Object.entries(BINARY_TABLE).map(([op, f]) => [f.code, op])),
  reduce: Object.fromEntries(Object.entries(REDUCE_TABLE).map(([op, f]) => [f.code, op])),
  argReduce: Object.fromEntries(Object.entries(ARG_REDUCE_TABLE).map(([op, f]) => [f.code, op])),
};
const DTYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DTYPE_CODES).map(([d, c]) => [c, d]));

/** `family/op/dtype` in words: `unary sigmoid float32`. */
function inWords(key: string): string {
  const [family, op, dtype] = key.split('/');
  return `${family} ${OP_NAMES[family]?.[Number(op)] ?? `op ${op}`} ${DTYPE_NAMES[Number(dtype)]}`;
}

/** A kernel's key: `family/op/dtype code`, as the addon files it. */
function key(k: KernelRef): string {
  return `${k.family}/${k.op}/${DTYPE_CODES[k.dtype]}`;
}

/**
 * Every kernel the backend can launch: each op it declares as a kernel (src/kernels/
 * elementwise.ts), in each dtype the op table's rules send it, and the fixed families.
 */
function launchable(): Set<string> {
  const refs: KernelRef[] = [];
  for (const op of CUDA_UNARY_OPS) for (const d of dtypesSent(unaryFacts(op))) refs.push(unaryKernel(op, d));
  for (const op of CUDA_BINARY_OPS) for (const d of dtypesSent(binaryFacts(op))) refs.push(binaryKernel(op, d));
  for (const op of REDUCE_OPS) for (const d of dtypesSent(reduceFacts(op))) refs.push(reduceKernel(op, d));
  for (const op of ARG_REDUCE_OPS) for (const d of ARG_REDUCE_DTYPES) refs.push(argReduceKernel(op, d));
  for (const d of CORE_DTYPES) {
    for (const family of ['where', 'copy', 'fill', 'gather', 'scatterAdd']) refs.push({ family, op: 0, dtype: d });
    for (const to of CORE_DTYPES) if (to !== d) refs.push(castKernel(d, to));
  }
  const float32 = [
    'matmul', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight',
    'maxPool2d', 'avgPool2d', 'maxPool2dBackward', 'avgPool2dBackward', 'uniform', 'normal', 'softmax', 'logSoftmax',
  ];
  for (const family of float32) refs.push({ family, op: 0, dtype: 'float32' });
  for (const family of ['matmul', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight']) refs.push({ family: `${family}Tf32`, op: 0, dtype: 'float32' });
  // sort: four segment variants (kernels/sort.cu SortVariant) and the emit per dtype sorted; the steps on the (int32) pair buffers.
  for (const dtype of ['float32', 'int32'] as const) {
    for (const op of [0, 1, 2, 3]) refs.push({ family: 'sortSegments', op, dtype });
    refs.push({ family: 'sortEmit', op: 0, dtype });
  }
  for (const family of ['sortStep', 'sortMerge']) refs.push({ family, op: 0, dtype: 'int32' });
  return new Set(refs.map(key));
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

  it('holds exactly the kernels the backend can launch, filed by op code and dtype code, with the right argument sizes', () => {
    const kernels = loadNative().kernels();
    const held = kernels.map((k) => `${k.family}/${k.op}/${k.dtype}`);
    expect(new Set(held).size, 'two kernels filed under one key').toBe(held.length);
    const want = launchable();
    // Named, so a failure says which op lost its kernel (or gained one nothing launches).
    const missing = [...want].filter((k) => !held.includes(k)).map(inWords);
    const extra = [...held].filter((k) => !want.has(k)).map(inWords);
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    for (const k of kernels) {
      expect(k.name).toMatch(/^[a-zA-Z0-9]+_(f32|i32|u8)$/);
      expect(k.paramBytes, k.name).toBe(layoutOf(k.paramType as StructName).size);
    }
  });

  it('kernel calls before init fail with a JS error, not a crash', () => {
    const native = loadNative();
    if (native.deviceCount().error === null) return; // a real device may already be initialised
    expect(() => native.synchronize()).toThrow(/not initialised/);
    expect(() => native.launch('binary', 0, 0, 1, 1, 1, 1, 1, 1, 0, new Uint8Array(8))).toThrow(/not initialised/);
  });

  it('a launch of a kernel the addon lacks names it, by op and dtype', () => {
    const native = loadNative();
    const args = new Uint8Array(8);
    expect(() => native.launch('unary', UNARY_TABLE.sigmoid.code, DTYPE_CODES.int32, 1, 1, 1, 1, 1, 1, 0, args)).toThrow(
      /no kernel for unary 'sigmoid' on int32/,
    );
    expect(() => native.launch('matmulTf32', 0, DTYPE_CODES.float16, 1, 1, 1, 1, 1, 1, 0, args)).toThrow(/no kernel for matmulTf32 on float16/);
    expect(() => native.launch('binary', 99, 0, 1, 1, 1, 1, 1, 1, 0, args)).toThrow(/no kernel for binary op 99 on float32/);
  });

  it('the kernels are real sm_80/sm_90 code under their <op>_<dtype> names', () => {
    const cuobjdump = spawnSync('sh', ['-c', `command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null`], { encoding: 'utf8' });
    if (cuobjdump.status !== 0 || !cuobjdump.stdout.trim()) return; // tool absent (this toolkit has none): the table check above stands
    const out = spawnSync(cuobjdump.stdout.trim(), ['-symbols', DEFAULT_ADDON_PATH], { encoding: 'utf8' }).stdout;
    expect(out).toContain('matmulTf32_f32');
  });
});
