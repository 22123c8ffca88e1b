/**
 * Kernel-level tests of the cpu backend, run directly on views (no Tensor class involved).
 * Each kernel is checked on contiguous and on strided/broadcast inputs against naive
 * reference loops written here.
 */
import { describe, expect, it } from 'vitest';
import {
  BINARY_OPS, contiguousStrides, CONTRACT_VERSION, getBackend, randomElement, sizeOf, UNARY_OPS,
  type BinaryOp, type Conv2dParams, type DType, type Pool2dParams, type ReduceOp, type TensorView, type UnaryOp,
} from '@tensile/core';
import { bufferOf } from '../src/buffer.js';
import { CpuBackend } from '../src/cpu-backend.js';
import { erf } from '../src/kernels/math.js';

const be = new CpuBackend();

// ---- helpers ----------------------------------------------------------------------------

/** Deterministic pseudo-random numbers in [lo, hi). */
function randoms(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((s >>> 8) / 16777216) * (hi - lo));
  }
  return out;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/**
 * A view whose logical (row-major) values are `values`, stored with the given strides and
 * offset; unused storage holds a sentinel so a kernel that reads outside the view shows.
 * With stride 0 (broadcast) `values` must repeat consistently, since they share storage.
 */
function view(values: readonly number[], shape: readonly number[], dtype: DType = 'float32', strides?: readonly number[], offset = 0): TensorView {
  const st = strides ?? contiguousStrides(shape);
  const n = sizeOf(shape);
  let extent = offset + 1;
  for (let i = 0; i < n; i++) extent = Math.max(extent, offset + unravel(i, shape).reduce((s, x, d) => s + x * st[d], 0) + 1);
  const buffer = be.alloc(n === 0 ? offset : extent, dtype);
  const storage = new (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array)(n === 0 ? offset : extent);
  storage.fill(dtype === 'bool' ? 1 : 77);
  for (let i = 0; i < n; i++) storage[offset + unravel(i, shape).reduce((s, x, d) => s + x * st[d], 0)] = values[i];
  be.write(buffer, storage);
  return { buffer, dtype, shape, strides: st, offset };
}

/** Strides of a row-major tensor of `storageShape` seen through `perm` (a transposed view). */
function permutedView(values: readonly number[], shape: readonly number[], perm: readonly number[], dtype: DType = 'float32'): TensorView {
  // Storage is laid out as shape permuted by perm; the view undoes it.
  const storageShape = perm.map((p) => shape[p]);
  const storageStrides = contiguousStrides(storageShape);
  const strides = new Array<number>(shape.length);
  perm.forEach((p, i) => (strides[p] = storageStrides[i]));
  return view(values, shape, dtype, strides, 0);
}

function empty(shape: readonly number[], dtype: DType = 'float32'): TensorView {
  return { buffer: be.alloc(sizeOf(shape), dtype), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

function values(v: TensorView): number[] {
  return Array.from(be.readSync(v));
}

const f32 = Math.fround;

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) {
      expect(a, `element ${i}`).toBeNaN();
    } else if (!Number.isFinite(e)) {
      expect(a, `element ${i}`).toBe(e);
    } else if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
    }
  }
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

// ---- data movement ----------------------------------------------------------------------

