/**
 * Kernel tests of the wasm backend against the cpu backend (the reference), run directly on
 * views: random data, contiguous, transposed, sliced and broadcast inputs, one and two
 * threads for the parallel kernels.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  BINARY_OPS, contiguousStrides, randomElement, sizeOf, UNARY_OPS,
  type Backend, type BinaryOp, type Conv2dParams, type DType, type Pool2dParams, type TensorView, type TypedArrayFor, type UnaryOp,
} from '@tensile/core';
import { CpuBackend } from '@tensile/backend-cpu';
import { WasmBackend } from '../src/wasm-backend.js';
import { detectRelaxedSimd, loadModule } from '../src/loader.js';

const cpu = new CpuBackend();
const relaxed = await detectRelaxedSimd();
const wasm = await WasmBackend.create(await loadModule(relaxed ? 'relaxed' : 'simd'), relaxed ? 'relaxed' : 'simd', { threads: 2 });
const plain = await WasmBackend.create(await loadModule('simd'), 'simd', { threads: 1 });
const threadsReady = await wasm.startThreads();
afterAll(() => {
  wasm.terminateWorkers();
  plain.terminateWorkers();
});

function randoms(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((s >>> 8) / 16777216) * (hi - lo));
  }
  return out;
}

const ARRAYS = { float32: Float32Array, float16: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/** The same storage on one backend: `storage` values, viewed with shape/strides/offset. */
function on(be: Backend, storage: readonly number[], dtype: DType, shape: readonly number[], strides?: readonly number[], offset = 0): TensorView {
  const buffer = be.alloc(storage.length, dtype);
  be.write(buffer, ARRAYS[dtype].from(storage) as TypedArrayFor<DType>);
  return { buffer, dtype, shape, strides: strides ?? contiguousStrides(shape), offset };
}

function out(be: Backend, dtype: DType, shape: readonly number[]): TensorView {
  const buffer = be.alloc(sizeOf(shape), dtype);
  be.write(buffer, ARRAYS[dtype].from(new Array<number>(sizeOf(shape)).fill(dtype === 'bool' ? 1 : 123)) as TypedArrayFor<DType>);
  return { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

function read(be: Backend, v: TensorView): number[] {
  return Array.from(be.readSync!(v));
}

function expectClose(actual: number[], expected: number[], rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `element ${i}: expected NaN, got ${a}`).toBe(true);
      continue;
    }
    if (a === e) continue;
    expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  }
}

interface Case {
  storage: number[];
  shape: number[];
  strides?: number[];
  offset?: number;
}

/** A few layouts of one logical shape [3, 5, 4] (or whatever `shape` is). */
function layouts(shape: number[], seed: number, lo = -2, hi = 2): Case[] {
  const n = sizeOf(shape);
  const contiguous = { storage: randoms(n, seed, lo, hi), shape };
  // Transposed storage: last two dims swapped.
  const r = shape.length;
  const tShape = [...shape.slice(0, -2), shape[r - 1], shape[r - 2]];
  const tStrides = contiguousStrides(tShape);
  const transposed = { storage: randoms(n, seed + 1, lo, hi), shape, strides: [...tStrides.slice(0, -2), tStrides[r - 1], tStrides[r - 2]] };
  // A slice with an offset: every other element of a longer last dim.
  const sShape = [...shape.slice(0, -1), shape[r - 1] * 2 + 1];
  const sStrides = contiguousStrides(sShape);
  const sliced = { storage: randoms(sizeOf(sShape), seed + 2, lo, hi), shape, strides: [...sStrides.slice(0, -1), 2], offset: 1 };
  return [contiguous, transposed, sliced];
}

describe('threads', () => {
  it('runs the parallel kernels on two threads', () => {
    expect(threadsReady).toBe(2);
  });
});

describe('memory', () => {
  it('reuses freed blocks and reports live bytes', () => {
    const before = wasm.memoryInfo();
    const a = wasm.alloc(1000, 'float32');
    wasm.free(a);
    const b = wasm.alloc(1000, 'float32');
    expect((b as unknown as { ptr: number }).ptr).toBe((a as unknown as { ptr: number }).ptr);
    expect(wasm.memoryInfo().buffers).toBe(before.buffers + 1);
    wasm.free(b);
    expect(() => wasm.free(b)).toThrow(/freed/);
  });

  it('reads back arrays of 32 MiB and more (faulted in and copied chunk by chunk) exactly', () => {
    const n = (1 << 23) + 12345;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = i * 0.5 - 7;
    const buffer = wasm.alloc(n, 'float32');
    wasm.write(buffer, data);
    const back = wasm.readSync({ buffer, dtype: 'float32', shape: [n], strides: [1], offset: 0 });
    wasm.free(buffer);
    expect(back).toBeInstanceOf(Float32Array);
    expect(back.buffer).toBeInstanceOf(ArrayBuffer);
    let first = -1;
    for (let i = 0; i < n && first < 0; i++) if (back[i] !== data[i]) first = i;
    expect(back.length).toBe(n);
    expect(first).toBe(-1);
  });

  it('grows memory and names the request when 4 GiB is exceeded', () => {
    const big = wasm.alloc(64 * 1024 * 1024, 'float32'); // 256 MiB: forces growth
    const data = new Float32Array(16).fill(3);
    wasm.write(big, data);
    expect(Array.from(wasm.readSync({ buffer: big, dtype: 'float32', shape: [16], strides: [1], offset: 0 }))).toEqual(Array.from(data));
    wasm.free(big);
    expect(() => wasm.alloc(2 ** 31, 'float32')).toThrow(/2147483648 float32.*4 GiB/);
  });
});

