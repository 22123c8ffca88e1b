/**
 * The matmul, conv and pool families against plain loops: contiguous, transposed, sliced
 * and broadcast operands; the conv backward kernels as the adjoints of the forward one.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import * as ref from './reference.js';
import { CONTIGUOUS, expectNear, kernelTest, stored, transposed, Views, type Layout } from './views.js';

const MATMUL_SIZES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [65, 33, 17], [70, 300, 45], [129, 67, 260], [0, 3, 2], [2, 0, 3]];

interface ConvCase { x: [number, number, number, number]; o: number; k: [number, number]; params: tl.Conv2dParams }
const CONV_CASES: ConvCase[] = [
  { x: [2, 3, 7, 6], o: 4, k: [3, 3], params: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { x: [2, 3, 9, 8], o: 2, k: [3, 2], params: { stride: [2, 2], padding: [0, 0], dilation: [1, 1], groups: 1 } },
  { x: [1, 2, 6, 7], o: 3, k: [3, 3], params: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
  { x: [1, 2, 9, 9], o: 2, k: [3, 3], params: { stride: [1, 2], padding: [2, 1], dilation: [2, 2], groups: 1 } },
  { x: [2, 4, 6, 5], o: 6, k: [3, 1], params: { stride: [2, 1], padding: [1, 0], dilation: [1, 1], groups: 2 } },
  { x: [2, 6, 5, 5], o: 4, k: [1, 1], params: { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 2 } },
  { x: [2, 16, 12, 12], o: 32, k: [3, 3], params: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 } },
];

const POOL_CASES: tl.Pool2dParams[] = [
  { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], countIncludePad: true },
  { kernelSize: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 1], countIncludePad: true },
  { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], countIncludePad: false },
  { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], dilation: [2, 2], countIncludePad: true },
];

/** NHWC storage of an NCHW view: how channels-last activations arrive. */
const CHANNELS_LAST: Layout = { kind: 'permuted', perm: [0, 2, 3, 1] };

