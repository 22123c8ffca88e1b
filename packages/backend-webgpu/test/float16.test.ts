// float16 tensors on the webgpu backend (adapters with 'shader-f16'): storage round trips,
// the rounding of the shaders' stores, the paths the shared kernel suite does not run in
// float16 (packed binary maps with a broadcast row, argmax/argmin, the fused softmax, casts
// and copies through the public ops) against the same op on float32 tensors holding the same
// values (then rounded to half), and a short training loop. The unary, reduce, matmul, conv,
// pool, gather and scatterAdd kernels in float16 are checked by the kernel suite
// (packages/conformance/src/kernels) against the op table's references.
import * as tl from '@tensile/core';
import { roundToFloat16, type Tensor } from '@tensile/core';
import { settleGarbage } from '@tensile/conformance';
import { describe, expect, it } from 'vitest';
import { findGPU, type WebGPUBackend } from '../src/index.js';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();
const adapter = unavailable ? null : await (await findGPU()).requestAdapter({ powerPreference: 'high-performance' });
const adapterHasF16 = adapter?.features.has('shader-f16') ?? false;

const device = 'webgpu';

/** Deterministic values in [lo, hi), rounded to float16 (a linear congruential generator). */
function halves(n: number, seed: number, lo = -2, hi = 2): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return roundToFloat16(lo + ((hi - lo) * s) / 2 ** 32);
  });
}

/** A float32 tensor and a float16 one holding the same (half-representable) values. */
function pair(shape: number[], seed: number, lo?: number, hi?: number): [Tensor, Tensor] {
  const values = halves(shape.reduce((a, b) => a * b, 1), seed, lo, hi);
  const f32 = tl.tensor(values, { device }).reshape(shape);
  return [f32, f32.half()];
}

/**
 * `half` (float16) equals `reference` (the op on float32) rounded to half, within about two
 * half ulps: rtol 2e-3, atol 1e-3 times the largest magnitude.
 */
async function expectHalfOf(half: Tensor, reference: Tensor, rtol = 2e-3): Promise<void> {
  expect(half.dtype).toBe('float16');
  expect(half.shape).toEqual(reference.shape);
  const got = Array.from(await half.data());
  const want = Array.from(await reference.data(), roundToFloat16);
  const scale = Math.max(1e-30, ...want.filter(Number.isFinite).map(Math.abs));
  const bad = got.findIndex((g, i) => {
    const w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) return !Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w));
    return !(Math.abs(g - w) <= rtol * Math.abs(w) + 1e-3 * scale);
  });
  expect(bad, bad < 0 ? '' : `element ${bad}: got ${got[bad]}, expected ${want[bad]} (float32 ${(await reference.data())[bad]})`).toBe(-1);
}

/** Run `op` on float32 inputs and on their float16 copies, and compare. */
async function compare(inputs: [Tensor, Tensor][], op: (...xs: Tensor[]) => Tensor, rtol?: number): Promise<void> {
  const reference = op(...inputs.map(([f32]) => f32));
  const half = op(...inputs.map(([, f16]) => f16));
  await expectHalfOf(half, reference, rtol);
}

const exact = (values: ArrayLike<number>) => Array.from(values, roundToFloat16);
/** Values that exercise rounding: ties to even, subnormals, the largest half, overflow, NaN. */
const TRICKY = [
  0, -0, 1, -1, 0.1, -0.3, 3.14159, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -25,
  5.96e-8, 1e-6, -1e-6, 1e-9, 65504, -65504, 65519, 65520, 1e6, -1e6, Infinity, -Infinity, NaN,
];

describe.runIf(!unavailable)('float16 on webgpu: support', () => {
  it(`isDTypeSupported('float16', 'webgpu') follows the adapter's 'shader-f16' (${adapterHasF16 ? 'present' : 'absent'} here)`, () => {
    expect(tl.isDTypeSupported('float16', device)).toBe(adapterHasF16);
    for (const d of ['float32', 'int32', 'bool'] as const) expect(tl.isDTypeSupported(d, device)).toBe(true);
    if (!adapterHasF16) expect(() => tl.zeros([2], { dtype: 'float16', device })).toThrow(/float16 tensors are not supported/);
  });
});

if (unavailable) {
  describe('float16 on webgpu', () => {
    it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});
  });
}

