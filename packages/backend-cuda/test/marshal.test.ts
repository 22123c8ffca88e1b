// What the backend sends to the addon: kernel names, launch geometry and the packed
// argument blocks, checked on a fake addon (no GPU needed).
import {
  ARG_REDUCE_TABLE, BINARY_OPS, BINARY_TABLE, binaryFacts, contiguousStrides, CONV_FIELDS, DTYPE_CODES, hasComposite, POOL_FIELDS,
  REDUCE_TABLE, UNARY_OPS, UNARY_TABLE, unaryFacts, type Conv2dParams, type DType, type TensorView,
} from '@tensile/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { CudaBackend } from '../src/cuda-backend.js';
import { CUDA_BINARY_OPS, CUDA_UNARY_OPS } from '../src/kernels/elementwise.js';
import { dtypesSent, gridFor } from '../src/kernels/launch.js';
import { splitK } from '../src/kernels/matmul.js';
import { rowBlock } from '../src/kernels/reduce.js';
import { ArgBlock, layoutOf, readField, type StructName } from '../src/params.js';
import { FAKE_DEVICE, FakeNative, type RecordedLaunch } from './fake-native.js';

let native: FakeNative;
let backend: CudaBackend;
let tf32 = true;

beforeEach(() => {
  native = new FakeNative();
  tf32 = true;
  backend = new CudaBackend(native, FAKE_DEVICE, { allowTF32: () => tf32 });
});

function view(shape: number[], dtype: DType = 'float32', strides = contiguousStrides(shape), offset = 0): TensorView {
  const size = shape.reduce((a, b) => a + b, 0) === 0 ? 0 : Math.max(...shape.map((d, i) => (d - 1) * Math.abs(strides[i]))) + 1 + offset;
  return { buffer: backend.alloc(Math.max(size, 1), dtype), dtype, shape, strides, offset };
}

function pointer(v: TensorView): number {
  return (v.buffer as unknown as { pointer: number }).pointer;
}

/** A kernel as the backend launches it: family, op code (0 for families without ops), input dtype. */
function k(family: string, dtype: DType, op = 0): RecordedLaunch['kernel'] {
  return { family, op, dtype };
}

function field(l: RecordedLaunch, struct: StructName, name: string, index = 0): number {
  return readField(struct, l.args, name, index);
}

function fields(l: RecordedLaunch, struct: StructName, name: string, count: number, start = 0): number[] {
  return Array.from({ length: count }, (_, i) => field(l, struct, name, start + i));
}

describe('argument blocks', () => {
  it('lay out 8-byte fields in declaration order', () => {
    const l = layoutOf('ElementwiseParams');
    expect(l.fields.n.offset).toBe(0);
    expect(l.fields.shape.offset).toBe(16);
    expect(l.fields.strides.offset).toBe(16 + 64 + 32);
    expect(l.size).toBe(8 * (2 + 8 + 4 + 32 + 4 + 2));
  });

  it('pack negative, large and float values exactly', () => {
    const b = new ArgBlock('ElementwiseParams');
    b.set('n', 2 ** 40 + 3).set('offset', -5, 2).set('scalar', -0.1).set('ptr', 0x7f12_3456_7890, 3);
    expect(b.get('n')).toBe(2 ** 40 + 3);
    expect(b.get('offset', 2)).toBe(-5);
    expect(b.get('scalar')).toBe(-0.1);
    expect(b.get('ptr', 3)).toBe(0x7f12_3456_7890);
    expect(() => b.set('shape', 1, 8)).toThrow(/out of range/);
    expect(() => b.set('n', 0.5)).toThrow(/safe integer/);
    b.reset();
    expect(b.get('n')).toBe(0);
  });
});