describe('fill, copy, cast', () => {
  it('fills contiguous and strided outs', () => {
    const out = empty([2, 3]);
    be.fill(out, 2.5);
    expect(values(out)).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    const strided = view([0, 0, 0, 0], [2, 2], 'int32', [1, 4], 1);
    be.fill(strided, 7);
    expect(values(strided)).toEqual([7, 7, 7, 7]);
    const b = empty([3], 'bool');
    be.fill(b, 5);
    expect(values(b)).toEqual([1, 1, 1]);
  });

  it('copies into a strided out with an offset (as cat and pad do)', () => {
    const target = view(new Array(10).fill(0), [2, 5]);
    const x = permutedView([1, 2, 3, 4, 5, 6], [2, 3], [1, 0]);
    // Write x into columns 1..3 of the 2 x 5 target.
    be.copy(x, { ...target, shape: [2, 3], strides: [5, 1], offset: 1 });
    expect(values(target)).toEqual([0, 1, 2, 3, 0, 0, 4, 5, 6, 0]);
    // Broadcast source (stride 0).
    const out = empty([2, 3]);
    be.copy(view([9, 8, 7, 9, 8, 7], [2, 3], 'float32', [0, 1]), out);
    expect(values(out)).toEqual([9, 8, 7, 9, 8, 7]);
  });

  it('casts with truncation toward zero and != 0 for bool', () => {
    const x = view([-2.7, -0.5, 0, 0.5, 2.7, Number.NaN, -0], [7]);
    const asInt = empty([7], 'int32');
    be.cast(x, asInt);
    expect(values(asInt)).toEqual([-2, 0, 0, 0, 2, 0, 0]);
    const asBool = empty([7], 'bool');
    be.cast(x, asBool);
    expect(values(asBool)).toEqual([1, 1, 0, 1, 1, 1, 0]);
    const back = empty([7]);
    be.cast(asBool, back);
    expect(values(back)).toEqual([1, 1, 0, 1, 1, 1, 0]);
    const fromInt = empty([3], 'bool');
    be.cast(view([0, -3, 4], [3], 'int32', [2], 1), fromInt);
    expect(values(fromInt)).toEqual([0, 1, 1]);
  });
});

// ---- elementwise ------------------------------------------------------------------------

function erfSeries(x: number): number {
  // erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms positive.
  let term = x, sum = x;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 3);
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const UNARY_REF: Record<UnaryOp, (v: number) => number> = {
  neg: (v) => -v, abs: Math.abs, sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0), exp: Math.exp, expm1: Math.expm1,
  log: Math.log, log1p: Math.log1p, sqrt: Math.sqrt, rsqrt: (v) => 1 / Math.sqrt(v), reciprocal: (v) => 1 / v,
  sin: Math.sin, cos: Math.cos, tanh: Math.tanh, sigmoid: (v) => 1 / (1 + Math.exp(-v)), relu: (v) => Math.max(v, 0),
  erf: erfSeries, floor: Math.floor, ceil: Math.ceil,
  round: (v) => { const f = Math.floor(v); const d = v - f; return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f; },
  logicalNot: (v) => (v === 0 ? 1 : 0),
};

describe('unary', () => {
  const shape = [3, 4];
  const data = randoms(12, 3, -3, 3);
  const positive = randoms(12, 4, 0.1, 5);
  for (const op of UNARY_OPS) {
    it(`${op}: contiguous and transposed inputs match the reference`, () => {
      const input = ['log', 'sqrt', 'rsqrt', 'log1p'].includes(op) ? positive : data;
      const outDtype: DType = op === 'logicalNot' ? 'bool' : 'float32';
      const expected = input.map((v) => f32(UNARY_REF[op](f32(v))));
      const out = empty(shape, outDtype);
      be.unary(op, view(input, shape), out);
      expectClose(values(out), expected, 1e-6);
      const outT = empty(shape, outDtype);
      be.unary(op, permutedView(input, shape, [1, 0]), outT);
      expectClose(values(outT), expected, 1e-6);
    });
  }

  it('follows PyTorch on special values', () => {
    const run = (op: UnaryOp, xs: number[], dtype: DType = 'float32') => {
      const out = empty([xs.length], dtype);
      be.unary(op, view(xs, [xs.length], dtype), out);
      return values(out);
    };
    expect(run('sign', [0, -0, Number.NaN, -3, 2])).toEqual([0, 0, 0, -1, 1]);
    expect(run('round', [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6])).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
    expect(run('relu', [Number.NaN, -1, 2])).toEqual([Number.NaN, 0, 2]);
    expect(run('sigmoid', [-1000, 1000, 0])).toEqual([0, 1, 0.5]);
    expect(run('erf', [0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN])).toEqual([0, 1, -1, Number.NaN]);
    // int32 stays int32 and wraps like it.
    expect(run('neg', [-2147483648, 5, -7], 'int32')).toEqual([-2147483648, -5, 7]);
    expect(run('abs', [-2147483648, -5], 'int32')).toEqual([-2147483648, 5]);
    expect(run('sign', [-9, 0, 4], 'int32')).toEqual([-1, 0, 1]);
    expect(run('relu', [-9, 0, 4], 'int32')).toEqual([0, 0, 4]);
    const notOut = empty([4], 'bool');
    be.unary('logicalNot', view([0, 1, 0, 1], [4], 'bool'), notOut);
    expect(values(notOut)).toEqual([1, 0, 1, 0]);
  });

  it('erf is accurate far beyond float32 resolution', () => {
    let worst = 0;
    for (let x = -7; x <= 7; x += 0.0137) worst = Math.max(worst, Math.abs(erf(x) - erfSeries(x)));
    expect(worst).toBeLessThan(1e-13);
  });
});

