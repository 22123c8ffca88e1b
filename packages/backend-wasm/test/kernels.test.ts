/**
 * What the shared kernel suite (packages/conformance, run by test/conformance.test.ts) does
 * not see of the wasm backend: its threads and memory, the float64 accuracy of its vector
 * math, v128 loops and their tails, long lines split across threads, walk descriptors of any
 * rank, the trap of a missing case, and the unshared single-threaded build. Results are
 * checked against the cpu backend (the reference) or float64, on the relaxed build with two
 * threads and the plain SIMD build with one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  BINARY_OPS, binaryFacts, contiguousStrides, randomElement, resultDType, sizeOf, UNARY_OPS, unaryFacts,
  type Backend, type Conv2dParams, type DType, type Pool2dParams, type TensorView, type TypedArrayFor,
} from '@tensile/core';
import { CpuBackend } from '@tensile/backend-cpu';
import { ACCELERATED_BINARY, ACCELERATED_UNARY, type WasmBinaryOp, type WasmUnaryOp } from '../src/kernels/elementwise.js';
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

describe('missing cases', () => {
  it('an op that reaches a kernel without its case traps, with an error naming the call', () => {
    // Core never sends float32 to logicalAnd (its rule casts to bool first), so
    // binary_f32 has no case for it: the switch ends in unreachable().
    for (const be of [wasm, plain]) {
      const o = out(be, 'bool', [5]);
      expect(() => be.binary('logicalAnd', on(be, [1, 0, 2, 0, 3], 'float32', [5]), on(be, [1, 1, 0, 0, 1], 'float32', [5]), o))
        .toThrow(/binary 'logicalAnd' \(code 13\) of float32 trapped in its kernel \(unreachable\); assembly\/elementwise.ts has no case/);
    }
  });
});

describe('vector math: float64 accuracy on both builds', () => {
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
      be.unary(op as WasmUnaryOp, on(be, inputs, 'float32', [inputs.length]), o);
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
});

describe('walk descriptors', () => {
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
  const EXACT_BINARY = new Set(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);
  /**
   * The ops this backend runs as float32 kernels: primitives and the composites it
   * accelerates, whose float rule sends float32 to the kernel (logical ops get bool operands).
   */
  const FLOAT_UNARY = UNARY_OPS.filter((op): op is WasmUnaryOp =>
    unaryFacts(op).float === 'kernel' && (!unaryFacts(op).composite || (ACCELERATED_UNARY as readonly string[]).includes(op)));
  const FLOAT_BINARY = BINARY_OPS.filter((op): op is WasmBinaryOp =>
    binaryFacts(op).float === 'kernel' && (!binaryFacts(op).composite || (ACCELERATED_BINARY as readonly string[]).includes(op)));

  it('unary ops on contiguous, strided and broadcast lines', () => {
    for (const n of LENGTHS) {
      const x = values(2 * n + 1, n);
      for (const op of FLOAT_UNARY) {
        const outDtype = resultDType(unaryFacts(op).kind, 'float32');
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
      for (const op of FLOAT_BINARY) {
        const outDtype = resultDType(binaryFacts(op).kind, 'float32');
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

describe('matmul, conv and pool split across threads', () => {
  // Each case is past the size from which the kernel takes two threads (4M multiply-adds for
  // GEMM and conv, 32k window elements for pooling); the shared suite's cases stay below it.
  const matmulCases: [string, number, number, number, number][] = [
    ['whole products claimed by threads', 2, 130, 70, 257],
    ['one tall product shared in row blocks', 1, 300, 260, 60],
    ['one wide product shared in column blocks', 1, 60, 260, 300],
  ];
  for (const [what, batch, m, k, n] of matmulCases) {
    it(`matmul: ${what} ([${batch}, ${m}, ${k}] x [${k}, ${n}])`, () => {
      const aData = randoms(batch * m * k, m + k), bData = randoms(k * n, n + 7);
      const [want, two, one] = [cpu, wasm, plain].map((be) => {
        const o = out(be, 'float32', [batch, m, n]);
        // b broadcast over the batch, and transposed.
        be.matmul(on(be, aData, 'float32', [batch, m, k]), on(be, bData, 'float32', [batch, k, n], [0, 1, k]), o);
        return read(be, o);
      });
      expectClose(two, want, 1e-4, 1e-4);
      expectClose(one, want, 1e-4, 1e-4);
    });
  }

  const convCases: [string, number[], number[], Conv2dParams][] = [
    // Split by image; the weight gradient sums per-thread partials.
    ['by image', [4, 16, 16, 16], [32, 16, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
    // One image: each GEMM's output tiles are split.
    ['by output tiles', [1, 32, 24, 24], [32, 32, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }],
  ];
  for (const [what, xShape, wShape, p] of convCases) {
    it(`conv2d and both gradients split ${what}, x [${xShape}], w [${wShape}]`, () => {
      const oH = Math.floor((xShape[2] + 2 * p.padding[0] - p.dilation[0] * (wShape[2] - 1) - 1) / p.stride[0]) + 1;
      const oW = Math.floor((xShape[3] + 2 * p.padding[1] - p.dilation[1] * (wShape[3] - 1) - 1) / p.stride[1]) + 1;
      const yShape = [xShape[0], wShape[0], oH, oW];
      const xData = randoms(sizeOf(xShape), 61), wData = randoms(sizeOf(wShape), 62), dyData = randoms(sizeOf(yShape), 63);
      const [want, two, one] = [cpu, wasm, plain].map((be) => {
        const y = out(be, 'float32', yShape);
        be.conv2d(on(be, xData, 'float32', xShape), on(be, wData, 'float32', wShape), y, p);
        const dx = out(be, 'float32', xShape);
        be.conv2dBackwardInput(on(be, dyData, 'float32', yShape), on(be, wData, 'float32', wShape), dx, p);
        const dw = out(be, 'float32', wShape);
        be.conv2dBackwardWeight(on(be, xData, 'float32', xShape), on(be, dyData, 'float32', yShape), dw, p);
        return [...read(be, y), ...read(be, dx), ...read(be, dw)];
      });
      expectClose(two, want, 1e-4, 1e-4);
      expectClose(one, want, 1e-4, 1e-4);
    });
  }

  it('pool2d max/avg and backward split by (n, c) plane', () => {
    const p: Pool2dParams = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], countIncludePad: false };
    const xShape = [4, 16, 31, 32], yShape = [4, 16, 16, 16];
    const xData = randoms(sizeOf(xShape), 71).map((v) => Math.round(v * 4) / 4); // ties
    const dyData = randoms(sizeOf(yShape), 72);
    for (const op of ['max', 'avg'] as const) {
      const [want, two, one] = [cpu, wasm, plain].map((be) => {
        const y = out(be, 'float32', yShape);
        be.pool2d(op, on(be, xData, 'float32', xShape), y, p);
        const dx = out(be, 'float32', xShape);
        be.pool2dBackward(op, on(be, xData, 'float32', xShape), on(be, dyData, 'float32', yShape), dx, p);
        return [...read(be, y), ...read(be, dx)];
      });
      expectClose(two, want, 1e-6, 1e-7);
      expectClose(one, want, 1e-6, 1e-7);
    }
  });
});

describe('small-M matmul: B read in place (axpy and dot forms), tails, batches, threads', () => {
  /** Plain float64 reference: out[b, i, j] = sum_p A[b, i, p] B[b, p, j] over the views. */
  function reference(aData: number[], aStrides: number[], bData: number[], bStrides: number[], batch: number, m: number, k: number, n: number): number[] {
    const outData: number[] = [];
    for (let t = 0; t < batch; t++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += aData[t * aStrides[0] + i * aStrides[1] + p * aStrides[2]] * bData[t * bStrides[0] + p * bStrides[1] + j * bStrides[2]];
          outData.push(s);
        }
      }
    }
    return outData;
  }

  // [batch, m, k, n, b batch-broadcast], m up to SMALL_M = 8 (rows in pairs, an odd one last):
  // odd k and n for the v128 tails, n past the 1024-column axpy tile; the last ones are past
  // the size from which the columns are split across threads (1 MiB of B).
  const cases: [number, number, number, number, boolean][] = [
    [1, 1, 1, 1, false], [1, 1, 7, 5, false], [1, 2, 13, 37, false], [1, 3, 33, 19, false], [1, 4, 64, 70, false],
    [1, 1, 130, 1, false], [1, 4, 5, 1030, false], [1, 5, 19, 23, false], [1, 8, 66, 41, false], [1, 7, 9, 2050, false],
    [3, 1, 23, 45, false], [5, 2, 17, 9, true], [2, 4, 31, 29, false], [2, 6, 15, 33, true],
    [1, 1, 515, 771, false], [1, 3, 257, 1283, false], [3, 2, 300, 401, true],
  ];
  for (const [batch, m, k, n, shared] of cases) {
    for (const layout of ['axpy', 'dot'] as const) {
      it(`${layout}: [${batch}, ${m}, ${k}] x [${k}, ${n}]${shared ? ' (b broadcast)' : ''}`, () => {
        const aData = randoms(batch * m * k, 3 * m + k), bData = randoms((shared ? 1 : batch) * k * n, n + 11);
        const aStrides = [m * k, k, 1];
        // axpy: B [K, N] row-major; dot: B the transpose of a row-major [N, K].
        const bStrides = [shared ? 0 : k * n, ...(layout === 'axpy' ? [n, 1] : [1, k])];
        const want = reference(aData, aStrides, bData, bStrides, batch, m, k, n);
        for (const be of [wasm, plain]) {
          const o = out(be, 'float32', [batch, m, n]);
          be.matmul(on(be, aData, 'float32', [batch, m, k], aStrides), on(be, bData, 'float32', [batch, k, n], bStrides), o);
          expectClose(read(be, o), want, 1e-4, 1e-5);
        }
      });
    }
  }

  it('strided A (a transposed view) and padded rows of B and C fall to the right kernel', () => {
    // A is the transpose of a [k, m] tensor (csA = m): the axpy form takes it, the dot form does not.
    const m = 3, k = 21, n = 18, ld = 24;
    const aData = randoms(k * m, 91), bData = randoms(k * ld, 92);
    for (const bStrides of [[ld, 1], [1, ld]]) {
      const rows = bStrides[0] === 1 ? n : k;
      const [ref, two, one] = [cpu, wasm, plain].map((be) => {
        const o = out(be, 'float32', [m, n]);
        be.matmul(on(be, aData, 'float32', [m, k], [1, m]), on(be, bData.slice(0, rows * ld), 'float32', [k, n], bStrides), o);
        return read(be, o);
      });
      expectClose(two, ref, 1e-4, 1e-5);
      expectClose(one, ref, 1e-4, 1e-5);
    }
  });
});

describe('fused attention: threads, both builds, views', () => {
  // Past 4M multiply-adds the kernel takes two threads (the shared suite's cases stay below);
  // odd E and Ev leave v128 tails, L and S leave partial row blocks and key tiles.
  const cases: [string, number, number, number, number, number][] = [
    ['row blocks of several heads', 3, 150, 333, 40, 21],
    ['one query row per head (blocks of one panel)', 8, 1, 5000, 64, 60],
    ['few heads, short rows (small blocks)', 1, 40, 1000, 64, 64],
  ];
  for (const [what, B, L, S, E, Ev] of cases) {
    it(`attention: ${what}, [${B}, ${L}, ${S}], E ${E}, Ev ${Ev}, plain and causal`, () => {
      const qData = randoms(B * L * E, L + 1, -2, 2), kData = randoms(B * S * E, S + 2, -2, 2), vData = randoms(B * S * Ev, Ev + 3);
      for (const causal of [false, true]) {
        const [want, two, one] = [cpu, wasm, plain].map((be) => {
          const o = out(be, 'float32', [B, L, Ev]), lse = out(be, 'float32', [B, L]);
          be.attention!(on(be, qData, 'float32', [B, L, E]), on(be, kData, 'float32', [B, S, E]), on(be, vData, 'float32', [B, S, Ev]), null, o, lse,
            { scale: 1 / Math.sqrt(E), causal });
          return [...read(be, o), ...read(be, lse)];
        });
        expectClose(two, want, 2e-5, 2e-6);
        expectClose(one, want, 2e-5, 2e-6);
      }
    });
  }

  it('attention: a transposed q, a strided mask, out at an offset and a non-contiguous lse, on two threads', () => {
    const [B, L, S, E, Ev] = [2, 90, 300, 48, 36];
    const qData = randoms(B * L * E, 31, -2, 2), kData = randoms(B * S * E, 32, -2, 2), vData = randoms(B * S * Ev, 33);
    // The mask [L, S] stored transposed ([S, L]) and broadcast over heads; some keys dropped.
    const maskData = randoms(L * S, 34, -3, 3).map((x, i) => (i % 11 === 5 ? -Infinity : x));
    // The cpu backend reads contiguous operands only (as the contract promises): it gets the same values laid out so.
    const qLogical = Array.from({ length: B * L * E }, (_, n) => qData[Math.floor(n / (L * E)) * L * E + (n % E) * L + (Math.floor(n / E) % L)]);
    const maskLogical = Array.from({ length: B * L * S }, (_, n) => maskData[(Math.floor(n / S) % L) + (n % S) * L]);
    const oRef = out(cpu, 'float32', [B, L, Ev]), lseRef = out(cpu, 'float32', [B, L]);
    cpu.attention!(on(cpu, qLogical, 'float32', [B, L, E]), on(cpu, kData, 'float32', [B, S, E]), on(cpu, vData, 'float32', [B, S, Ev]),
      on(cpu, maskLogical, 'float32', [B, L, S]), oRef, lseRef, { scale: 0.2, causal: false });
    const want = [...read(cpu, oRef), ...read(cpu, lseRef)];
    const [two, one] = [wasm, plain].map((be) => {
      const q = on(be, qData, 'float32', [B, L, E], [L * E, 1, L]);
      const mask = on(be, maskData, 'float32', [B, L, S], [0, 1, L]);
      const oBuf = be.alloc(B * L * Ev + 5, 'float32');
      const o: TensorView = { buffer: oBuf, dtype: 'float32', shape: [B, L, Ev], strides: contiguousStrides([B, L, Ev]), offset: 5 };
      const lse = on(be, new Array<number>(B * L).fill(0), 'float32', [B, L], [1, B]);
      be.attention!(q, on(be, kData, 'float32', [B, S, E]), on(be, vData, 'float32', [B, S, Ev]), mask, o, lse, { scale: 0.2, causal: false });
      return [...read(be, o), ...read(be, lse)];
    });
    expectClose(two, want, 2e-5, 2e-6);
    expectClose(one, want, 2e-5, 2e-6);
  });
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


  it('scatterAdd on bool is a logical or (True + True is True), which the shared suite leaves out', () => {
    const s = out(wasm, 'bool', [2, 3]);
    wasm.fill(s, 0);
    wasm.scatterAdd(1, on(wasm, [0, 0, 2, 2], 'int32', [2, 2]), on(wasm, [1, 1, 0, 1], 'bool', [2, 2]), s);
    expect(read(wasm, s)).toEqual([1, 0, 0, 0, 0, 1]);
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
