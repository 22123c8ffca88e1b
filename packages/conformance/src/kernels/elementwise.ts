/**
 * The elementwise kernels (unary, binary, where, cast, copy, fill) of the backend under
 * test, against the op table's reference functions: every op the backend runs as a kernel
 * (each primitive, and each composite it lists in `accelerates`), in every dtype the op's
 * rules send to the kernel, on contiguous, transposed, sliced, broadcast, 0-d and long views.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import { CONTIGUOUS, expectNear, kernelTest, stored, transposed, Views, type Layout } from './views.js';

/** Relative error allowed for float16 results: one half ulp, for the f32 result rounded once. */
const HALF_RTOL = 1e-3;
const DEFAULT_RTOL = 2e-6;

/** The relative error allowed for results of `dtype`: none for integers and bools. */
function tolerance(dtype: tl.DType, op: number | undefined): number {
  return dtype === 'float16' ? HALF_RTOL : dtype === 'float32' ? (op ?? DEFAULT_RTOL) : 0;
}

/** Float inputs in an op's domain, rounded to what `dtype` holds. */
function floats(n: number, seed: number, domain: readonly [number, number], dtype: tl.DType): number[] {
  return randoms(n, seed, domain[0], domain[1]).map((v) => stored(v, dtype));
}

/** int32 inputs: small values both signs, and the extremes that wrap. */
function ints(n: number, seed: number): number[] {
  const out = randoms(n, seed, -50, 50).map(Math.trunc);
  out[0] = -2147483648;
  if (n > 1) out[1] = 2147483647;
  return out;
}

function bools(n: number, seed: number): number[] {
  return randoms(n, seed, 0, 2).map(Math.floor);
}

/** The layouts each elementwise op is run on, with the shape each is used with. */
const SHAPES: { name: string; shape: number[]; layout: Layout }[] = [
  { name: 'contiguous', shape: [3, 4], layout: CONTIGUOUS },
  { name: 'transposed', shape: [3, 4], layout: transposed(2) },
  // Every other column of a [3, 9] storage, from element 1: a slice with an offset.
  { name: 'sliced', shape: [3, 4], layout: { kind: 'strided', strides: [9, 2], offset: 1 } },
  { name: '0-d', shape: [], layout: CONTIGUOUS },
  // Long enough for SIMD tails and packed GPU paths (1027 = 4 * 256 + 3).
  { name: 'long', shape: [1027], layout: CONTIGUOUS },
  { name: '3-d permuted', shape: [2, 3, 5], layout: { kind: 'permuted', perm: [2, 0, 1] } },
];

/** Special float values every kernel must treat as the reference does. */
const SPECIALS = [Number.NaN, Infinity, -Infinity, 0, -0];

/**
 * Register the elementwise kernel cases for `backend` (ready at registration): only ops it
 * runs as kernels, in dtypes it holds, so every registered case asserts something.
 */
