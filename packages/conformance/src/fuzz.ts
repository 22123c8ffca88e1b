/**
 * Property-based fuzzing (fast-check): random shapes (0-d, empty, up to rank 4 and 2048 elements), layouts
 * (contiguous, permuted, sliced with an offset, broadcast with stride 0), dtypes and values
 * for the elementwise, reduce, matmul, indexing and shape ops, through the public API, so
 * core's planning (dim collapsing, broadcasting, type rules, composites) is fuzzed with the
 * kernels. Each result is checked against a plain-JS model (the op table's reference
 * functions for elementwise ops) and, on a backend other than cpu, against the cpu backend
 * where it is registered.
 *
 * CI runs a fixed seed with `TENSILE_FUZZ_RUNS` runs per property (default 12); a longer run on
 * demand: `TENSILE_FUZZ_RUNS=500 TENSILE_FUZZ_SEED=7 pnpm vitest run test/conformance.test.ts -t fuzz`.
 * A failure prints fast-check's shrunk counterexample and the seed and path that replay it.
 */
import * as tl from '@tensile/core';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { randoms, type Expected } from './compare.js';
import type { Suite } from './context.js';
import { makeTensor } from './fixtures.js';
import { expectNear, stored } from './kernels/views.js';

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const RUNS = Number(env.TENSILE_FUZZ_RUNS ?? 12);
const SEED = Number(env.TENSILE_FUZZ_SEED ?? 20261204);

/** How an operand's values sit in memory. */
type Layout = 'contiguous' | 'permuted' | 'sliced' | 'broadcast';

interface Operand {
  shape: number[];
  layout: Layout;
  /** Seeds the values. */
  seed: number;
  /** For `broadcast`: which dims are stored once (size 1 in storage). */
  stored1: boolean[];
}

/** Elements a drawn shape holds at most (the references loop over them in plain JS). */
const MAX_ELEMENTS = 2048;

/**
 * A shape of rank 0-4: dims mostly 1-5, now and then up to 300 (past SIMD widths, GPU
 * workgroups and thread splits; dims are halved until the shape holds at most MAX_ELEMENTS),
 * and now and then an empty dim.
 */
const shapeArb = (minRank = 0, maxRank = 4): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 6, max: 300 }) }), { minLength: minRank, maxLength: maxRank }),
      fc.nat({ max: 19 }),
    )
    .map(([dims, e]) => {
      const shape = e === 0 && dims.length > 0 ? dims.map((d, i) => (i === dims.length - 1 ? 0 : d)) : [...dims];
      while (tl.sizeOf(shape) > MAX_ELEMENTS) {
        const widest = shape.indexOf(Math.max(...shape));
        shape[widest] = Math.ceil(shape[widest] / 2);
      }
      return shape;
    });

const operandArb = (shape: fc.Arbitrary<number[]>): fc.Arbitrary<Operand> =>
  shape.chain((s) =>
    fc.record({
      shape: fc.constant(s),
      layout: fc.constantFrom<Layout>('contiguous', 'permuted', 'sliced', 'broadcast'),
      seed: fc.integer({ min: 1, max: 1 << 20 }),
      stored1: fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }),
    }),
  );

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + idx[d];
  return flat;
}

/** Values of `shape` drawn from `values(n)`, constant along the dims a broadcast operand stores once. */
function logicalValues(op: Operand, values: (n: number, seed: number) => number[]): number[] {
  const base = op.layout === 'broadcast' ? op.shape.map((d, i) => (op.stored1[i] ? 1 : d)) : op.shape;
  const data = values(tl.sizeOf(base), op.seed);
  return Array.from({ length: tl.sizeOf(op.shape) }, (_, i) => data[ravel(unravel(i, op.shape).map((x, d) => (base[d] === 1 ? 0 : x)), base)]);
}

function hostTensor(values: readonly number[], shape: readonly number[], dtype: Expected['dtype'], device: string): tl.Tensor {
  return makeTensor({ shape: [...shape], dtype, data: [...values] }, device);
}

