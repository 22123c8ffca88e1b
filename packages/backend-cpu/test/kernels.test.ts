/**
 * Tests of what is the cpu backend's own: its buffer pool, its name and registration. Every
 * kernel is checked by the shared kernel suite in the conformance run (test/conformance.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { contiguousStrides, CONTRACT_VERSION, getBackend, sizeOf, type DType, type TensorView } from '@tensile/core';
import { bufferOf } from '../src/buffer.js';
import { CpuBackend } from '../src/cpu-backend.js';

const be = new CpuBackend();

/** A view whose row-major values are `values`, stored with the given strides and offset. */
function view(values: readonly number[], shape: readonly number[], dtype: DType = 'float32', strides?: readonly number[], offset = 0): TensorView {
  const st = strides ?? contiguousStrides(shape);
  const positions = Array.from({ length: sizeOf(shape) }, (_, i) => {
    let pos = offset;
    for (let d = shape.length - 1, r = i; d >= 0; r = Math.floor(r / shape[d]), d--) pos += (r % shape[d]) * st[d];
    return pos;
  });
  const extent = Math.max(offset + 1, ...positions.map((p) => p + 1));
  const storage = new (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array)(extent);
  positions.forEach((p, i) => (storage[p] = values[i]));
  const buffer = be.alloc(extent, dtype);
  be.write(buffer, storage);
  return { buffer, dtype, shape, strides: st, offset };
}

function values(v: TensorView): number[] {
  return Array.from(be.readSync(v));
}

// ---- memory -----------------------------------------------------------------------------

describe('memory', () => {
  it('counts live buffers and bytes', () => {
    const local = new CpuBackend();
    const a = local.alloc(10, 'float32');
    const b = local.alloc(3, 'bool');
    expect(local.memoryInfo()).toEqual({ bytes: 43, buffers: 2, cachedBytes: 0 });
    local.free(a);
    expect(local.memoryInfo()).toEqual({ bytes: 3, buffers: 1, cachedBytes: 40 });
    expect(() => local.free(a)).toThrow(/freed/);
    local.free(b);
    expect(local.memoryInfo()).toEqual({ bytes: 0, buffers: 0, cachedBytes: 43 });
    local.emptyCache();
    expect(local.memoryInfo()).toEqual({ bytes: 0, buffers: 0, cachedBytes: 0 });
  });

  it('reuses a freed array for the same dtype and size, and only for those', () => {
    const local = new CpuBackend();
    const first = local.alloc(6, 'float32');
    const array = bufferOf(first).data;
    local.free(first);
    const otherSize = local.alloc(5, 'float32');
    const otherDtype = local.alloc(6, 'int32');
    expect(bufferOf(otherSize).data).not.toBe(array);
    expect(bufferOf(otherDtype).data).not.toBe(array);
    const again = local.alloc(6, 'float32');
    expect(bufferOf(again).data).toBe(array);
    expect(local.memoryInfo().cachedBytes).toBe(0);
    // The stale handle no longer reaches the array now owned by `again`.
    expect(() => local.free(first)).toThrow(/freed/);
  });

  it('rejects bad sizes with a clear error', () => {
    expect(() => be.alloc(-1, 'float32')).toThrow(/non-negative integer/);
    expect(() => be.alloc(1.5, 'int32')).toThrow(/non-negative integer/);
    expect(() => be.alloc(Number.NaN, 'int32')).toThrow(/non-negative integer/);
    expect(be.alloc(0, 'float32')).toBeDefined();
  });

  it('writes and reads views (strided, offset, 0-d) in row-major order', async () => {
    const v = view([1, 2, 3, 4, 5, 6], [2, 3], 'float32', [1, 2], 3);
    expect(values(v)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await be.read(v))).toEqual([1, 2, 3, 4, 5, 6]);
    const scalar = view([7], [], 'int32', [], 2);
    expect(be.readSync(scalar)).toBeInstanceOf(Int32Array);
    expect(values(scalar)).toEqual([7]);
    expect(values(view([], [0, 3]))).toEqual([]);
  });

  it('names itself and the contract version', () => {
    expect(be.name).toBe('cpu');
    expect(be.contractVersion).toBe(CONTRACT_VERSION);
  });

  it('registers itself on import', async () => {
    await import('../src/index.js');
    expect(getBackend('cpu').name).toBe('cpu');
  });
});