const BINARY_REF: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b), ne: (a, b) => +(a !== b), lt: (a, b) => +(a < b), le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b), ge: (a, b) => +(a >= b),
  logicalAnd: (a, b) => +(a !== 0 && b !== 0), logicalOr: (a, b) => +(a !== 0 || b !== 0),
};
const COMPARISONS: readonly BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'];

describe('binary', () => {
  const shape = [3, 4];
  // Small integers so comparisons see ties; positive bases for pow.
  const a = randoms(12, 5, 0, 4).map((v) => Math.floor(v) + 0.5);
  const bRow = randoms(4, 6, 0, 4).map((v) => Math.floor(v) + 0.5);
  for (const op of BINARY_OPS) {
    it(`${op}: broadcast and transposed operands match the reference`, () => {
      const outDtype: DType = COMPARISONS.includes(op) ? 'bool' : 'float32';
      const expected = a.map((v, i) => f32(BINARY_REF[op](v, bRow[i % 4])));
      // b is a [4] row broadcast over 3 rows (stride 0); a is stored transposed.
      const out = empty(shape, outDtype);
      be.binary(op, permutedView(a, shape, [1, 0]), view(a.map((_, i) => bRow[i % 4]), shape, 'float32', [0, 1]), out);
      expectClose(values(out), expected, 1e-6);
      const out2 = empty(shape, outDtype);
      be.binary(op, view(a, shape), view(a.map((_, i) => bRow[i % 4]), shape), out2);
      expectClose(values(out2), expected, 1e-6);
    });
  }

  it('propagates NaN through maximum/minimum and compares NaN as unequal', () => {
    const run = (op: BinaryOp, x: number[], y: number[], outDtype: DType = 'float32') => {
      const out = empty([x.length], outDtype);
      be.binary(op, view(x, [x.length]), view(y, [y.length]), out);
      return values(out);
    };
    expect(run('maximum', [Number.NaN, 1, 2], [1, Number.NaN, 3])).toEqual([Number.NaN, Number.NaN, 3]);
    expect(run('minimum', [Number.NaN, 1, 2], [1, Number.NaN, 3])).toEqual([Number.NaN, Number.NaN, 2]);
    expect(run('eq', [Number.NaN], [Number.NaN], 'bool')).toEqual([0]);
    expect(run('logicalAnd', [Number.NaN, 0], [1, 1], 'bool')).toEqual([1, 0]);
  });

  it('wraps int32 arithmetic like int32', () => {
    const run = (op: BinaryOp, x: number[], y: number[]) => {
      const out = empty([x.length], 'int32');
      be.binary(op, view(x, [x.length], 'int32'), view(y, [y.length], 'int32'), out);
      return values(out);
    };
    expect(run('add', [2147483647, -2147483648], [1, -1])).toEqual([-2147483648, 2147483647]);
    expect(run('mul', [65536, 123456789, -7], [65536, 987654321, 6])).toEqual([0, Math.imul(123456789, 987654321), -42]);
    expect(run('sub', [-2147483648], [1])).toEqual([2147483647]);
  });

  it('combines bools with logicalOr and logicalAnd', () => {
    const a = view([0, 1, 0, 1], [4], 'bool');
    const b = view([0, 0, 1, 1], [4], 'bool');
    const out = empty([4], 'bool');
    be.binary('logicalOr', a, b, out);
    expect(values(out)).toEqual([0, 1, 1, 1]);
    be.binary('logicalAnd', a, b, out);
    expect(values(out)).toEqual([0, 0, 0, 1]);
  });
});