/** A tensor on `device` holding `values` (row-major over `op.shape`) in `op`'s layout. */
function build(op: Operand, values: readonly number[], dtype: tl.DType, device: string): tl.Tensor {
  const { shape } = op;
  const rank = shape.length;
  return tl.tidy(() => {
    if (op.layout === 'permuted' && rank >= 2) {
      // Storage in reversed dim order; permuting back gives the logical tensor with reversed strides.
      const perm = shape.map((_, i) => rank - 1 - i);
      const storedShape = perm.map((p) => shape[p]);
      const data = Array.from({ length: values.length }, (_, i) => {
        const s = unravel(i, storedShape);
        const logical = new Array<number>(rank);
        perm.forEach((p, k) => (logical[p] = s[k]));
        return values[ravel(logical, shape)];
      });
      return hostTensor(data, storedShape, dtype, device).permute(perm);
    }
    if (op.layout === 'sliced' && rank >= 1) {
      // Each dim padded by one element on both sides (filled with a value that would show),
      // then narrowed back: an offset and strides wider than the shape.
      const big = shape.map((d) => d + 2);
      const fillValue = dtype === 'bool' ? 1 : dtype === 'int32' ? 12345 : Number.NaN;
      const data = new Array<number>(tl.sizeOf(big)).fill(fillValue);
      values.forEach((v, i) => (data[ravel(unravel(i, shape).map((x) => x + 1), big)] = v));
      let t = hostTensor(data, big, dtype, device);
      shape.forEach((d, dim) => (t = t.narrow(dim, 1, d)));
      return t;
    }
    if (op.layout === 'broadcast') {
      const base = shape.map((d, i) => (op.stored1[i] ? 1 : d));
      const data = Array.from({ length: tl.sizeOf(base) }, (_, i) => values[ravel(unravel(i, base), shape)] ?? 0);
      return hostTensor(data, base, dtype, device).expand(shape);
    }
    return hostTensor(values, shape, dtype, device);
  });
}

/** Float values in `[lo, hi)`, stored as float32. */
const floatsIn = (lo: number, hi: number) => (n: number, seed: number) => randoms(n, seed, lo, hi);
const intsIn = (lo: number, hi: number) => (n: number, seed: number) => randoms(n, seed, lo, hi + 1).map(Math.floor);
const boolValues = (n: number, seed: number) => randoms(n, seed, 0, 2).map(Math.floor);

/** Values the fuzz draws for `dtype`: floats in the op's domain, small ints, bools. */
function valuesFor(dtype: tl.DType, domain: readonly [number, number] = [-3, 3]) {
  return dtype === 'int32' ? intsIn(-20, 20) : dtype === 'bool' ? boolValues : floatsIn(domain[0], domain[1]);
}

/**
 * Run `compute` on `device` and compare with `expected`; elsewhere than cpu, also with
 * the same computation on cpu. Everything made is freed.
 */
async function check(device: string, compute: (device: string) => tl.Tensor, expected: readonly number[], expectedShape: readonly number[], rtol: number, what: string): Promise<void> {
  const devices = device !== 'cpu' && tl.listBackends().includes('cpu') ? [device, 'cpu'] : [device];
  const results: number[][] = [];
  for (const d of devices) {
    const out = compute(d);
    try {
      if (out.device !== d) throw new Error(`${what}: result on ${out.device}, expected ${d}`);
      if (out.shape.join(',') !== expectedShape.join(',')) throw new Error(`${what} on ${d}: shape [${out.shape}], expected [${expectedShape}]`);
      results.push(Array.from(await out.data(), Number));
    } finally {
      out.dispose();
    }
  }
  expectNear(results[0], expected, rtol, `${what} on ${device}`);
  if (results[1]) expectNear(results[0], results[1], rtol, `${what}: ${device} against cpu`);
}

/** Run a property with the suite's seed and run count. */
function fuzz<T>(suite: Suite, name: string, arb: fc.Arbitrary<T>, body: (c: T) => Promise<void>, weight = 1): void {
  suite.test('fuzz', name, async () => {
    await fc.assert(fc.asyncProperty(arb, body), { seed: SEED, numRuns: Math.max(1, Math.round(RUNS * weight)), endOnFailure: true });
  }, 60_000);
}

/**
 * Composites and the float32 rounding of intermediates make public-API results drift more
 * than a lone kernel (the kernel suite holds those to the op table's tolerance).
 */
const FLOAT_RTOL = 1e-5;