describe('geometry', () => {
  it('sizes grids and row blocks', () => {
    expect(gridFor(1)).toBe(1);
    expect(gridFor(257)).toBe(2);
    expect(gridFor(1e12)).toBe(1 << 20);
    expect(rowBlock(1)).toBe(32);
    expect(rowBlock(100)).toBe(128);
    expect(rowBlock(1e6)).toBe(256);
  });

  it('splits K only when the tiles cannot fill the GPU and K is long', () => {
    expect(splitK(1000, 100000, 132)).toEqual({ splits: 1, kChunk: 100000 });
    expect(splitK(4, 512, 132)).toEqual({ splits: 1, kChunk: 512 });
    const s = splitK(4, 100000, 132);
    expect(s.splits).toBeGreaterThan(1);
    expect(s.kChunk % 16).toBe(0);
    expect(s.splits * s.kChunk).toBeGreaterThanOrEqual(100000);
    expect((s.splits - 1) * s.kChunk).toBeLessThan(100000);
  });
});

describe('elementwise marshalling', () => {
  it('binary add with a broadcast operand', () => {
    const a = view([4, 3]);
    const b = view([4, 3], 'float32', [0, 1]); // a row broadcast down
    const out = view([4, 3]);
    backend.binary('add', a, b, out);
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('binary', 'float32', BINARY_TABLE.add.code));
    expect(l.block).toEqual([256, 1, 1]);
    expect(l.grid).toEqual([1, 1, 1]);
    expect(field(l, 'ElementwiseParams', 'n')).toBe(12);
    expect(field(l, 'ElementwiseParams', 'rank')).toBe(2);
    expect(fields(l, 'ElementwiseParams', 'shape', 2)).toEqual([4, 3]);
    expect(fields(l, 'ElementwiseParams', 'strides', 2, 0)).toEqual([3, 1]); // out
    expect(fields(l, 'ElementwiseParams', 'strides', 2, 8)).toEqual([3, 1]); // a
    expect(fields(l, 'ElementwiseParams', 'strides', 2, 16)).toEqual([0, 1]); // b
    expect(fields(l, 'ElementwiseParams', 'ptr', 3)).toEqual([pointer(out), pointer(a), pointer(b)]);
  });

  it('contiguous operands walk one dim; offsets pass through', () => {
    const x = view([2, 3, 4], 'float32', [12, 4, 1], 5);
    const out = view([2, 3, 4]);
    backend.unary('exp', x, out);
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('unary', 'float32', UNARY_TABLE.exp.code));
    expect(field(l, 'ElementwiseParams', 'rank')).toBe(1);
    expect(fields(l, 'ElementwiseParams', 'offset', 2)).toEqual([0, 5]);
  });

  it('launches each unary and binary op as the kernel of its own op-table code, in the dtype core sends', () => {
    const launched = (run: () => void) => {
      native.launches = [];
      run();
      return native.launches[0].kernel;
    };
    for (const op of CUDA_UNARY_OPS) {
      for (const d of dtypesSent(unaryFacts(op))) {
        const out = view([3], unaryFacts(op).kind === 'math' ? d : 'bool');
        expect(launched(() => backend.unary(op, view([3], d), out)), `${op} ${d}`).toEqual(k('unary', d, UNARY_TABLE[op].code));
      }
    }
    for (const op of CUDA_BINARY_OPS) {
      for (const d of dtypesSent(binaryFacts(op))) {
        const out = view([3], binaryFacts(op).kind === 'math' ? d : 'bool');
        expect(launched(() => backend.binary(op, view([3], d), view([3], d), out)), `${op} ${d}`).toEqual(k('binary', d, BINARY_TABLE[op].code));
      }
    }
    // The codes are the op table's, so no two ops share a kernel.
    expect(new Set(CUDA_UNARY_OPS.map((op) => UNARY_TABLE[op].code)).size).toBe(CUDA_UNARY_OPS.length);
  });

  it('runs every primitive as a kernel and declares the composites it accelerates', () => {
    const primitives = UNARY_OPS.filter((op) => !hasComposite(unaryFacts(op)));
    expect([...CUDA_UNARY_OPS].sort()).toEqual([...primitives, ...backend.accelerates.unary].sort());
    expect(backend.accelerates.unary).toEqual(['rsqrt', 'reciprocal', 'sigmoid', 'relu']);
    expect([...CUDA_BINARY_OPS].sort()).toEqual(BINARY_OPS.filter((op) => !hasComposite(binaryFacts(op))).sort());
  });

  it('fill converts its value as typed-array stores do', () => {
    backend.fill(view([3], 'int32'), 2 ** 32 + 7.9);
    backend.fill(view([3], 'bool'), NaN);
    backend.fill(view([3]), 0.1);
    const [i, b, f] = native.launches;
    expect([i, b, f].map((l) => l.kernel)).toEqual([k('fill', 'int32'), k('fill', 'bool'), k('fill', 'float32')]);
    expect(field(i, 'ElementwiseParams', 'iscalar')).toBe(7);
    expect(field(b, 'ElementwiseParams', 'iscalar')).toBe(1);
    expect(field(f, 'ElementwiseParams', 'scalar')).toBe(0.1);
  });

  it('cast picks castTo<dtype>_<source>', () => {
    backend.cast(view([2]), view([2], 'int32'));
    backend.cast(view([2], 'bool'), view([2]));
    backend.cast(view([2], 'int32'), view([2], 'int32'));
    expect(native.launches.map((l) => l.kernel)).toEqual([
      k('cast', 'float32', DTYPE_CODES.int32), k('cast', 'bool', DTYPE_CODES.float32), k('copy', 'int32'),
    ]);
  });

  it('where passes four operands', () => {
    backend.where(view([2, 2], 'bool'), view([2, 2]), view([2, 2], 'float32', [0, 0]), view([2, 2]));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('where', 'float32'));
    expect(fields(l, 'ElementwiseParams', 'strides', 1, 24)).toEqual([0]);
  });

  it('launches nothing for empty tensors', () => {
    backend.unary('neg', view([0, 3]), view([0, 3]));
    expect(native.launches).toEqual([]);
  });
});