export function networkKernelTests(suite: Suite, backend: tl.Backend): void {
  const test = kernelTest(suite, backend);
  const floats = (['float32', 'float16'] as const).filter((d) => new Views(backend).supports(d));
  const tol = (dtype: tl.DType, float32: number) => (dtype === 'float16' ? 4e-3 : float32);

  describe('kernels: matmul', () => {
    for (const dtype of floats) {
      for (const [m, k, n] of MATMUL_SIZES) {
        test(`matmul ${dtype} ${m}x${k} by ${k}x${n}, contiguous, transposed and sliced operands`, async (v) => {
          const a = randoms(m * k, m + 1).map((x) => stored(x, dtype));
          const b = randoms(k * n, n + 2).map((x) => stored(x, dtype));
          const expected = ref.matmul(a, b, m, k, n);
          const layouts: [Layout, Layout][] = [
            [CONTIGUOUS, CONTIGUOUS],
            [transposed(2), transposed(2)],
            [{ kind: 'strided', strides: [k + 3, 1], offset: 2 }, transposed(2)],
          ];
          for (const [la, lb] of layouts) {
            const out = v.empty([m, n], dtype);
            v.backend.matmul(v.make(a, [m, k], dtype, la), v.make(b, [k, n], dtype, lb), out);
            expectNear(await v.read(out), expected, tol(dtype, 1e-5), `${la.kind} by ${lb.kind}`);
          }
        });
      }
      test(`matmul ${dtype} batched, with a broadcast (stride 0) batch dim`, async (v) => {
        const [batch, m, k, n] = [3, 40, 37, 45];
        const a = randoms(batch * m * k, 11).map((x) => stored(x, dtype));
        const b = randoms(k * n, 12).map((x) => stored(x, dtype));
        const expected = Array.from({ length: batch }, (_, i) => ref.matmul(a.slice(i * m * k, (i + 1) * m * k), b, m, k, n)).flat();
        const bBatch = v.make(Array.from({ length: batch }, () => b).flat(), [batch, k, n], dtype, { kind: 'strided', strides: [0, n, 1], offset: 0 });
        const out = v.empty([batch, m, n], dtype);
        v.backend.matmul(v.make(a, [batch, m, k], dtype), bBatch, out);
        expectNear(await v.read(out), expected, tol(dtype, 1e-5), 'batched');
      });
    }
  });

  describe('kernels: conv', () => {
    for (const dtype of floats) {
      for (const cc of CONV_CASES) {
        const { stride, padding, dilation, groups } = cc.params;
        const label = `conv2d ${dtype} x [${cc.x}] ${cc.k.join('x')} stride ${stride} padding ${padding} dilation ${dilation} groups ${groups}`;
        const xShape = cc.x;
        const wShape = [cc.o, cc.x[1] / groups, cc.k[0], cc.k[1]];
        const oShape = [
          cc.x[0], cc.o,
          ref.outSize(cc.x[2], cc.k[0], stride[0], padding[0], dilation[0]),
          ref.outSize(cc.x[3], cc.k[1], stride[1], padding[1], dilation[1]),
        ];
        const x = randoms(tl.sizeOf(xShape), 21).map((e) => stored(e, dtype));
        const w = randoms(tl.sizeOf(wShape), 22).map((e) => stored(e, dtype));

        test(`${label}: forward, contiguous and channels-last input and weight`, async (v) => {
          const expected = ref.conv2d(x, xShape, w, wShape, cc.params);
          for (const lx of [CONTIGUOUS, CHANNELS_LAST]) {
            for (const lw of [CONTIGUOUS, { kind: 'permuted', perm: [2, 3, 1, 0] } as Layout]) {
              const out = v.empty(oShape, dtype);
              v.backend.conv2d(v.make(x, xShape, dtype, lx), v.make(w, wShape, dtype, lw), out, cc.params);
              expectNear(await v.read(out), expected, tol(dtype, 1e-5), `input ${lx.kind}, weight ${lw.kind}`);
            }
          }
        });

        test(`${label}: the backward kernels are the adjoints of forward`, async (v) => {
          const dy = randoms(tl.sizeOf(oShape), 23).map((e) => stored(e, dtype));
          const y = ref.conv2d(x, xShape, w, wShape, cc.params);
          const dx = v.empty(xShape, dtype);
          v.backend.conv2dBackwardInput(v.make(dy, oShape, dtype, CHANNELS_LAST), v.make(w, wShape, dtype), dx, cc.params);
          const dw = v.empty(wShape, dtype);
          v.backend.conv2dBackwardWeight(v.make(x, xShape, dtype, CHANNELS_LAST), v.make(dy, oShape, dtype), dw, cc.params);
          // <conv(x, w), dy> = <x, dL/dx> = <w, dL/dw>: conv is bilinear.
          const target = ref.dot(y, dy);
          const limit = tol(dtype, 1e-4) * Math.max(1, Math.abs(target)) * (dtype === 'float16' ? 10 : 1);
          expect(Math.abs(ref.dot(x, await v.read(dx)) - target), 'input gradient').toBeLessThan(limit);
          expect(Math.abs(ref.dot(w, await v.read(dw)) - target), 'weight gradient').toBeLessThan(limit);
        });
      }
    }
  });

  describe('kernels: pool', () => {
    const shape = [2, 3, 7, 6];
    // Coarse values so windows have ties, which must resolve to the first maximum.
    const x = randoms(tl.sizeOf(shape), 31, 0, 4).map(Math.floor);
    for (const dtype of floats) {
      for (const p of POOL_CASES) {
        const oShape = [2, 3, ref.outSize(7, p.kernelSize[0], p.stride[0], p.padding[0], p.dilation[0]), ref.outSize(6, p.kernelSize[1], p.stride[1], p.padding[1], p.dilation[1])];
        for (const op of ['max', 'avg'] as const) {
          const label = `${op}Pool2d ${dtype} k ${p.kernelSize} s ${p.stride} p ${p.padding} d ${p.dilation} includePad ${p.countIncludePad}`;
          test(`${label}: forward and backward`, async (v) => {
            const expected = ref.pool2d(op, x, shape, p);
            const dy = randoms(tl.sizeOf(oShape), 32).map((e) => stored(e, dtype));
            for (const lx of [CONTIGUOUS, { kind: 'permuted', perm: [3, 1, 0, 2] } as Layout]) {
              const xv = v.make(x, shape, dtype, lx);
              const out = v.empty(oShape, dtype);
              v.backend.pool2d(op, xv, out, p);
              expectNear(await v.read(out), expected.out.map((e) => stored(e, dtype)), tol(dtype, 1e-6), `forward, ${lx.kind} input`);
              const dx = v.empty(shape, dtype);
              v.backend.pool2dBackward(op, xv, v.make(dy, oShape, dtype, { kind: 'permuted', perm: [1, 0, 2, 3] }), dx, p);
              if (op === 'max') {
                const grads = new Array<number>(x.length).fill(0);
                expected.argmax.forEach((at, i) => (grads[at] += dy[i]));
                expectNear(await v.read(dx), grads.map((e) => stored(e, dtype)), tol(dtype, 1e-6), `backward, ${lx.kind} input`);
              } else {
                // Average pooling is linear: its backward is its adjoint.
                const gap = Math.abs(ref.dot(x, await v.read(dx)) - ref.dot(expected.out, dy));
                expect(gap, `backward, ${lx.kind} input`).toBeLessThan(dtype === 'float16' ? 0.2 : 1e-3);
              }
            }
          });
        }
      }
    }
  });
}