export function fuzzTests(suite: Suite): void {
  const device = suite.device;
  const holds = (dtype: tl.DType): boolean => {
    try {
      return tl.isDTypeSupported(dtype, device);
    } catch {
      return dtype !== 'float16';
    }
  };
  const rtolFor = (dtype: tl.DType, facts?: number) => (dtype === 'float32' ? Math.max(facts ?? 0, FLOAT_RTOL) : 0);

  describe('fuzz (random shapes, layouts and values against references)', () => {
    for (const op of tl.UNARY_OPS) {
      const facts = tl.unaryFacts(op);
      for (const dtype of tl.kernelDTypes(facts).filter((d) => d !== 'float16' && holds(d))) {
        fuzz(suite, `unary ${op} ${dtype}`, operandArb(shapeArb()), async (x) => {
          const values = logicalValues(x, valuesFor(dtype, facts.domain)).map((v) => stored(v, dtype));
          const outDtype = tl.resultDType(facts.kind, dtype);
          const ref = dtype === 'int32' ? (facts.intReference ?? ((v: number) => facts.reference(v) | 0)) : dtype === 'bool' ? (facts.boolReference ?? facts.reference) : facts.reference;
          const fn = (tl as unknown as Record<string, (t: tl.Tensor) => tl.Tensor>)[op];
          await check(device, (d) => tl.tidy(() => fn(build(x, values, dtype, d))), values.map((v) => stored(ref(v), outDtype)), x.shape, rtolFor(outDtype, facts.tolerance), `${op} ${dtype} [${x.shape}] ${x.layout}`);
        }, 0.5);
      }
    }

    for (const op of tl.BINARY_OPS) {
      const facts = tl.binaryFacts(op);
      for (const dtype of tl.kernelDTypes(facts).filter((d) => d !== 'float16' && holds(d))) {
        // Two operands whose shapes broadcast to `out`: each a suffix of it with some dims 1.
        const arb = shapeArb().chain((out) =>
          fc.tuple(
            ...[0, 1].map(() =>
              fc.tuple(fc.nat({ max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })).chain(([drop, ones]) =>
                operandArb(fc.constant(out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)))),
              ),
            ),
          ).map(([a, b]) => ({ out, a, b })),
        );
        fuzz(suite, `binary ${op} ${dtype}`, arb, async ({ a, b }) => {
          const out = tl.broadcastShapes(a.shape, b.shape);
          const exponent = (n: number, seed: number): number[] => {
            if (dtype === 'int32' && facts.intOperandCheck === 'nonnegative') return intsIn(0, 6)(n, seed);
            if (dtype === 'int32' && facts.intOperandCheck === 'nonzero') return intsIn(1, 9)(n, seed).map((v, i) => (i % 2 ? -v : v));
            return valuesFor(dtype, facts.domain)(n, seed);
          };
          const as = logicalValues(a, valuesFor(dtype, facts.domain)).map((v) => stored(v, dtype));
          const bs = logicalValues(b, exponent).map((v) => stored(v, dtype));
          const outDtype = tl.resultDType(facts.kind, dtype);
          const ref = dtype === 'int32' ? (facts.intReference ?? ((p: number, q: number) => facts.reference(p, q) | 0)) : facts.reference;
          const expected = Array.from({ length: tl.sizeOf(out) }, (_, i) => {
            const idx = unravel(i, out);
            const at = (s: readonly number[]) => ravel(idx.slice(idx.length - s.length).map((x, d) => (s[d] === 1 ? 0 : x)), s);
            return stored(ref(as[at(a.shape)], bs[at(b.shape)]), outDtype);
          });
          const fn = (tl as unknown as Record<string, (p: tl.Tensor, q: tl.Tensor) => tl.Tensor>)[op];
          await check(device, (d) => tl.tidy(() => fn(build(a, as, dtype, d), build(b, bs, dtype, d))), expected, out, rtolFor(outDtype, facts.tolerance), `${op} ${dtype} [${a.shape}] ${a.layout} with [${b.shape}] ${b.layout}`);
        }, 0.5);
      }
    }

    const REDUCE = { sum: (v: number[]) => v.reduce((s, x) => s + x, 0), mean: (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length, max: (v: number[]) => Math.max(...v), min: (v: number[]) => Math.min(...v), prod: (v: number[]) => v.reduce((s, x) => s * x, 1) };
    // int32 products wrap as int32 multiplication does.
    const intProd = (v: number[]) => v.reduce((s, x) => Math.imul(s, x), 1);
    for (const [op, fold] of Object.entries(REDUCE) as [keyof typeof REDUCE, (v: number[]) => number][]) {
      for (const dtype of (op === 'mean' ? ['float32'] : ['float32', 'int32']) as tl.DType[]) {
        const arb = operandArb(shapeArb(1)).chain((x) =>
          fc.record({ x: fc.constant(x), dims: fc.subarray(x.shape.map((_, i) => i), { minLength: 1 }), keepdim: fc.boolean() }),
        );
        fuzz(suite, `reduce ${op} ${dtype}`, arb, async ({ x, dims, keepdim }) => {
          // max and min of an empty dim raise; those draws check the error instead.
          const empty = dims.some((d) => x.shape[d] === 0);
          const values = logicalValues(x, op === 'prod' ? (dtype === 'int32' ? intsIn(-2, 2) : floatsIn(0.5, 1.5)) : valuesFor(dtype)).map((v) => stored(v, dtype));
          const fn = (t: tl.Tensor) => (tl as unknown as Record<string, (t: tl.Tensor, d: number[], k: boolean) => tl.Tensor>)[op](t, dims, keepdim);
          if (empty && (op === 'max' || op === 'min')) {
            const t = build(x, values, dtype, device);
            try {
              expect(() => fn(t), `${op} of [${x.shape}] over [${dims}]`).toThrow(new RegExp(`${op}: cannot reduce`));
            } finally {
              t.dispose();
            }
            return;
          }
          const outShape = x.shape.map((d, i) => (dims.includes(i) ? 1 : d));
          const expected = Array.from({ length: tl.sizeOf(outShape) }, (_, o) => {
            const base = unravel(o, outShape);
            const line: number[] = [];
            for (let i = 0; i < values.length; i++) {
              const idx = unravel(i, x.shape);
              if (idx.every((v, d) => dims.includes(d) || v === base[d])) line.push(values[i]);
            }
            const r = dtype === 'int32' && op === 'prod' ? intProd(line) : fold(line);
            return dtype === 'int32' ? r | 0 : stored(r, 'float32');
          });
          const shape = keepdim ? outShape : x.shape.filter((_, i) => !dims.includes(i));
          await check(device, (d) => tl.tidy(() => fn(build(x, values, dtype, d))), expected, shape, dtype === 'int32' ? 0 : 1e-4, `${op} ${dtype} of [${x.shape}] ${x.layout} over [${dims}]${keepdim ? ' keepdim' : ''}`);
        });
      }
    }

    const matmulArb = fc
      .record({ m: fc.integer({ min: 1, max: 20 }), k: fc.integer({ min: 0, max: 40 }), n: fc.integer({ min: 1, max: 20 }), batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }) })
      .chain(({ m, k, n, batch }) =>
        fc.record({
          a: operandArb(fc.constant([...batch, m, k])),
          // b's batch dims are dropped or stored once, to broadcast.
          b: fc.nat({ max: batch.length }).chain((drop) => operandArb(fc.constant([...batch.slice(drop), k, n]))),
        }),
      );
    fuzz(suite, 'matmul float32', matmulArb, async ({ a, b }) => {
      const [m, k] = a.shape.slice(-2);
      const n = b.shape[b.shape.length - 1];
      const as = logicalValues(a, floatsIn(-1, 1));
      const bs = logicalValues(b, floatsIn(-1, 1));
      const batch = tl.broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const outShape = [...batch, m, n];
      const expected = Array.from({ length: tl.sizeOf(outShape) }, (_, o) => {
        const idx = unravel(o, outShape);
        const [i, j] = idx.slice(-2);
        const lead = idx.slice(0, -2);
        const base = (s: readonly number[]) => {
          const bd = s.slice(0, -2);
          return ravel(lead.slice(lead.length - bd.length).map((x, d) => (bd[d] === 1 ? 0 : x)), bd) * s[s.length - 2] * s[s.length - 1];
        };
        let acc = 0;
        for (let p = 0; p < k; p++) acc += as[base(a.shape) + i * k + p] * bs[base(b.shape) + p * n + j];
        return stored(acc, 'float32');
      });
      await check(device, (d) => tl.tidy(() => tl.matmul(build(a, as, 'float32', d), build(b, bs, 'float32', d))), expected, outShape, 1e-4, `matmul [${a.shape}] ${a.layout} by [${b.shape}] ${b.layout}`);
    }, 3);

    const indexedArb = operandArb(shapeArb(1, 3).filter((s) => s.every((d) => d > 0))).chain((x) =>
      fc.record({
        x: fc.constant(x),
        dim: fc.nat({ max: x.shape.length - 1 }),
        count: fc.integer({ min: 0, max: 6 }),
        seed: fc.integer({ min: 1, max: 1 << 20 }),
      }),
    );
    fuzz(suite, 'indexSelect and gather float32', indexedArb, async ({ x, dim, count, seed }) => {
      const values = logicalValues(x, floatsIn(-5, 5));
      const size = x.shape[dim];
      // Indices in range, negative ones excluded (PyTorch's gather and indexSelect refuse them).
      const picks = intsIn(0, size - 1)(count, seed);
      const selShape = x.shape.map((d, i) => (i === dim ? count : d));
      const selected = Array.from({ length: tl.sizeOf(selShape) }, (_, o) => {
        const idx = unravel(o, selShape);
        idx[dim] = picks[idx[dim]];
        return values[ravel(idx, x.shape)];
      });
      await check(device, (d) => tl.tidy(() => tl.indexSelect(build(x, values, 'float32', d), dim, hostTensor(picks, [count], 'int32', d))), selected, selShape, 0, `indexSelect [${x.shape}] ${x.layout} dim ${dim}`);
      // gather with an index of the selected shape (one pick per output element).
      const gatherIdx = intsIn(0, size - 1)(tl.sizeOf(selShape), seed + 1);
      const gathered = gatherIdx.map((p, o) => {
        const idx = unravel(o, selShape);
        idx[dim] = p;
        return values[ravel(idx, x.shape)];
      });
      await check(device, (d) => tl.tidy(() => tl.gather(build(x, values, 'float32', d), dim, hostTensor(gatherIdx, selShape, 'int32', d))), gathered, selShape, 0, `gather [${x.shape}] ${x.layout} dim ${dim}`);
    }, 2);

    const shapeOpArb = operandArb(shapeArb(1, 4)).chain((x) =>
      fc.record({
        x: fc.constant(x),
        perm: fc.shuffledSubarray(x.shape.map((_, i) => i), { minLength: x.shape.length, maxLength: x.shape.length }),
        flipDims: fc.subarray(x.shape.map((_, i) => i)),
        catDim: fc.nat({ max: x.shape.length - 1 }),
        dtype: fc.constantFrom<tl.DType>('float32', 'int32', 'bool'),
      }),
    );
    fuzz(suite, 'permute, flip, cat and reshape', shapeOpArb, async ({ x, perm, flipDims, catDim, dtype }) => {
      const values = logicalValues(x, valuesFor(dtype));
      const permShape = perm.map((p) => x.shape[p]);
      // permute, then flip, then a reshape to one dim (a copy of a strided view).
      const expected = Array.from({ length: values.length }, (_, o) => {
        const idx = unravel(o, permShape);
        const src = new Array<number>(x.shape.length);
        perm.forEach((p, k) => (src[p] = flipDims.includes(k) ? permShape[k] - 1 - idx[k] : idx[k]));
        return values[ravel(src, x.shape)];
      });
      await check(device, (d) => tl.tidy(() => build(x, values, dtype, d).permute(perm).flip(flipDims).reshape([-1])), expected, [values.length], 0, `permute [${perm}] flip [${flipDims}] reshape of [${x.shape}] ${x.layout} ${dtype}`);
      // cat of the tensor with a contiguous copy of itself along catDim.
      const catShape = x.shape.map((d, i) => (i === catDim ? 2 * d : d));
      const catted = Array.from({ length: tl.sizeOf(catShape) }, (_, o) => {
        const idx = unravel(o, catShape);
        idx[catDim] %= x.shape[catDim] || 1;
        return values[ravel(idx, x.shape)];
      });
      await check(device, (d) => tl.tidy(() => { const t = build(x, values, dtype, d); return tl.cat([t, t.contiguous()], catDim); }), catted, catShape, 0, `cat of [${x.shape}] ${x.layout} ${dtype} along ${catDim}`);
    }, 3);
  });
}