describe('where', () => {
  it('selects with broadcast condition and operands', () => {
    const cond = view([1, 0, 1, 1, 0, 1], [2, 3], 'bool', [0, 1]);
    const a = permutedView([1, 2, 3, 4, 5, 6], [2, 3], [1, 0]);
    const b = view([-1, -1, -1, -2, -2, -2], [2, 3], 'float32', [1, 0]);
    const out = empty([2, 3]);
    be.where(cond, a, b, out);
    expect(values(out)).toEqual([1, -1, 3, 4, -2, 6]);
  });
});

// ---- reductions -------------------------------------------------------------------------

function naiveReduce(op: ReduceOp, data: readonly number[], shape: readonly number[], axes: readonly number[], intWrap = false): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const start = { sum: 0, prod: 1, max: -Infinity, min: Infinity }[op];
  const acc = new Array<number>(sizeOf(outShape)).fill(start);
  const outStrides = contiguousStrides(outShape);
  data.forEach((v, i) => {
    const idx = unravel(i, shape);
    const o = idx.reduce((s, x, d) => s + (axes.includes(d) ? 0 : x * outStrides[d]), 0);
    if (op === 'sum') acc[o] += v;
    else if (op === 'prod') acc[o] = intWrap ? Math.imul(acc[o], v) : acc[o] * v;
    else if (op === 'max') acc[o] = Number.isNaN(acc[o]) || Number.isNaN(v) ? Number.NaN : Math.max(acc[o], v);
    else acc[o] = Number.isNaN(acc[o]) || Number.isNaN(v) ? Number.NaN : Math.min(acc[o], v);
  });
  return acc;
}

const AXIS_SETS = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];

describe('reduce', () => {
  const shape = [3, 4, 5];
  const data = randoms(60, 7, 0.5, 1.5);
  for (const op of ['sum', 'prod', 'max', 'min'] as const) {
    it(`${op} over every axis subset, contiguous and permuted`, () => {
      for (const axes of AXIS_SETS) {
        const expected = naiveReduce(op, data, shape, axes).map(f32);
        const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        for (const x of [view(data, shape), permutedView(data, shape, [2, 0, 1]), view(data, shape, 'float32', [1, 15, 3], 4)]) {
          const out = empty(outShape);
          be.reduce(op, x, axes, out);
          expectClose(values(out), expected, 1e-5);
        }
      }
    });
  }

  it('propagates NaN through max and min along either layout', () => {
    const data = [1, Number.NaN, 3, 4, 5, 6];
    for (const axes of [[0], [1]]) {
      for (const op of ['max', 'min'] as const) {
        const out = empty(axes[0] === 0 ? [1, 3] : [2, 1]);
        be.reduce(op, view(data, [2, 3]), axes, out);
        expectClose(values(out), naiveReduce(op, data, [2, 3], axes));
      }
    }
  });

  it('max and min find NaN anywhere in a long row, and reduce broadcast (stride-0) rows', () => {
    for (const at of [0, 500, 999]) {
      const row = randoms(1000, at + 3, -2, 2);
      row[at] = Number.NaN;
      for (const op of ['max', 'min'] as const) {
        const out = empty([1]);
        be.reduce(op, view(row, [1000]), [0], out);
        expect(values(out)[0]).toBeNaN();
      }
    }
    // One stored value seen 4 times along the reduced dim, and 0-stride rows among others.
    for (const op of ['max', 'min'] as const) {
      const out = empty([1]);
      be.reduce(op, view([-7.5, -7.5, -7.5, -7.5], [4], 'float32', [0]), [0], out);
      expect(values(out)).toEqual([-7.5]);
      const rows = empty([2, 1]);
      be.reduce(op, view([3, 3, 3, 3, 3, -1, -1, -1, -1, -1], [2, 5], 'float32', [1, 0]), [1], rows);
      expect(values(rows)).toEqual([3, -1]);
    }
  });

  it('keeps int32 sums and products in int32', () => {
    const big = [2147483647, 1, 5, 7];
    const out = empty([1, 1], 'int32');
    be.reduce('sum', view(big, [2, 2], 'int32'), [0, 1], out);
    expect(values(out)).toEqual([(2147483647 + 13) | 0]);
    const prod = empty([1, 2], 'int32');
    be.reduce('prod', view([65536, 3, 65536, 5], [2, 2], 'int32'), [0], prod);
    expect(values(prod)).toEqual([0, 15]);
  });

  it('gives the identity over an empty axis and handles 0-d', () => {
    const out = empty([1, 3]);
    be.reduce('sum', view([], [0, 3]), [0], out);
    expect(values(out)).toEqual([0, 0, 0]);
    be.reduce('prod', view([], [0, 3]), [0], out);
    expect(values(out)).toEqual([1, 1, 1]);
    const scalar = empty([]);
    be.reduce('sum', view([4], []), [], scalar);
    expect(values(scalar)).toEqual([4]);
  });
});