describe('reductions', () => {
  it('sum over the last axis: one block per row', () => {
    const x = view([8, 1000]);
    backend.reduce('sum', x, [1], view([8, 1]));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('reduce', 'float32', REDUCE_TABLE.sum.code));
    expect(l.grid).toEqual([8, 1, 1]);
    expect(l.block).toEqual([256, 1, 1]);
    expect(field(l, 'ReduceParams', 'mode')).toBe(0);
    expect(field(l, 'ReduceParams', 'outer')).toBe(8);
    expect(field(l, 'ReduceParams', 'inner')).toBe(1000);
    expect(fields(l, 'ReduceParams', 'xOuterStrides', 1)).toEqual([1000]);
    expect(fields(l, 'ReduceParams', 'xInnerStrides', 1)).toEqual([1]);
  });

  it('sum over the first axis of a wide tensor: one thread per output', () => {
    backend.reduce('max', view([16, 100000], 'int32'), [0], view([1, 100000], 'int32'));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('reduce', 'int32', REDUCE_TABLE.max.code));
    expect(field(l, 'ReduceParams', 'mode')).toBe(1);
    expect(l.grid).toEqual([Math.ceil(100000 / 256), 1, 1]);
    expect(fields(l, 'ReduceParams', 'xInnerStrides', 1)).toEqual([100000]);
  });

  it('several axes coalesce into one inner walk', () => {
    backend.reduce('sum', view([2, 3, 4, 5]), [1, 2], view([2, 1, 1, 5]));
    const [l] = native.launches;
    expect(field(l, 'ReduceParams', 'outerRank')).toBe(2);
    expect(fields(l, 'ReduceParams', 'outerShape', 2)).toEqual([2, 5]);
    expect(field(l, 'ReduceParams', 'innerRank')).toBe(1);
    expect(fields(l, 'ReduceParams', 'innerShape', 1)).toEqual([12]);
    expect(fields(l, 'ReduceParams', 'xInnerStrides', 1)).toEqual([5]);
  });

  it('softmax along a middle axis keeps the out strides along it', () => {
    backend.softmax(view([2, 7, 3]), 1, view([2, 7, 3]));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('softmax', 'float32'));
    expect(l.block).toEqual([32, 1, 1]);
    expect(fields(l, 'ReduceParams', 'xInnerStrides', 1)).toEqual([3]);
    expect(fields(l, 'ReduceParams', 'outInnerStrides', 1)).toEqual([3]);
    expect(fields(l, 'ReduceParams', 'outerShape', 2)).toEqual([2, 3]);
  });

  it('argmax of a bool tensor', () => {
    backend.argReduce('argmax', view([5, 9], 'bool'), 1, view([5, 1], 'int32'));
    expect(native.launches[0].kernel).toEqual(k('argReduce', 'bool', ARG_REDUCE_TABLE.argmax.code));
  });
});