describe.runIf(adapterHasF16)('float16 on webgpu', () => {
  describe('storage', () => {
    it('round-trips values rounded as roundToFloat16 (subnormals, ±65504, overflow, NaN)', async () => {
      const t = tl.tensor(TRICKY, { dtype: 'float16', device });
      const got = Array.from(await t.data());
      exact(TRICKY).forEach((w, i) => expect(Object.is(got[i], w) || (Number.isNaN(got[i]) && Number.isNaN(w)), `${TRICKY[i]}: ${got[i]}`).toBe(true));
    });

    it('shaders round to nearest even bit for bit (float32 -> float16 casts on the GPU)', async () => {
      const bits = new Uint32Array(20_000);
      let s = 7;
      for (let i = 0; i < bits.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const exponent = 97 + (s % 48); // 2^-30 .. 2^17: zeros, subnormals, normals, overflow
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        bits[i] = ((s & 0x80000000) | (exponent << 23) | (s & 0x7fffff)) >>> 0;
      }
      const values = [...TRICKY, ...new Float32Array(bits.buffer)];
      const got = Array.from(await tl.tensor(values, { device }).half().data());
      const want = exact(values);
      const bad = got.findIndex((g, i) => !(Object.is(g, want[i]) || (Number.isNaN(g) && Number.isNaN(want[i]))));
      expect(bad, bad < 0 ? '' : `${values[bad]}: got ${got[bad]}, expected ${want[bad]}`).toBe(-1);
    });

    it('fill rounds its value; float16 takes 2 bytes per element', async () => {
      expect(Array.from(await tl.full([3], 0.1, { dtype: 'float16', device }).data())).toEqual(exact([0.1, 0.1, 0.1]));
      expect(Array.from(await tl.full([2], 70000, { dtype: 'float16', device }).data())).toEqual([Infinity, Infinity]);
      const backend = tl.getBackend(device);
      const before = backend.memoryInfo().bytes;
      const t = tl.zeros([1024], { dtype: 'float16', device });
      expect(backend.memoryInfo().bytes - before).toBe(2048);
      t.dispose();
    });

    it('an odd-length write keeps the element after it', async () => {
      const backend = tl.getBackend(device) as WebGPUBackend;
      const buffer = backend.alloc(6, 'float16');
      const view = { buffer, dtype: 'float16' as const, shape: [6], strides: [1], offset: 0 };
      backend.write(buffer, Float32Array.from([1, 2, 3, 4, 5, 6]));
      backend.write(buffer, Float32Array.from([-1, -2, -3]));
      expect(Array.from(await backend.read(view))).toEqual([-1, -2, -3, 4, 5, 6]);
      expect(Array.from(await backend.read({ ...view, shape: [3], strides: [2], offset: 1 }))).toEqual([-2, 4, 6]);
      backend.free(buffer);
    });
  });

  describe('elementwise', () => {
    it('binary ops: same shape (packed), a broadcast row (bias), a broadcast column, odd sizes', async () => {
      const a = pair([6, 16], 2), b = pair([6, 16], 3), row = pair([16], 4), col = pair([6, 1], 5);
      await compare([a, b], (x, y) => x.add(y));
      await compare([a, row], (x, y) => x.add(y));
      await compare([a, col], (x, y) => x.mul(y));
      await compare([a, b], (x, y) => x.div(y.abs().add(0.25)));
      await compare([a, b], (x, y) => x.abs().add(0.5).pow(y));
      await compare([a, b], (x, y) => x.maximum(y).sub(x.minimum(y)));
      await compare([pair([7, 5], 6), pair([5], 7)], (x, y) => x.sub(y));
    });

    it('comparisons give bool; where picks float16', async () => {
      const [a32, a16] = pair([5, 9], 8), [b32, b16] = pair([5, 9], 9);
      const lt = a16.lt(b16);
      expect(lt.dtype).toBe('bool');
      expect(Array.from(await lt.data())).toEqual(Array.from(await a32.lt(b32).data()));
      await expectHalfOf(tl.where(a16.gt(0), a16, b16), tl.where(a32.gt(0), a32, b32));
    });

    it('casts between float16 and float32, int32 and bool', async () => {
      const values = [0, -0.75, 1.5, 2.5, -2.5, 1000.9, 2049, 2051, 65504, -65504, -70000, NaN];
      const h = tl.tensor(values, { dtype: 'float16', device });
      const hv = exact(values);
      expect(Array.from(await h.float().data())).toEqual(hv);
      // Finite values only: float -> int of Infinity or NaN is undefined (as in PyTorch).
      expect(Array.from(await h.narrow(0, 0, 10).int().data())).toEqual(hv.slice(0, 10).map((v) => Math.trunc(v) | 0));
      expect(Array.from(await h.bool().data())).toEqual(hv.map((v) => (v !== 0 ? 1 : 0)));
      const ints = tl.tensor(Int32Array.from([0, -3, 2049, 2051, 65504, 65519, 65520, -100000]), { device });
      expect(Array.from(await ints.half().data())).toEqual(exact([0, -3, 2049, 2051, 65504, 65519, 65520, -100000]));
      expect(Array.from(await tl.tensor([true, false], { device }).half().data())).toEqual([1, 0]);
    });

    it('copies of strided views (contiguous, narrow, cat)', async () => {
      const x = pair([9, 14], 10);
      await compare([x], (t) => t.transpose(0, 1).contiguous());
      await compare([x], (t) => t.narrow(1, 3, 7).contiguous());
      await compare([x], (t) => tl.cat([t, t.narrow(0, 2, 3)], 0));
    });
  });

  describe('reductions', () => {
    it('argmax and argmin give int32', async () => {
      const [x32, x16] = pair([30, 17], 14);
      expect(x16.argmax(1).dtype).toBe('int32');
      expect(Array.from(await x16.argmax(1).data())).toEqual(Array.from(await x32.argmax(1).data()));
      expect(Array.from(await x16.argmin(0).data())).toEqual(Array.from(await x32.argmin(0).data()));
    });

    it('softmax and logSoftmax (workgroup and thread-per-line kernels, a strided axis)', async () => {
      const x = pair([5, 37], 15, -6, 6), many = pair([130, 10], 16, -6, 6);
      await compare([x], (t) => t.softmax(1));
      await compare([x], (t) => t.logSoftmax(1));
      await compare([x], (t) => t.softmax(0));
      await compare([many], (t) => t.softmax(1));
      await compare([many], (t) => t.logSoftmax(-1));
    });

    it('norms and distances accumulate in float32: sums of squares past 65504 stay finite', async () => {
      const big = pair([40, 50], 17, 20, 90); // row sums of squares ≈ 2e5, the total ≈ 8e6
      for (const ord of [2, 1, 3, 0, Infinity, -Infinity]) await compare([big], (t) => tl.linalg.vectorNorm(t, ord, -1));
      await compare([big], (t) => tl.linalg.vectorNorm(t));
      await compare([big], (t) => t.norm());
      for (const ord of ['fro', 1, -1, Infinity] as const) await compare([big], (t) => tl.linalg.matrixNorm(t, ord));
      await compare([big, pair([30, 50], 18, -90, 20)], (a, b) => tl.cdist(a, b));
      await compare([big, pair([30, 50], 19, -90, 20)], (a, b) => tl.cdist(a, b, 1));
    });
  });

  it('a float16 MLP trains: the loss falls and memory stays flat', async () => {
    const n = 64, features = 8, hidden = 16, classes = 3;
    const x = tl.tensor(halves(n * features, 40), { dtype: 'float16', device }).reshape([n, features]);
    // Labels from a fixed linear teacher, so there is something to learn.
    const teacher = tl.tensor(halves(features * classes, 41), { device }).reshape([features, classes]);
    const y = tl.tidy(() => x.float().matmul(teacher).argmax(1));
    const init = (shape: number[], seed: number, s: number) =>
      tl.tensor(halves(shape.reduce((a, b) => a * b, 1), seed, -s, s), { dtype: 'float16', device, requiresGrad: true }).reshape(shape).detach();
    const params = [init([features, hidden], 42, 0.5), tl.zeros([hidden], { dtype: 'float16', device }), init([hidden, classes], 43, 0.5), tl.zeros([classes], { dtype: 'float16', device })];
    params.forEach((p) => (p.requiresGrad = true));
    const [w1, b1, w2, b2] = params;
    const losses: number[] = [];
    let at50: tl.MemoryInfo | null = null;
    for (let step = 1; step <= 300; step++) {
      const loss = tl.tidy(() => {
        const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
        const nll = logits.logSoftmax(1).gather(1, y.unsqueeze(1)).mean().neg();
        nll.backward();
        tl.noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!, 0.5));
            p.grad = null;
          }
        });
        return nll.detach();
      });
      expect(loss.dtype).toBe('float16');
      if (step === 1 || step === 300) losses.push(Number(await loss.item()));
      loss.dispose();
      // Earlier tests leave handles to the GC net; let them go before taking the count.
      if (step === 50) {
        await settleGarbage();
        at50 = tl.memory();
      }
    }
    await settleGarbage();
    const at300 = tl.memory();
    expect([at300.numTensors, at300.numBytes, at300.numBuffers]).toEqual([at50!.numTensors, at50!.numBytes, at50!.numBuffers]);
    expect(losses[1]).toBeLessThan(losses[0] * 0.5);
    [x, y, teacher, ...params].forEach((t) => t.dispose());
  }, 120_000);
});