describe('argReduce', () => {
  it('returns the first extreme index along an axis, NaN counting as extreme', () => {
    const data = [3, 1, 3, 0, 2, 2, 0, 5, Number.NaN, 1, 7, 7];
    const shape = [3, 4];
    for (const op of ['argmax', 'argmin'] as const) {
      for (const axis of [0, 1]) {
        const expected: number[] = [];
        const outShape = axis === 0 ? [1, 4] : [3, 1];
        for (let o = 0; o < sizeOf(outShape); o++) {
          let best = -1;
          for (let k = 0; k < shape[axis]; k++) {
            const v = axis === 0 ? data[k * 4 + o] : data[o * 4 + k];
            const bv = best < 0 ? 0 : axis === 0 ? data[best * 4 + o] : data[o * 4 + best];
            if (best >= 0 && Number.isNaN(bv)) break;
            if (best < 0 || Number.isNaN(v) || (op === 'argmax' ? v > bv : v < bv)) best = k;
          }
          expected.push(best);
        }
        for (const x of [view(data, shape), permutedView(data, shape, [1, 0])]) {
          const out = empty(outShape, 'int32');
          be.argReduce(op, x, axis, out);
          expect(values(out), `${op} axis ${axis}`).toEqual(expected);
        }
      }
    }
  });
});

describe('softmax and logSoftmax', () => {
  it('match the definition along each axis and stay finite for large inputs', () => {
    const shape = [3, 4];
    const data = randoms(12, 9, -5, 5).map((v, i) => (i === 5 ? 1000 : v));
    for (const axis of [0, 1]) {
      const expected: number[] = new Array(12);
      const expectedLog: number[] = new Array(12);
      for (let o = 0; o < shape[1 - axis]; o++) {
        const at = (k: number) => (axis === 0 ? k * 4 + o : o * 4 + k);
        const n = shape[axis];
        const xs = Array.from({ length: n }, (_, k) => f32(data[at(k)]));
        const m = Math.max(...xs);
        const z = xs.reduce((s, v) => s + Math.exp(v - m), 0);
        xs.forEach((v, k) => {
          expected[at(k)] = Math.exp(v - m) / z;
          expectedLog[at(k)] = v - m - Math.log(z);
        });
      }
      for (const x of [view(data, shape), permutedView(data, shape, [1, 0])]) {
        const out = empty(shape);
        be.softmax(x, axis, out);
        expectClose(values(out), expected, 1e-6);
        const outLog = empty(shape);
        be.logSoftmax(x, axis, outLog);
        expectClose(values(outLog), expectedLog, 1e-5);
      }
    }
  });
});

// ---- matmul -----------------------------------------------------------------------------

function naiveMatmul(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    c[i * n + j] = s;
  }
  return c;
}