describe('matmul and convolution', () => {
  it('uses TF32 tensor cores by default and strict float32 when disabled', () => {
    backend.matmul(view([100, 30]), view([30, 70]), view([100, 70]));
    tf32 = false;
    backend.matmul(view([100, 30]), view([30, 70]), view([100, 70]));
    const [t, s] = native.launches;
    expect(t.kernel).toEqual(k('matmulTf32', 'float32'));
    expect(t.block).toEqual([128, 1, 1]);
    expect(s.kernel).toEqual(k('matmul', 'float32'));
    expect(s.block).toEqual([256, 1, 1]);
    expect(t.grid).toEqual([2, 2, 1]);
    expect(field(t, 'MatmulParams', 'splits')).toBe(1);
  });

  it('passes transposed operands as strides and broadcast batches as stride 0', () => {
    const a = view([3, 4, 5]);
    const bT = view([3, 5, 6], 'float32', [0, 1, 5]); // b broadcast over the batch and transposed
    backend.matmul(a, bT, view([3, 4, 6]));
    const [l] = native.launches;
    expect(fields(l, 'MatmulParams', 'batchShape', 1)).toEqual([3]);
    expect(fields(l, 'MatmulParams', 'bBatchStrides', 1)).toEqual([0]);
    expect([field(l, 'MatmulParams', 'bRowStride'), field(l, 'MatmulParams', 'bColStride')]).toEqual([1, 5]);
    expect(l.grid[2]).toBe(3);
  });

  it('splits a long K into atomically added chunks after zeroing the output', () => {
    backend.matmul(view([64, 65536]), view([65536, 64]), view([64, 64]));
    const [fill, mm] = native.launches;
    expect(fill.kernel).toEqual(k('fill', 'float32'));
    const splits = field(mm, 'MatmulParams', 'splits');
    expect(splits).toBeGreaterThan(1);
    expect(mm.grid[2]).toBe(splits);
  });

  const conv: Conv2dParams = { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 };

  it('conv2d as an implicit GEMM: geometry and grid', () => {
    const x = view([2, 4, 9, 9]);
    const w = view([6, 2, 3, 3]);
    const out = view([2, 6, 5, 5]);
    backend.conv2d(x, w, out, conv);
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('conv2dTf32', 'float32'));
    // core's convGeometry, field by field: batch, inC, inH, inW, outC, outH, outW, kH, kW,
    // strides, padding, dilation, groups, then the channels of one group (in, out).
    expect(CONV_FIELDS.map((f) => field(l, 'ConvParams', f))).toEqual([2, 4, 9, 9, 6, 5, 5, 3, 3, 2, 1, 1, 0, 1, 2, 2, 2, 3]);
    expect(l.grid).toEqual([1, 1, 2]); // N = 2*5*5 = 50 columns, M = 3 rows, 2 groups
    expect(fields(l, 'ConvParams', 'xStrides', 4)).toEqual([324, 81, 9, 1]);
    expect([field(l, 'ConvParams', 'x'), field(l, 'ConvParams', 'w'), field(l, 'ConvParams', 'y')]).toEqual([pointer(x), pointer(w), pointer(out)]);
  });

  it('the gradients route dx, dw and dy to the right struct slots', () => {
    tf32 = false;
    const x = view([2, 4, 9, 9]), w = view([6, 2, 3, 3]), dy = view([2, 6, 5, 5]);
    backend.conv2dBackwardInput(dy, w, x, conv);
    backend.conv2dBackwardWeight(x, dy, w, conv);
    const [bi, bw] = native.launches;
    expect(bi.kernel).toEqual(k('conv2dBackwardInput', 'float32'));
    expect(bi.grid).toEqual([Math.ceil((2 * 81) / 64), 1, 2]);
    expect(bw.kernel).toEqual(k('conv2dBackwardWeight', 'float32'));
    expect(field(bw, 'ConvParams', 'y')).toBe(pointer(dy));
    expect(field(bw, 'ConvParams', 'w')).toBe(pointer(w));
    expect(field(bi, 'ConvParams', 'x')).toBe(pointer(x));
  });

  it('pool2d packs core\'s pool geometry and the three views', () => {
    const p = { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], countIncludePad: false } as const;
    const x = view([2, 3, 7, 6], 'float32', [126, 1, 18, 3]); // channels last
    const y = view([2, 3, 4, 4]);
    backend.pool2d('avg', x, y, p);
    const [l] = native.launches;
    expect(POOL_FIELDS.map((f) => field(l, 'PoolParams', f))).toEqual([2, 3, 7, 6, 4, 4, 3, 2, 2, 1, 1, 0, 1, 2, 0]);
    expect(fields(l, 'PoolParams', 'xStrides', 4)).toEqual([126, 1, 18, 3]);
    expect([field(l, 'PoolParams', 'x'), field(l, 'PoolParams', 'y'), field(l, 'PoolParams', 'g')]).toEqual([pointer(x), pointer(y), 0]);
  });

  it('pool backward zeroes the gradient, then scatters', () => {
    const p = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], countIncludePad: true } as const;
    backend.pool2dBackward('max', view([1, 2, 4, 4]), view([1, 2, 2, 2]), view([1, 2, 4, 4]), p);
    expect(native.launches.map((l) => l.kernel)).toEqual([k('fill', 'float32'), k('maxPool2dBackward', 'float32')]);
  });
});