describe('elementwise', () => {
  for (const op of UNARY_OPS) {
    it(`unary ${op}`, () => {
      for (const c of layouts([3, 5, 7], 11)) {
        const lo = ['log', 'sqrt', 'rsqrt', 'log1p'].includes(op) ? 0.01 : -3;
        const storage = randoms(c.storage.length, 3, lo, 3);
        if (op === 'round') storage[c.offset ?? 0] = 2.5;
        const outDtype = op === 'logicalNot' ? 'bool' : 'float32';
        const res = [cpu, wasm].map((be) => {
          const o = out(be, outDtype, c.shape);
          be.unary(op, on(be, storage, 'float32', c.shape, c.strides, c.offset), o);
          return read(be, o);
        });
        expectClose(res[1], res[0], 1e-6, 1e-7);
      }
    });
  }

  /**
   * `op` on both builds against its float64 reference: within `rtol` (less one subnormal step)
   * everywhere, below `worst` over normal results; NaN, overflow (and zeros, when
   * `exactZeros`) exactly as the rounded reference.
   */
  function expectNearFloat64(
    op: string, ref: (x: number) => number, inputs: number[], bounds: { rtol: number; worst: number; exactZeros: boolean },
  ): void {
    for (const be of [wasm, plain]) {
      const o = out(be, 'float32', [inputs.length]);
      be.unary(op as UnaryOp, on(be, inputs, 'float32', [inputs.length]), o);
      const got = read(be, o);
      let worst = 0;
      for (let i = 0; i < inputs.length; i++) {
        const want = ref(inputs[i]), g = got[i];
        const what = `${op}(${inputs[i]}) = ${g}, want ${want}`;
        const rounded = Math.fround(want);
        if (Number.isNaN(want) || !Number.isFinite(rounded) || (bounds.exactZeros && want === 0)) {
          expect(Object.is(g, rounded), what).toBe(true);
        } else {
          expect(Math.abs(g - want), what).toBeLessThanOrEqual(bounds.rtol * Math.abs(want) + 2 ** -149);
          if (Math.abs(want) >= 2 ** -126) worst = Math.max(worst, Math.abs(g - want) / Math.abs(want));
        }
      }
      expect(worst, `${op}: max relative error over normal results`).toBeLessThan(bounds.worst);
    }
  }

  describe('vector exp, sigmoid and tanh against float64', () => {
    const sigmoid64 = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
    const REFERENCES = { exp: Math.exp, sigmoid: sigmoid64, tanh: Math.tanh } as const;
    /** Float32 inputs over the whole range: a fine sweep across exp's limits, ±2^-149..2^7, specials. */
    const inputs = (() => {
      const v: number[] = [0, -0, Infinity, -Infinity, NaN, 88.72283, 88.72284, -87.33654, -87.33655, -103.27893, -103.97208, 1e-45, -1e-45, 1e-40];
      for (let x = -110; x <= 95; x += 1 / 64 + 1e-4) v.push(x);
      for (let e = -149; e <= 7; e += 1 / 16) v.push(2 ** e, -(2 ** e));
      while (v.length % 4) v.push(0.5); // all in v128 lanes (tails take the scalar f64 path)
      return Array.from(Float32Array.from(v));
    })();

    for (const [op, ref] of Object.entries(REFERENCES)) {
      it(`${op}: relative error below 4e-7 over the whole float32 range`, () => {
        // measured 1.4e-7 to 2.5e-7 over normal results
        expectNearFloat64(op, ref, inputs, { rtol: 4e-7, worst: 3e-7, exactZeros: false });
      });
    }
  });

  describe('vector log, log1p and expm1 against float64', () => {
    const REFERENCES = { log: Math.log, log1p: Math.log1p, expm1: Math.expm1 } as const;
    /** Float32 inputs over the whole range: ±2^-149..2^127, sweeps near 1 and -1, near 0 and across expm1's limits, specials. */
    const inputs = (() => {
      const v: number[] = [0, -0, Infinity, -Infinity, NaN, 1, -1, -2, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 88.72283, 88.72284, -17.33, -104, 89];
      for (let x = -110; x <= 95; x += 1 / 64 + 1e-4) v.push(x);
      for (let e = -149; e <= 127.9; e += 1 / 16) v.push(2 ** e, -(2 ** e));
      for (let i = -2000; i <= 2000; i++) v.push(1 + i * 2 ** -22, -1 + Math.abs(i) * 2 ** -20, i * 2e-4, i * 1e-9);
      while (v.length % 4) v.push(0.5); // all in v128 lanes
      return Array.from(Float32Array.from(v));
    })();

    for (const [op, ref] of Object.entries(REFERENCES)) {
      it(`${op}: relative error below 2e-7 over the whole float32 range, specials as PyTorch`, () => {
        // measured 7.6e-8 to 1.1e-7 over normal results
        expectNearFloat64(op, ref, inputs, { rtol: 2e-7, worst: 1.5e-7, exactZeros: true });
      });
    }

    it('PyTorch special values', () => {
      const cases: [string, number, number][] = [
        ['log', 0, -Infinity], ['log', -0, -Infinity], ['log', -1, NaN], ['log', -Infinity, NaN], ['log', Infinity, Infinity], ['log', NaN, NaN], ['log', 1, 0],
        ['log1p', -1, -Infinity], ['log1p', -1.5, NaN], ['log1p', -0, -0], ['log1p', 1e-30, 1e-30], ['log1p', Infinity, Infinity], ['log1p', NaN, NaN],
        ['expm1', 100, Infinity], ['expm1', Infinity, Infinity], ['expm1', -100, -1], ['expm1', -Infinity, -1], ['expm1', -0, -0], ['expm1', 1e-30, 1e-30], ['expm1', NaN, NaN],
      ];
      for (const be of [wasm, plain]) {
        for (const [op, x, want] of cases) {
          // Five copies: four in a v128 loop, one in the scalar tail.
          const o = out(be, 'float32', [5]);
          be.unary(op as 'log', on(be, [x, x, x, x, x], 'float32', [5]), o);
          for (const g of read(be, o)) expect(Object.is(g, Math.fround(want)), `${op}(${x}) = ${g}, want ${want}`).toBe(true);
        }
      }
    });
  });

  for (const op of BINARY_OPS) {
    it(`binary ${op} (float32, strided and broadcast)`, () => {
      const shape = [4, 6, 9];
      for (const [ca, cb] of [[0, 0], [1, 2], [2, 1]] as const) {
        const a = layouts(shape, 21, 0.1, 2)[ca];
        const b = layouts(shape, 31, 0.1, 2)[cb];
        b.storage[3] = a.storage[3]; // a few ties for the comparisons
        const outDtype = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'].includes(op) ? 'bool' : 'float32';
        const res = [cpu, wasm].map((be) => {
          const o = out(be, outDtype, shape);
          be.binary(op as BinaryOp, on(be, a.storage, 'float32', shape, a.strides, a.offset), on(be, b.storage, 'float32', shape, b.strides, b.offset), o);
          const o2 = out(be, outDtype, shape);
          // b broadcast along dims 0 and 1 (stride 0), a scalar-broadcast left operand.
          be.binary(op as BinaryOp, on(be, [0.7], 'float32', shape, [0, 0, 0]), on(be, b.storage, 'float32', shape, [0, 0, 1]), o2);
          return [...read(be, o), ...read(be, o2)];
        });
        expectClose(res[1], res[0], 1e-6, 1e-7);
      }
    });
  }

  const INT_UNARY = ['neg', 'abs', 'sign', 'relu', 'floor', 'ceil', 'round', 'logicalNot'] as const;
  it('unary on int32 and bool, strided', () => {
    const ints = randoms(60, 5, -50, 50).map(Math.trunc);
    ints[0] = -(2 ** 31); // neg and abs wrap
    const bools = randoms(60, 6).map((v) => (v > 0 ? 1 : 0));
    for (const op of INT_UNARY) {
      const res = [cpu, wasm].map((be) => {
        const results: number[] = [];
        for (const layout of [[6, 1], [1, 5], [10, 2]]) {
          const o = out(be, op === 'logicalNot' ? 'bool' : 'int32', [5, 6]);
          be.unary(op, on(be, ints, 'int32', [5, 6], layout), o);
          results.push(...read(be, o));
          if (op === 'abs' || op === 'sign' || op === 'logicalNot') {
            const ob = out(be, 'bool', [5, 6]);
            be.unary(op, on(be, bools, 'bool', [5, 6], layout), ob);
            results.push(...read(be, ob));
          }
        }
        return results;
      });
      expect(res[1], op).toEqual(res[0]);
    }
    const o = out(wasm, 'bool', [2]);
    expect(() => wasm.unary('exp', on(wasm, [1, 0], 'bool', [2]), o)).toThrow(/does not take bool/);
  });

  for (const dtype of ['int32', 'bool'] as const) {
    it(`binary on ${dtype}, strided and broadcast`, () => {
      const shape = [4, 6, 9];
      const n = sizeOf(shape);
      const values = (seed: number): number[] =>
        dtype === 'bool' ? randoms(2 * n + 1, seed).map((v) => (v > 0 ? 1 : 0)) : randoms(2 * n + 1, seed, -40, 40).map(Math.trunc);
      const a = values(41), b = values(42);
      b[3] = a[3];
      b[7] = 0; // division by zero
      a[1] = 2 ** 31 - 1; // wrapping sums and products
      b[1] = 3;
      for (const op of BINARY_OPS) {
        // Core turns bool arithmetic into logical ops: kernels refuse it.
        if (dtype === 'bool' && ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'].includes(op)) {
          const o = out(wasm, 'bool', shape);
          expect(() => wasm.binary(op, on(wasm, a, dtype, shape), on(wasm, b, dtype, shape), o)).toThrow(/does not take bool/);
          continue;
        }
        const outDtype = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'].includes(op) ? 'bool' : dtype;
        const res = [cpu, wasm].map((be) => {
          const o = out(be, outDtype, shape);
          be.binary(op, on(be, a, dtype, shape), on(be, b, dtype, shape, [1, 4, 24], 1), o);
          const o2 = out(be, outDtype, shape);
          be.binary(op, on(be, [a[5]], dtype, shape, [0, 0, 0]), on(be, b, dtype, shape, [0, 0, 1]), o2);
          return [...read(be, o), ...read(be, o2)];
        });
        if (op === 'pow' && dtype === 'int32') {
          // Exact integer powers, wrapped to int32 (the cpu backend goes through doubles).
          const o = out(wasm, 'int32', shape);
          wasm.binary(op, on(wasm, a, dtype, shape), on(wasm, b, dtype, shape, [1, 4, 24], 1), o);
          const bView = (i: number): number => b[1 + Math.floor(i / 54) + 4 * (Math.floor(i / 9) % 6) + 24 * (i % 9)];
          const want = a.slice(0, n).map((x, i) => {
            const e = bView(i);
            if (e < 0) return x === 1 ? 1 : x === -1 ? (e % 2 ? -1 : 1) : 0;
            return Number(BigInt.asIntN(32, BigInt(x) ** BigInt(e)));
          });
          expect(read(wasm, o)).toEqual(want);
          continue;
        }
        expect(res[1], op).toEqual(res[0]);
      }
    });
  }

  it('where, fill, copy and cast', () => {
    const shape = [3, 8];
    const cond = randoms(24, 9).map((v) => (v > 0 ? 1 : 0));
    const vals = randoms(24, 10, -300, 300);
    vals[0] = NaN;
    vals[1] = 3e9;
    const res = [cpu, wasm].map((be) => {
      const results: number[] = [];
      const o = out(be, 'float32', shape);
      be.where(on(be, cond, 'bool', shape), on(be, vals, 'float32', shape, [1, 3]), on(be, [5], 'float32', shape, [0, 0]), o);
      results.push(...read(be, o));
      const f = out(be, 'int32', shape);
      be.fill({ ...f, shape: [3, 4], strides: [8, 2], offset: 1 }, -7);
      results.push(...read(be, f));
      const c = out(be, 'float32', [8, 3]);
      be.copy(on(be, vals, 'float32', [8, 3], [1, 8]), c);
      results.push(...read(be, c));
      for (const [from, to] of [['float32', 'int32'], ['float32', 'bool'], ['int32', 'float32'], ['bool', 'float32'], ['int32', 'bool'], ['bool', 'int32']] as const) {
        const src = from === 'float32' ? vals : from === 'int32' ? vals.map((v) => (Number.isFinite(v) ? Math.trunc(v) : 0)) : cond;
        const co = out(be, to, shape);
        be.cast(on(be, src, from, shape, [1, 3]), co);
        results.push(...read(be, co));
      }
      return results;
    });
    expectClose(res[1], res[0], 0, 0);
  });

  it('where with bool values', () => {
    const shape = [3, 8];
    const cond = randoms(24, 19).map((v) => (v > 0 ? 1 : 0));
    const vals = randoms(24, 20).map((v) => (v > 0.3 ? 1 : 0));
    const res = [cpu, wasm].map((be) => {
      const o = out(be, 'bool', shape);
      be.where(on(be, cond, 'bool', shape), on(be, vals, 'bool', shape, [1, 3]), on(be, [1], 'bool', shape, [0, 0]), o);
      return read(be, o);
    });
    expect(res[1]).toEqual(res[0]);
  });

  it('views of any rank: ten and two hundred dims that do not merge', () => {
    // Reversed strides: no two dims merge, so the walk keeps every dim.
    const shape = new Array<number>(10).fill(2);
    const reversed = contiguousStrides(shape).reverse();
    const vals = randoms(1024, 23, -5, 5);
    const ints = vals.map(Math.trunc);
    const res = [cpu, wasm].map((be) => {
      const results: number[] = [];
      const c = out(be, 'float32', shape);
      be.copy(on(be, vals, 'float32', shape, reversed), c);
      results.push(...read(be, c));
      const u = out(be, 'float32', shape);
      be.unary('exp', on(be, vals, 'float32', shape, reversed), u);
      results.push(...read(be, u));
      const b = out(be, 'int32', shape);
      be.binary('add', on(be, ints, 'int32', shape, reversed), on(be, ints, 'int32', shape), b);
      results.push(...read(be, b));
      const r = out(be, 'float32', [2, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
      be.reduce('sum', on(be, vals, 'float32', shape, reversed), [1, 3, 5, 7, 9], r);
      results.push(...read(be, r));
      const ri = out(be, 'int32', [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
      be.reduce('max', on(be, ints, 'int32', shape, reversed), [0, 2, 4, 6, 8], ri);
      results.push(...read(be, ri));
      const g = out(be, 'float32', shape);
      be.random('normal', { seed: 9, offset: 3 }, { ...g, strides: reversed });
      results.push(...read(be, g));
      return results;
    });
    expectClose(res[1], res[0], 1e-6, 1e-7);
    // 200 dims: more than the fixed descriptor area holds.
    const big = new Array<number>(200).fill(1);
    big[0] = 2;
    big[199] = 3;
    const bigStrides = contiguousStrides(big).map((s, d) => (d === 0 ? 1 : d === 199 ? 2 : s));
    const pick = [cpu, wasm].map((be) => {
      const o = out(be, 'float32', big);
      be.copy(on(be, [1, 2, 3, 4, 5, 6], 'float32', big, bigStrides), o);
      return read(be, o);
    });
    expect(pick[1]).toEqual(pick[0]);
  });
});

describe('reductions', () => {
  const shape = [4, 5, 6];
  const axesList = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
  for (const op of ['sum', 'prod', 'max', 'min'] as const) {
    it(`reduce ${op} over every axis set`, () => {
      for (const c of layouts(shape, 41, 0.5, 1.5)) {
        for (const axes of axesList) {
          const outShape = shape.map((s, d) => (axes.includes(d) ? 1 : s));
          const res = [cpu, wasm].map((be) => {
            const o = out(be, 'float32', outShape);
            be.reduce(op, on(be, c.storage, 'float32', shape, c.strides, c.offset), axes, o);
            return read(be, o);
          });
          expectClose(res[1], res[0], 1e-6);
        }
      }
    });
  }

  it('int32 and bool reductions and arg-reductions over every axis set', () => {
    const ints = randoms(sizeOf(shape) * 2, 61, -9, 9).map(Math.trunc);
    ints[0] = 2 ** 31 - 1; // sums wrap at the end
    const bools = ints.map((v) => (v > 0 ? 1 : 0));
    const axisSets = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
    for (const [dtype, data, ops] of [['int32', ints, ['sum', 'prod', 'max', 'min']], ['bool', bools, ['max', 'min']]] as const) {
      for (const strides of [undefined, [1, 8, 40]]) {
        const res = [cpu, wasm].map((be) => {
          const results: number[] = [];
          for (const op of ops) {
            for (const axes of axisSets) {
              const o = out(be, dtype, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
              be.reduce(op, on(be, data, dtype, shape, strides), axes, o);
              results.push(...read(be, o));
            }
          }
          for (const op of ['argmax', 'argmin'] as const) {
            for (let axis = 0; axis < 3; axis++) {
              const o = out(be, 'int32', shape.map((d, i) => (i === axis ? 1 : d)));
              be.argReduce(op, on(be, data, dtype, shape, strides), axis, o);
              results.push(...read(be, o));
            }
          }
          return results;
        });
        expect(res[1], `${dtype} ${strides}`).toEqual(res[0]);
      }
    }
  });

  it('argmax/argmin, softmax and logSoftmax along every axis', () => {
    for (const c of layouts(shape, 51)) {
      c.storage[2] = c.storage[3]; // a tie
      for (let axis = 0; axis < 3; axis++) {
        const outShape = shape.map((s, d) => (d === axis ? 1 : s));
        const res = [cpu, wasm].map((be) => {
          const results: number[] = [];
          for (const op of ['argmax', 'argmin'] as const) {
            const o = out(be, 'int32', outShape);
            be.argReduce(op, on(be, c.storage, 'float32', shape, c.strides, c.offset), axis, o);
            results.push(...read(be, o));
          }
          const s = out(be, 'float32', shape);
          be.softmax!(on(be, c.storage, 'float32', shape, c.strides, c.offset), axis, s);
          const l = out(be, 'float32', shape);
          be.logSoftmax!(on(be, c.storage, 'float32', shape, c.strides, c.offset), axis, l);
          return [...results, ...read(be, s), ...read(be, l)];
        });
        expectClose(res[1], res[0], 1e-6, 1e-7);
      }
    }
  });
});

describe('long lines, special values and threads (reductions, softmax)', () => {
  /** float32 storage from raw bits, so that NaN payloads survive (a number[] would canonicalise them). */
  function bits(be: Backend, words: ArrayLike<number>, shape: number[]): TensorView {
    const buffer = be.alloc(words.length, 'float32');
    be.write(buffer, new Float32Array(Uint32Array.from(words).buffer));
    return { buffer, dtype: 'float32', shape, strides: contiguousStrides(shape), offset: 0 };
  }
  const f32Word = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];
  const NAN_PAYLOADS = [0x7fc00001, 0x7f800001, 0xffffffff, 0x7fc00000];

  /** Longer than the line length from which reductions to one value use two threads. */
  const LONG = (1 << 21) + 37;

  it('full reductions of contiguous lines, across chunk boundaries and thread counts', () => {
    for (const n of [1, 15, 16, 17, 16384, 16385, 70000, LONG]) {
      const vals = randoms(n, n, -3, 3);
      for (const op of ['sum', 'max', 'min'] as const) {
        const res = [cpu, wasm, plain].map((be) => {
          const x = on(be, vals, 'float32', [n]);
          const o = out(be, 'float32', [1]);
          be.reduce(op, x, [0], o);
          be.free(x.buffer);
          return read(be, o);
        });
        expectClose(res[1], res[0], op === 'sum' ? 1e-5 : 0, 1e-6);
        // The chunks depend on n only, so one and two threads agree to the bit.
        expect(res[2], `${op} over ${n}`).toEqual(res[1]);
      }
    }
  });

  it('max/min propagate NaN (any payload) from anywhere in the line or column', () => {
    const words = Uint32Array.from(randoms(LONG, 5, -3, 3), f32Word);
    for (const be of [wasm, plain]) {
      const x = bits(be, words, [LONG]);
      for (const at of [0, 5, 21, 16383, 16384, 200000, LONG - 1]) {
        for (const payload of NAN_PAYLOADS) {
          const saved = words[at];
          words[at] = payload;
          be.write(x.buffer, new Float32Array(words.buffer));
          words[at] = saved;
          for (const op of ['max', 'min'] as const) {
            const o = out(be, 'float32', [1]);
            be.reduce(op, x, [0], o);
            expect(read(be, o)[0], `${op} line, NaN ${payload.toString(16)} at ${at}`).toBeNaN();
            be.free(o.buffer);
          }
        }
      }
      be.free(x.buffer);
    }
    // Columns (the innermost dim kept): NaN in one column only.
    const rows = 300, cols = 37;
    const grid = randoms(rows * cols, 9, -3, 3).map(f32Word);
    grid[123 * cols + 7] = 0x7fc00001;
    grid[299 * cols + 36] = 0xffffffff;
    for (const op of ['max', 'min'] as const) {
      const res = [cpu, wasm, plain].map((be) => {
        const o = out(be, 'float32', [1, cols]);
        be.reduce(op, bits(be, grid, [rows, cols]), [0], o);
        return read(be, o);
      });
      expectClose(res[1], res[0], 0, 0);
      expectClose(res[2], res[0], 0, 0);
    }
  });

  it('softmax and logSoftmax of long rows, tails, values far below the max, and rows split across threads', () => {
    for (const [rows, n] of [[3, 1], [3, 3], [2, 8], [5, 17], [4, 100], [64, 1030], [2, 5000]]) {
      const vals = randoms(rows * n, n, -100, 20);
      const res = [cpu, wasm, plain].map((be) => {
        const s = out(be, 'float32', [rows, n]);
        be.softmax!(on(be, vals, 'float32', [rows, n]), 1, s);
        const l = out(be, 'float32', [rows, n]);
        be.logSoftmax!(on(be, vals, 'float32', [rows, n]), 1, l);
        return [...read(be, s), ...read(be, l)];
      });
      expectClose(res[1], res[0], 1e-5, 1e-7);
      expectClose(res[2], res[0], 1e-5, 1e-7);
    }
  });

  it('softmax rows with NaN (any payload), infinities or only -Infinity', () => {
    const n = 37;
    const rows: number[][] = [];
    for (const [i, payload] of NAN_PAYLOADS.entries()) {
      const row = randoms(n, i + 1).map(f32Word);
      row[[0, 17, 33, 36][i]] = payload;
      rows.push(row);
    }
    const plainRow = randoms(n, 9);
    rows.push(plainRow.map((v, i) => f32Word(i === 20 ? Infinity : v)));
    rows.push(plainRow.map((v, i) => f32Word(i % 3 === 0 ? -Infinity : v)));
    rows.push(plainRow.map(() => f32Word(-Infinity)));
    const words = rows.flat();
    const res = [cpu, wasm, plain].map((be) => {
      const s = out(be, 'float32', [rows.length, n]);
      be.softmax!(bits(be, words, [rows.length, n]), 1, s);
      const l = out(be, 'float32', [rows.length, n]);
      be.logSoftmax!(bits(be, words, [rows.length, n]), 1, l);
      return [...read(be, s), ...read(be, l)];
    });
    expect(res[0].slice(0, 5 * n).every(Number.isNaN)).toBe(true); // the reference agrees: NaN rows
    expectClose(res[1], res[0], 1e-5, 1e-7);
    expectClose(res[2], res[0], 1e-5, 1e-7);
  });

  it('back-to-back parallel calls give the same results (work claimed, unstarted workers withdrawn)', () => {
    const x = on(wasm, randoms(64 * 1030, 3), 'float32', [64, 1030]);
    const line = on(wasm, randoms(LONG, 4), 'float32', [LONG]);
    const run = () => {
      const s = out(wasm, 'float32', [64, 1030]);
      wasm.softmax!(x, 1, s);
      const m = out(wasm, 'float32', [1]);
      wasm.reduce('sum', line, [0], m);
      const result = [...read(wasm, s), ...read(wasm, m)];
      wasm.free(s.buffer);
      wasm.free(m.buffer);
      return result;
    };
    const first = run();
    for (let i = 0; i < 100; i++) expect(run().every((v, j) => Object.is(v, first[j])), `call ${i}`).toBe(true);
  });
});

describe('elementwise lines: v128 loops, tails, special values and threads', () => {
  /** Past the line length from which float32 elementwise ops take two threads, and not whole chunks. */
  const LONG = (1 << 17) + 3 * (1 << 15) + 21;
  const LENGTHS = [1, 3, 4, 15, 16, 17, 35, LONG];
  const SPECIALS = [NaN, -0, 0, Infinity, -Infinity, 2.5, -0.5, 1e-40];

  /** Random values with the special ones spread through (tails and vector lanes alike). */
  function values(n: number, seed: number): number[] {
    const v = randoms(n, seed, -3, 3);
    for (let i = seed % 5; i < n; i += 5) v[i] = SPECIALS[((i - (seed % 5)) / 5) % SPECIALS.length];
    return v;
  }

  /** The first element where `actual` and `expected` differ (Object.is, or beyond rtol when given), else -1. */
  function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol?: number): number {
    for (let i = 0; i < expected.length; i++) {
      const a = actual[i], e = expected[i];
      if (Object.is(a, e)) continue;
      if (rtol !== undefined && (Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= rtol * Math.abs(e))) continue;
      return i;
    }
    return actual.length === expected.length ? -1 : expected.length;
  }

  const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

  /**
   * cpu (the reference), wasm on two threads, wasm on one; checks both wasm results. The two
   * are the relaxed and the plain build where relaxed SIMD is available: `fused` ops (whose
   * vector forms use relaxed madd) may then differ between them in the last bits.
   */
  function check(what: string, exact: boolean, run: (be: Backend) => ArrayLike<number>, fused = false): void {
    const [want, two, one] = [cpu, wasm, plain].map(run);
    for (const [name, got] of [['two threads', two], ['one thread', one]] as const) {
      const i = firstDifference(got, want, exact ? undefined : 2e-6);
      expect(i, `${what}, ${name}: element ${i} is ${show(got[i])}, want ${show(want[i])}`).toBe(-1);
    }
    expect(firstDifference(two, one, fused && relaxed ? 1e-6 : undefined), `${what}: two threads vs one`).toBe(-1);
  }

  // Ops whose vector form is exactly the scalar one (and the reference's, computed in f64 and rounded).
  const EXACT_UNARY = new Set(['neg', 'abs', 'sqrt', 'reciprocal', 'relu', 'floor', 'ceil', 'round', 'logicalNot']);
  const FUSED_UNARY = new Set(['exp', 'expm1', 'log', 'log1p', 'sigmoid', 'tanh']);
  const EXACT_BINARY = new Set(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

  it('unary ops on contiguous, strided and broadcast lines', () => {
    for (const n of LENGTHS) {
      const x = values(2 * n + 1, n);
      for (const op of UNARY_OPS) {
        const outDtype = op === 'logicalNot' ? 'bool' : 'float32';
        for (const [layout, strides, offset] of [['contiguous', [1], 0], ['stride 2', [2], 1], ['one value', [0], 3 % x.length]] as const) {
          check(`${op} over ${n}, ${layout}`, EXACT_UNARY.has(op), (be) => {
            const o = out(be, outDtype, [n]);
            const xv = on(be, x, 'float32', [n], strides, offset);
            be.unary(op, xv, o);
            const result = be.readSync!(o);
            be.free(xv.buffer);
            be.free(o.buffer);
            return result;
          }, FUSED_UNARY.has(op));
        }
      }
    }
  });

  it('binary ops on contiguous, strided and broadcast lines', () => {
    for (const n of LENGTHS) {
      const a = values(2 * n + 1, n + 1), b = values(n, n + 2);
      b[n - 1] = a[n - 1]; // a tie
      const layouts = [
        ['both contiguous', [1], 0, [1]],
        ['b one value', [1], 0, [0]],
        ['a one value', [0], 2 % a.length, [1]],
        ['a stride 2', [2], 1, [1]],
        ['both one value', [0], 0, [0]],
      ] as const;
      for (const op of BINARY_OPS) {
        const outDtype = EXACT_BINARY.has(op) && !['add', 'sub', 'mul', 'div', 'maximum', 'minimum'].includes(op) ? 'bool' : 'float32';
        for (const [layout, sa, offset, sb] of layouts) {
          check(`${op} over ${n}, ${layout}`, EXACT_BINARY.has(op), (be) => {
            const o = out(be, outDtype, [n]);
            const av = on(be, a, 'float32', [n], sa, offset), bv = on(be, b, 'float32', [n], sb);
            be.binary(op, av, bv, o);
            const result = be.readSync!(o);
            for (const v of [av, bv, o]) be.free(v.buffer);
            return result;
          });
        }
      }
    }
  });

  it('back-to-back parallel elementwise calls give the same results', () => {
    const a = on(wasm, values(LONG, 7), 'float32', [LONG]), b = on(wasm, values(LONG, 8), 'float32', [LONG]);
    const run = () => {
      const s = out(wasm, 'float32', [LONG]), r = out(wasm, 'float32', [LONG]);
      wasm.binary('mul', a, b, s);
      wasm.unary('relu', s, r);
      const result = wasm.readSync(r);
      wasm.free(s.buffer);
      wasm.free(r.buffer);
      return result;
    };
    const first = run();
    for (let i = 0; i < 50; i++) expect(firstDifference(run(), first), `call ${i}`).toBe(-1);
  });
});

describe('matmul', () => {
  const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 48, 80], [130, 70, 257], [300, 260, 20], [5, 600, 300]];
  for (const [m, k, n] of sizes) {
    it(`[${m}, ${k}] x [${k}, ${n}], plain, transposed and batched broadcast`, () => {
      for (const be of [wasm, plain]) {
        const aData = randoms(2 * m * k, m + k);
        const bData = randoms(k * n, n + 7);
        const res = [cpu, be].map((b) => {
          const o1 = out(b, 'float32', [m, n]);
          b.matmul(on(b, aData, 'float32', [m, k]), on(b, bData, 'float32', [k, n]), o1);
          const o2 = out(b, 'float32', [m, n]);
          b.matmul(on(b, aData, 'float32', [m, k], [1, m]), on(b, bData, 'float32', [k, n], [1, k]), o2);
          const o3 = out(b, 'float32', [2, m, n]);
          b.matmul(on(b, aData, 'float32', [2, m, k]), on(b, bData, 'float32', [2, k, n], [0, n, 1]), o3);
          return [...read(b, o1), ...read(b, o2), ...read(b, o3)];
        });
        expectClose(res[1], res[0], 1e-4, 1e-4);
      }
    });
  }

  it('int32, wrapping, plain, transposed and batched broadcast', () => {
    const [m, k, n] = [7, 9, 5];
    const aData = randoms(2 * m * k, 71, -1000, 1000).map(Math.trunc);
    const bData = randoms(k * n, 72, -1000, 1000).map(Math.trunc);
    aData[0] = 2 ** 31 - 1;
    const res = [cpu, wasm].map((b) => {
      const o1 = out(b, 'int32', [m, n]);
      b.matmul(on(b, aData, 'int32', [m, k]), on(b, bData, 'int32', [k, n]), o1);
      const o2 = out(b, 'int32', [m, n]);
      b.matmul(on(b, aData, 'int32', [m, k], [1, m]), on(b, bData, 'int32', [k, n], [1, k]), o2);
      const o3 = out(b, 'int32', [2, m, n]);
      b.matmul(on(b, aData, 'int32', [2, m, k]), on(b, bData, 'int32', [2, k, n], [0, n, 1]), o3);
      return [...read(b, o1), ...read(b, o2), ...read(b, o3)];
    });
    expect(res[1]).toEqual(res[0]);
  });
});

describe('conv and pool', () => {
  const convCases: [number[], number[], Conv2dParams][] = [
    [[2, 3, 9, 8], [4, 3, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
    [[3, 4, 11, 10], [6, 2, 3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }],
    [[2, 6, 7, 7], [8, 6, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }],
    [[1, 8, 16, 16], [16, 8, 5, 5], { stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 1 }],
    [[8, 16, 14, 14], [32, 16, 3, 3], { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 }],
    [[1, 16, 20, 20], [32, 16, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
    [[1, 32, 12, 12], [64, 32, 1, 1], { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }],
  ];
  for (const [xShape, wShape, p] of convCases) {
    it(`conv2d and gradients, x ${xShape}, w ${wShape}, stride ${p.stride}, groups ${p.groups}`, () => {
      const oH = Math.floor((xShape[2] + 2 * p.padding[0] - p.dilation[0] * (wShape[2] - 1) - 1) / p.stride[0]) + 1;
      const oW = Math.floor((xShape[3] + 2 * p.padding[1] - p.dilation[1] * (wShape[3] - 1) - 1) / p.stride[1]) + 1;
      const yShape = [xShape[0], wShape[0], oH, oW];
      const xData = randoms(sizeOf(xShape), 61);
      const wData = randoms(sizeOf(wShape), 62);
      const dyData = randoms(sizeOf(yShape), 63);
      for (const be of [wasm, plain]) {
        const res = [cpu, be].map((b) => {
          const y = out(b, 'float32', yShape);
          // x seen through swapped H/W storage, to exercise strided input.
          const xT = on(b, xData, 'float32', xShape, [xShape[1] * xShape[2] * xShape[3], xShape[2] * xShape[3], 1, xShape[2]]);
          b.conv2d(xT, on(b, wData, 'float32', wShape), y, p);
          const dx = out(b, 'float32', xShape);
          b.conv2dBackwardInput(on(b, dyData, 'float32', yShape), on(b, wData, 'float32', wShape), dx, p);
          const dw = out(b, 'float32', wShape);
          b.conv2dBackwardWeight(xT, on(b, dyData, 'float32', yShape), dw, p);
          return [...read(b, y), ...read(b, dx), ...read(b, dw)];
        });
        expectClose(res[1], res[0], 1e-4, 1e-4);
      }
    });
  }

  const poolCases: Pool2dParams[] = [
    { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], countIncludePad: true },
    { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1], countIncludePad: false },
    { kernelSize: [3, 2], stride: [1, 2], padding: [1, 0], dilation: [2, 1], countIncludePad: true },
  ];
  for (const p of poolCases) {
    it(`pool2d max/avg and backward, kernel ${p.kernelSize}, stride ${p.stride}, padding ${p.padding}`, () => {
      const xShape = [2, 3, 9, 8];
      const oH = Math.floor((xShape[2] + 2 * p.padding[0] - p.dilation[0] * (p.kernelSize[0] - 1) - 1) / p.stride[0]) + 1;
      const oW = Math.floor((xShape[3] + 2 * p.padding[1] - p.dilation[1] * (p.kernelSize[1] - 1) - 1) / p.stride[1]) + 1;
      const yShape = [2, 3, oH, oW];
      const xData = randoms(sizeOf(xShape), 71).map((v) => Math.round(v * 4) / 4); // ties
      const dyData = randoms(sizeOf(yShape), 72);
      for (const op of ['max', 'avg'] as const) {
        const res = [cpu, wasm].map((b) => {
          const y = out(b, 'float32', yShape);
          b.pool2d(op, on(b, xData, 'float32', xShape), y, p);
          const dx = out(b, 'float32', xShape);
          b.pool2dBackward(op, on(b, xData, 'float32', xShape), on(b, dyData, 'float32', yShape), dx, p);
          return [...read(b, y), ...read(b, dx)];
        });
        expectClose(res[1], res[0], 1e-6, 1e-7);
      }
    });
  }
});

describe('random and indexing', () => {
  it('Philox uniform and normal match core bit for bit', () => {
    for (const distribution of ['uniform', 'normal'] as const) {
      const key = { seed: 1234567, offset: 2 ** 32 - 1000 }; // crosses the 32-bit counter boundary
      const o = out(wasm, 'float32', [5000]);
      wasm.random(distribution, key, o);
      const got = read(wasm, o);
      const want = Array.from(Float32Array.from({ length: 5000 }, (_, i) => randomElement(distribution, key.seed, key.offset + i)));
      expect(got).toEqual(want);
    }
  });

  it('gather and scatterAdd on every dtype, strided, along every dim', () => {
    const index = randoms(24, 91, 0, 3).map(Math.floor);
    for (const dtype of ['float32', 'int32'] as const) {
      const x = randoms(60, 92, -9, 9).map((v) => (dtype === 'int32' ? Math.trunc(v) : v));
      for (let dim = 0; dim < 3; dim++) {
        const res = [cpu, wasm].map((b) => {
          const xv = on(b, x, dtype, [3, 4, 5], [1, 3, 12]); // a permuted view
          const idx = on(b, index, 'int32', [2, 3, 4].map((d) => Math.min(d, 3)), undefined);
          const g = out(b, dtype, idx.shape);
          b.gather(xv, dim, idx, g);
          const s = out(b, dtype, [3, 4, 5]);
          b.copy(xv, s);
          b.scatterAdd(dim, idx, on(b, x, dtype, idx.shape, [20, 5, 1], 1), s);
          return [...read(b, g), ...read(b, s)];
        });
        expect(res[1], `${dtype} dim ${dim}`).toEqual(res[0]);
      }
    }
    const bools = [1, 0, 0, 1, 0, 0];
    const g = out(wasm, 'bool', [2, 2]);
    wasm.gather(on(wasm, bools, 'bool', [2, 3]), 1, on(wasm, [0, 1, 2, 0], 'int32', [2, 2]), g);
    expect(read(wasm, g)).toEqual([1, 0, 0, 1]);
    const s = out(wasm, 'bool', [2, 3]);
    wasm.fill(s, 0);
    wasm.scatterAdd(1, on(wasm, [0, 0, 2, 2], 'int32', [2, 2]), on(wasm, [1, 1, 0, 1], 'bool', [2, 2]), s);
    expect(read(wasm, s)).toEqual([1, 0, 0, 0, 0, 1]); // True + True is True
  });

  it('gather and scatterAdd', () => {
    const x = randoms(20, 81);
    const index = randoms(12, 82, 0, 4).map(Math.floor);
    const res = [cpu, wasm].map((b) => {
      const g = out(b, 'float32', [3, 4]);
      b.gather(on(b, x, 'float32', [5, 4]), 0, on(b, index, 'int32', [3, 4]), g);
      const s = out(b, 'float32', [5, 4]);
      b.fill(s, 0);
      b.scatterAdd(0, on(b, index, 'int32', [3, 4]), on(b, x.slice(0, 12), 'float32', [3, 4]), s);
      return [...read(b, g), ...read(b, s)];
    });
    expect(res[1]).toEqual(res[0]);
  });
});

describe('without shared memory', () => {
  it('the unshared build runs single-threaded with the same results', async () => {
    const single = await WasmBackend.create(await loadModule('simd', false), 'simd', { threads: 2 });
    expect(single.getThreads()).toBe(1);
    expect(single.memory.buffer instanceof ArrayBuffer).toBe(true);
    const aData = randoms(40 * 30, 5), bData = randoms(30 * 20, 6);
    const res = [cpu, single].map((b) => {
      const o = out(b, 'float32', [40, 20]);
      b.matmul(on(b, aData, 'float32', [40, 30]), on(b, bData, 'float32', [30, 20]), o);
      return read(b, o);
    });
    expectClose(res[1], res[0], 1e-5, 1e-5);
  });
});