describe('matmul', () => {
  const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [65, 33, 17], [70, 300, 45], [129, 67, 260], [0, 3, 2], [2, 0, 3]];
  for (const [m, k, n] of sizes) {
    it(`${m}x${k} by ${k}x${n}, contiguous and transposed operands`, () => {
      const a = randoms(m * k, m + 1).map(f32);
      const b = randoms(k * n, n + 2).map(f32);
      const expected = naiveMatmul(a, b, m, k, n);
      const cases: [TensorView, TensorView][] = [
        [view(a, [m, k]), view(b, [k, n])],
        [permutedView(a, [m, k], [1, 0]), permutedView(b, [k, n], [1, 0])],
        [view(a, [m, k], 'float32', [k + 3, 1], 2), permutedView(b, [k, n], [1, 0])],
      ];
      for (const [av, bv] of cases) {
        const out = empty([m, n]);
        be.matmul(av, bv, out);
        expectClose(values(out), expected, 1e-5);
      }
    });
  }

  it('batches, with a broadcast (stride 0) batch dim', () => {
    const [batch, m, k, n] = [3, 40, 37, 45];
    const a = randoms(batch * m * k, 11).map(f32);
    const b = randoms(k * n, 12).map(f32);
    const expected = Array.from({ length: batch }, (_, i) => naiveMatmul(a.slice(i * m * k, (i + 1) * m * k), b, m, k, n)).flat();
    const bView = view(Array.from({ length: batch }, () => b).flat(), [batch, k, n], 'float32', [0, n, 1]);
    const out = empty([batch, m, n]);
    be.matmul(view(a, [batch, m, k]), bView, out);
    expectClose(values(out), expected, 1e-5);
  });

  it('multiplies int32 exactly with wrap-around', () => {
    const out = empty([1, 1], 'int32');
    be.matmul(view([65536, 2], [1, 2], 'int32'), view([65536, 3], [2, 1], 'int32'), out);
    expect(values(out)).toEqual([6]);
  });
});

// ---- convolution ------------------------------------------------------------------------

interface ConvCase { n: number; c: number; h: number; w: number; o: number; kh: number; kw: number; params: Conv2dParams }

function outSize(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

function naiveConv(x: readonly number[], w: readonly number[], cc: ConvCase): number[] {
  const { n: N, c: C, h: H, w: W, o: O, kh: KH, kw: KW, params } = cc;
  const G = params.groups, Cg = C / G, Og = O / G;
  const oH = outSize(H, KH, params.stride[0], params.padding[0], params.dilation[0]);
  const oW = outSize(W, KW, params.stride[1], params.padding[1], params.dilation[1]);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < oH; oh++) for (let ow = 0; ow < oW; ow++) {
    let s = 0;
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * params.stride[0] - params.padding[0] + kh * params.dilation[0];
      const iw = ow * params.stride[1] - params.padding[1] + kw * params.dilation[1];
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      s += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * KH + kh) * KW + kw];
    }
    out.push(s);
  }
  return out;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