describe('indexing and random', () => {
  it('gather pins the indexed dim of x', () => {
    const x = view([3, 5]);
    backend.gather(x, 1, view([3, 2], 'int32'), view([3, 2]));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('gather', 'float32'));
    expect(field(l, 'IndexParams', 'dimSize')).toBe(5);
    expect(field(l, 'IndexParams', 'dimStride')).toBe(1);
    expect(fields(l, 'IndexParams', 'srcStrides', 2)).toEqual([5, 0]);
  });

  it('random packs the Philox key', () => {
    backend.random('normal', { seed: -1, offset: 2 ** 33 + 5 }, view([10]));
    const [l] = native.launches;
    expect(l.kernel).toEqual(k('normal', 'float32'));
    expect(field(l, 'RandomParams', 'seed')).toBe(0xffffffff);
    expect(field(l, 'RandomParams', 'counterOffset')).toBe(2 ** 33 + 5);
  });
});

describe('sort', () => {
  it('a short row: one segment sort from x straight to the outputs', () => {
    const x = view([3, 100], 'int32', [1, 3]);
    const values = view([3, 5], 'int32');
    const indices = view([3, 5], 'int32');
    backend.sort(x, true, values, indices);
    expect(native.launches.map((l) => l.kernel)).toEqual([k('sortSegments', 'int32', 1)]);
    const [l] = native.launches;
    expect(l.grid).toEqual([1, 1, 1]); // segments of 128: eight to a block
    expect(l.block).toEqual([512, 1, 1]);
    expect(['m', 'span', 'segs', 'total', 'perGroup', 'keep', 'xRow', 'xStep', 'flip'].map((f) => field(l, 'SortParams', f))).toEqual([100, 128, 1, 3, 8, 5, 1, 3, 0xffffffff]);
    expect([field(l, 'SortParams', 'values'), field(l, 'SortParams', 'indices')]).toEqual([pointer(values), pointer(indices)]);
  });

  it('top-k of long rows: levels of segments, each keeping k', () => {
    backend.sort(view([2, 60000]), false, view([2, 50]), view([2, 50], 'int32'));
    expect(native.launches.map((l) => l.kernel)).toEqual([k('sortSegments', 'float32', 0), k('sortSegments', 'float32', 2), k('sortSegments', 'float32', 3)]);
    const [first, second, last] = native.launches;
    expect(field(second, 'SortParams', 'inKeys')).toBe(field(first, 'SortParams', 'outKeys'));
    // 60000 elements: 59 segments keep 2950, then 3 segments keep 150, sorted in one segment of 256.
    expect(['m', 'segs', 'keep', 'total'].map((f) => field(first, 'SortParams', f))).toEqual([60000, 59, 50, 118]);
    expect(['m', 'segs', 'keep'].map((f) => field(second, 'SortParams', f))).toEqual([2950, 3, 50]);
    expect(['m', 'span', 'keep'].map((f) => field(last, 'SortParams', f))).toEqual([150, 256, 50]);
  });

  it('a full sort of a long row: segments, global steps and merges, then the emit; scratch goes back', () => {
    const before = backend.memoryInfo().buffers;
    backend.sort(view([1, 3000]), false, view([1, 3000]), view([1, 3000], 'int32'));
    const families = native.launches.map((l) => l.kernel.family);
    // P = 4096: stages 2048 (a mirrored step, a merge) and 4096 (mirrored, one half-cleaner, a merge).
    expect(families).toEqual(['sortSegments', 'sortStep', 'sortMerge', 'sortStep', 'sortStep', 'sortMerge', 'sortEmit']);
    expect(native.launches.filter((l) => l.kernel.family === 'sortStep').map((l) => [field(l, 'SortParams', 'dist'), field(l, 'SortParams', 'mirror')])).toEqual([[1024, 1], [2048, 1], [1024, 0]]);
    expect(field(native.launches[2], 'SortParams', 'outKeys')).toBe(field(native.launches[0], 'SortParams', 'outKeys'));
    expect(backend.memoryInfo().buffers).toBe(before + 3);
  });
});