export function elementwiseKernelTests(suite: Suite, backend: tl.Backend): void {
  const test = kernelTest(suite, backend);
  const holds = (dtype: tl.DType) => new Views(backend).supports(dtype);
  /** Whether the backend runs `op` as a kernel (primitives always; composites when listed). */
  const runsKernel = (family: 'unary' | 'binary', op: string): boolean => {
    const facts = family === 'unary' ? tl.unaryFacts(op as tl.UnaryOp) : tl.binaryFacts(op as tl.BinaryOp);
    return !facts.composite || (backend.accelerates[family] as readonly string[]).includes(op);
  };

  describe('kernels: unary', () => {
    for (const op of tl.UNARY_OPS.filter((o) => runsKernel('unary', o))) {
      const facts = tl.unaryFacts(op);
      for (const dtype of tl.kernelDTypes(facts).filter(holds)) {
        test(`unary ${op} ${dtype}`, async (v) => {
          const outDtype = tl.resultDType(facts.kind, dtype);
          const rtol = tolerance(outDtype, facts.tolerance);
          const ref = dtype === 'int32' ? (facts.intReference ?? ((x: number) => facts.reference(x) | 0)) : dtype === 'bool' ? (facts.boolReference ?? facts.reference) : facts.reference;
          for (const [k, { name, shape, layout }] of SHAPES.entries()) {
            const n = tl.sizeOf(shape);
            const xs = dtype === 'int32' ? ints(n, 11 + k) : dtype === 'bool' ? bools(n, 11 + k) : floats(n, 11 + k, facts.domain ?? [-3, 3], dtype);
            const expected = xs.map((x) => stored(ref(x), outDtype));
            const out = v.empty(shape, outDtype);
            v.backend.unary(op, v.make(xs, shape, dtype, layout), out);
            expectNear(await v.read(out), expected, rtol, `${op} ${dtype} ${name}`);
          }
          if (dtype === 'float32' || dtype === 'float16') {
            const out = v.empty([SPECIALS.length], outDtype);
            v.backend.unary(op, v.make(SPECIALS, [SPECIALS.length], dtype), out);
            expectNear(await v.read(out), SPECIALS.map((x) => stored(facts.reference(x), outDtype)), rtol, `${op} ${dtype} on NaN, ±Infinity, ±0`);
          }
        });
      }
    }
  });

  describe('kernels: binary', () => {
    for (const op of tl.BINARY_OPS.filter((o) => runsKernel('binary', o))) {
      const facts = tl.binaryFacts(op);
      for (const dtype of tl.kernelDTypes(facts).filter(holds)) {
        test(`binary ${op} ${dtype}`, async (v) => {
          const outDtype = tl.resultDType(facts.kind, dtype);
          const rtol = tolerance(outDtype, facts.tolerance);
          const ref = dtype === 'int32' ? (facts.intReference ?? ((a: number, b: number) => facts.reference(a, b) | 0)) : facts.reference;
          const draw = (n: number, seed: number, exponent: boolean): number[] => {
            if (dtype === 'bool') return bools(n, seed);
            if (dtype === 'int32') return op === 'pow' ? randoms(n, seed, exponent ? 0 : -5, exponent ? 12 : 5).map(Math.trunc) : ints(n, seed);
            if (op === 'pow' && exponent) return floats(n, seed, [-3, 3], dtype);
            // Half-integers on a coarse grid, so comparisons meet ties.
            const [lo, hi] = facts.domain ?? [-3, 3];
            return randoms(n, seed, lo, hi).map((x) => stored(facts.domain ? x : Math.round(x) + 0.5, dtype));
          };
          for (const [k, { name, shape, layout }] of SHAPES.entries()) {
            const n = tl.sizeOf(shape);
            const as = draw(n, 21 + k, false);
            const bs = draw(n, 31 + k, true);
            if (op === 'pow' && dtype === 'int32' && n >= 3) {
              // Powers past 2^31 wrap, as PyTorch's int32 pow: exact integer arithmetic, not a float pow.
              as.splice(0, 3, 3, -3, 7);
              bs.splice(0, 3, 40, 21, 13);
            }
            const expected = as.map((a, i) => stored(ref(a, bs[i]), outDtype));
            const out = v.empty(shape, outDtype);
            v.backend.binary(op, v.make(as, shape, dtype, layout), v.make(bs, shape, dtype, CONTIGUOUS), out);
            expectNear(await v.read(out), expected, rtol, `${op} ${dtype} ${name}`);
          }
          // b broadcast along rows (stride 0), a transposed; and a single value against a line.
          const bRow = draw(4, 41, true);
          const as = draw(12, 42, false);
          const bFull = as.map((_, i) => bRow[i % 4]);
          const out = v.empty([3, 4], outDtype);
          v.backend.binary(op, v.make(as, [3, 4], dtype, transposed(2)), v.make(bFull, [3, 4], dtype, { kind: 'strided', strides: [0, 1], offset: 0 }), out);
          expectNear(await v.read(out), as.map((a, i) => stored(ref(a, bFull[i]), outDtype)), rtol, `${op} ${dtype} broadcast row`);
          const line = draw(1027, 43, false);
          const single = draw(1, 44, true)[0];
          const outLine = v.empty([1027], outDtype);
          v.backend.binary(op, v.make(line, [1027], dtype), v.make(line.map(() => single), [1027], dtype, { kind: 'strided', strides: [0], offset: 0 }), outLine);
          expectNear(await v.read(outLine), line.map((a) => stored(ref(a, single), outDtype)), rtol, `${op} ${dtype} against a broadcast scalar`);
          if (dtype === 'float32' || dtype === 'float16') {
            const xs = SPECIALS.flatMap((a) => SPECIALS.map(() => a));
            const ys = SPECIALS.flatMap(() => SPECIALS);
            const outS = v.empty([xs.length], outDtype);
            v.backend.binary(op, v.make(xs, [xs.length], dtype), v.make(ys, [ys.length], dtype), outS);
            expectNear(await v.read(outS), xs.map((a, i) => stored(facts.reference(a, ys[i]), outDtype)), rtol, `${op} ${dtype} on NaN, ±Infinity, ±0 pairs`);
          }
        });
      }
    }
  });

  describe('kernels: where, fill, copy, cast', () => {
    for (const dtype of tl.DTYPES.filter(holds)) {
      test(`where ${dtype}, with a broadcast condition and operands`, async (v) => {
        const cond = v.make([1, 0, 1, 1, 0, 1], [2, 3], 'bool', { kind: 'strided', strides: [0, 1], offset: 0 });
        // bool picks ones from a and zeros from b, so the result shows the condition.
        const aValues = dtype === 'bool' ? [1, 1, 1, 1, 1, 1] : [1, 2, 3, 4, 5, 6];
        const bValues = dtype === 'bool' ? [0, 0, 0, 0, 0, 0] : [-1, -1, -1, -2, -2, -2];
        const a = v.make(aValues, [2, 3], dtype, transposed(2));
        const b = v.make(bValues, [2, 3], dtype, { kind: 'strided', strides: [1, 0], offset: 0 });
        const out = v.empty([2, 3], dtype);
        v.backend.where(cond, a, b, out);
        const expected = [1, 0, 1, 1, 0, 1].map((c, i) => (c ? aValues[i] : bValues[i]));
        expect(await v.read(out)).toEqual(expected);
      });

      test(`fill ${dtype}, contiguous and strided`, async (v) => {
        const out = v.empty([2, 3], dtype);
        v.backend.fill(out, 2.5);
        expect(await v.read(out)).toEqual(new Array(6).fill(stored(2.5, dtype)));
        // Every other element of a [2, 4] storage: the gaps keep the sentinel.
        const strided = v.make([0, 0, 0, 0], [2, 2], dtype, { kind: 'strided', strides: [4, 2], offset: 1 });
        v.backend.fill(strided, -7);
        expect(await v.read(strided)).toEqual(new Array(4).fill(stored(-7, dtype)));
        const sentinel = dtype === 'bool' ? 1 : 77;
        const s = stored(-7, dtype);
        expect(await v.storage(strided, 8)).toEqual([sentinel, s, sentinel, s, sentinel, s, sentinel, s]);
      });

      test(`copy ${dtype} into a strided out with an offset (as cat and pad write)`, async (v) => {
        // bool copies see 0/1 patterns, the rest small integers.
        const values = dtype === 'bool' ? [1, 0, 1, 1, 1, 0] : [1, 2, 3, 4, 5, 6];
        const target = v.make(new Array(10).fill(0), [2, 5], dtype);
        const x = v.make(values.map((e) => stored(e, dtype)), [2, 3], dtype, transposed(2));
        v.backend.copy(x, { ...target, shape: [2, 3], strides: [5, 1], offset: 1 });
        expect(await v.read(target)).toEqual([0, ...values.slice(0, 3), 0, 0, ...values.slice(3), 0]);
        const row = dtype === 'bool' ? [1, 0, 1] : [9, 8, 7];
        const out = v.empty([2, 3], dtype);
        v.backend.copy(v.make([...row, ...row], [2, 3], dtype, { kind: 'strided', strides: [0, 1], offset: 0 }), out);
        expect(await v.read(out)).toEqual([...row, ...row]);
      });

      for (const to of tl.DTYPES.filter((d) => d !== dtype && holds(d))) {
        test(`cast ${dtype} to ${to}: truncation toward zero, != 0 for bool`, async (v) => {
          const source = dtype === 'bool' ? [1, 0, 1, 1, 0] : dtype === 'int32' ? [-3, 0, 4, 70000, -1] : [-2.7, -0.5, 0, 0.5, 2.7, Number.NaN, -0];
          const xs = source.map((e) => stored(e, dtype));
          const out = v.empty([xs.length], to);
          v.backend.cast(v.make(xs, [xs.length], dtype, { kind: 'strided', strides: [2], offset: 1 }), out);
          // int32 of NaN is unspecified in PyTorch; the contract takes it as 0 (a truncation of nothing).
          const expected = xs.map((e) => (to === 'bool' ? +(e !== 0) : to === 'int32' ? (Number.isNaN(e) ? 0 : Math.trunc(e)) : stored(e, to)));
          expectNear(await v.read(out), expected, 0, `cast ${dtype} -> ${to}`);
        });
      }
    }
  });
}