const CONV_CASES: ConvCase[] = [
  { n: 2, c: 3, h: 7, w: 6, o: 4, kh: 3, kw: 3, params: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { n: 2, c: 3, h: 9, w: 8, o: 2, kh: 3, kw: 2, params: { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { n: 1, c: 2, h: 6, w: 7, o: 3, kh: 3, kw: 3, params: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
  { n: 1, c: 2, h: 9, w: 9, o: 2, kh: 3, kw: 3, params: { stride: [1, 2], padding: [2, 1], dilation: [2, 2], groups: 1 } },
  { n: 2, c: 4, h: 6, w: 5, o: 6, kh: 3, kw: 1, params: { stride: [2, 1], padding: [1, 0], dilation: [1, 1], groups: 2 } },
  { n: 2, c: 6, h: 5, w: 5, o: 4, kh: 1, kw: 1, params: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 } },
  { n: 2, c: 16, h: 12, w: 12, o: 32, kh: 3, kw: 3, params: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
];

describe('conv2d', () => {
  for (const cc of CONV_CASES) {
    const { stride, padding, dilation, groups } = cc.params;
    const label = `${cc.kh}x${cc.kw} stride ${stride} padding ${padding} dilation ${dilation} groups ${groups}`;
    const xShape = [cc.n, cc.c, cc.h, cc.w];
    const wShape = [cc.o, cc.c / groups, cc.kh, cc.kw];
    const oShape = [
      cc.n, cc.o,
      outSize(cc.h, cc.kh, stride[0], padding[0], dilation[0]),
      outSize(cc.w, cc.kw, stride[1], padding[1], dilation[1]),
    ];
    const x = randoms(sizeOf(xShape), 21).map(f32);
    const w = randoms(sizeOf(wShape), 22).map(f32);

    it(`forward ${label} matches the 7-loop reference (contiguous and NHWC-strided input)`, () => {
      const expected = naiveConv(x, w, cc);
      for (const xv of [view(x, xShape), permutedView(x, xShape, [0, 2, 3, 1])]) {
        for (const wv of [view(w, wShape), permutedView(w, wShape, [2, 3, 1, 0])]) {
          const out = empty(oShape);
          be.conv2d(xv, wv, out, cc.params);
          expectClose(values(out), expected, 1e-5);
        }
      }
    });

    it(`backward ${label} kernels are the adjoints of forward`, () => {
      const dy = randoms(sizeOf(oShape), 23).map(f32);
      const y = empty(oShape);
      be.conv2d(view(x, xShape), view(w, wShape), y, cc.params);
      const dx = empty(xShape);
      be.conv2dBackwardInput(permutedView(dy, oShape, [0, 2, 3, 1]), view(w, wShape), dx, cc.params);
      const dw = empty(wShape);
      be.conv2dBackwardWeight(permutedView(x, xShape, [0, 2, 3, 1]), view(dy, oShape), dw, cc.params);
      // <conv(x, w), dy> = <x, dconv/dx^T dy> = <w, dconv/dw^T dy>: conv is bilinear.
      const reference = dot(values(y), dy);
      const tol = 1e-4 * Math.max(1, Math.abs(reference));
      expect(Math.abs(dot(x, values(dx)) - reference)).toBeLessThan(tol);
      expect(Math.abs(dot(w, values(dw)) - reference)).toBeLessThan(tol);
    });
  }
});

// ---- pooling ----------------------------------------------------------------------------

function naivePool(op: 'max' | 'avg', x: readonly number[], shape: readonly number[], p: Pool2dParams): { out: number[]; argmax: number[] } {
  const [N, C, H, W] = shape;
  const oH = outSize(H, p.kernelSize[0], p.stride[0], p.padding[0], p.dilation[0]);
  const oW = outSize(W, p.kernelSize[1], p.stride[1], p.padding[1], p.dilation[1]);
  const out: number[] = [], argmax: number[] = [];
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < oH; oh++) for (let ow = 0; ow < oW; ow++) {
    let best = -Infinity, bestAt = -1, sum = 0, count = 0;
    for (let i = 0; i < p.kernelSize[0]; i++) for (let j = 0; j < p.kernelSize[1]; j++) {
      const ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
      const iw = ow * p.stride[1] - p.padding[1] + j * p.dilation[1];
      const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
      const inPad = ih >= -p.padding[0] && ih < H + p.padding[0] && iw >= -p.padding[1] && iw < W + p.padding[1];
      if (inside) {
        const at = (nc * H + ih) * W + iw;
        if (bestAt < 0 || x[at] > best) [best, bestAt] = [x[at], at];
        sum += x[at];
      }
      if (p.countIncludePad ? inPad : inside) count++;
    }
    out.push(op === 'max' ? best : sum / count);
    argmax.push(bestAt);
  }
  return { out, argmax };
}

describe('pool2d', () => {
  const shape = [2, 3, 7, 6];
  // Coarse values so windows have ties, which must resolve to the first maximum.
  const x = randoms(sizeOf(shape), 31, 0, 4).map(Math.floor);
  const cases: Pool2dParams[] = [
    { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], countIncludePad: true },
    { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1], countIncludePad: true },
    { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], countIncludePad: false },
    { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], dilation: [2, 2], countIncludePad: true },
  ];
  for (const p of cases) {
    const label = `k ${p.kernelSize} s ${p.stride} p ${p.padding} d ${p.dilation} includePad ${p.countIncludePad}`;
    const oShape = [2, 3, outSize(7, p.kernelSize[0], p.stride[0], p.padding[0], p.dilation[0]), outSize(6, p.kernelSize[1], p.stride[1], p.padding[1], p.dilation[1])];
    for (const op of ['max', 'avg'] as const) {
      it(`${op} ${label}: forward and backward match the reference`, () => {
        const ref = naivePool(op, x, shape, p);
        for (const xv of [view(x, shape), permutedView(x, shape, [3, 1, 0, 2])]) {
          const out = empty(oShape);
          be.pool2d(op, xv, out, p);
          expectClose(values(out), ref.out, 1e-6);
          const dy = randoms(sizeOf(oShape), 32).map(f32);
          const dx = empty(shape);
          be.pool2dBackward(op, xv, permutedView(dy, oShape, [1, 0, 2, 3]), dx, p);
          if (op === 'max') {
            const expected = new Array<number>(x.length).fill(0);
            ref.argmax.forEach((at, i) => (expected[at] = f32(expected[at] + dy[i])));
            expectClose(values(dx), expected, 1e-6);
          } else {
            // Average pooling is linear: its backward is its adjoint.
            expect(Math.abs(dot(x, values(dx)) - dot(ref.out, dy))).toBeLessThan(1e-3);
          }
        }
      });
    }
  }
});