describe('memory', () => {
  it('reads a dense view directly and a strided one through a temporary copy', async () => {
    const x = view([4, 6], 'float32', contiguousStrides([4, 6]), 3);
    await backend.read(x);
    expect(native.downloads[0]).toEqual({ pointer: pointer(x) + 12, bytes: 96 });
    expect(native.launches).toEqual([]);
    const t = view([6, 4], 'float32', [1, 6]);
    const before = backend.memoryInfo().buffers;
    const data = backend.readSync(t);
    expect(data).toBeInstanceOf(Float32Array);
    expect(data.length).toBe(24);
    expect(native.launches.map((l) => l.kernel)).toEqual([k('copy', 'float32')]);
    expect(backend.memoryInfo().buffers).toBe(before); // the temporary went back to the cache
  });

  it('reports live bytes and cached bytes', () => {
    const a = backend.alloc(10, 'float32');
    const b = backend.alloc(10, 'bool');
    expect(backend.memoryInfo()).toEqual({ bytes: 50, buffers: 2, cachedBytes: 0 });
    backend.free(a);
    expect(backend.memoryInfo()).toEqual({ bytes: 10, buffers: 1, cachedBytes: 512 });
    expect(() => backend.free(a)).toThrow(/freed/);
    backend.free(b);
    backend.emptyCache();
    expect(backend.memoryInfo()).toEqual({ bytes: 0, buffers: 0, cachedBytes: 0 });
    expect(native.calls).toContain('emptyCache');
  });

  it('writes through upload and rejects oversized writes', () => {
    const a = backend.alloc(4, 'int32');
    backend.write(a, new Int32Array([1, 2, 3]));
    expect(native.uploads).toEqual([{ pointer: (a as unknown as { pointer: number }).pointer, bytes: 12 }]);
    expect(() => backend.write(a, new Int32Array(5))).toThrow(/cannot write 5/);
  });
});