// ---- indexing ---------------------------------------------------------------------------

describe('gather and scatterAdd', () => {
  it('gather picks along a dim, with strided x and index', () => {
    const x = [10, 11, 12, 20, 21, 22]; // [2, 3]
    const index = [2, 0, 1, 1]; // [2, 2], along dim 1
    const out = empty([2, 2]);
    be.gather(permutedView(x, [2, 3], [1, 0]), 1, permutedView(index, [2, 2], [1, 0], 'int32'), out);
    expect(values(out)).toEqual([12, 10, 21, 21]);
    const out0 = empty([1, 3]);
    be.gather(view(x, [2, 3]), 0, view([1, 0, 1], [1, 3], 'int32'), out0);
    expect(values(out0)).toEqual([20, 11, 22]);
  });

  it('scatterAdd accumulates repeated indices', () => {
    const out = view([1, 1, 1, 1, 1, 1], [2, 3]);
    const index = view([0, 0, 2, 1, 1, 1], [2, 3], 'int32');
    const src = view([1, 2, 3, 4, 5, 6], [2, 3], 'float32', [1, 2]); // transposed storage
    be.scatterAdd(1, index, src, out);
    // row 0: src 1, 2 land on column 0 and 3 on column 2; row 1: 4, 5, 6 all on column 1.
    expect(values(out)).toEqual([4, 1, 4, 1, 16, 1]);
    const out0 = empty([3], 'int32');
    be.fill(out0, 0);
    be.scatterAdd(0, view([2, 2, 0], [3], 'int32'), view([5, 6, 7], [3], 'int32'), out0);
    expect(values(out0)).toEqual([7, 0, 11]);
  });
});

// ---- random -----------------------------------------------------------------------------

describe('random', () => {
  it('fills with core\'s counter-based draws, in row-major order from the key offset', () => {
    for (const distribution of ['uniform', 'normal'] as const) {
      const out = empty([3, 5]);
      be.random(distribution, { seed: 42, offset: 100 }, out);
      expect(values(out)).toEqual(Array.from({ length: 15 }, (_, i) => f32(randomElement(distribution, 42, 100 + i))));
    }
  });

  it('draws plausible distributions', () => {
    const n = 20000;
    const u = empty([n]);
    be.random('uniform', { seed: 7, offset: 0 }, u);
    const us = values(u);
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...us)).toBeLessThan(1);
    expect(Math.abs(us.reduce((s, v) => s + v, 0) / n - 0.5)).toBeLessThan(0.01);
    const g = empty([n]);
    be.random('normal', { seed: 7, offset: 0 }, g);
    const gs = values(g);
    const mean = gs.reduce((s, v) => s + v, 0) / n;
    const variance = gs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
