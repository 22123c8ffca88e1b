/**
 * Checks that run inside a real browser page (bundled by test/browser.test.ts with
 * esbuild): core + backend-wasm only, references in plain JavaScript (@tensile/conformance/browser-references). The
 * page publishes `globalThis.__tensile = { done, results, threads, isolated }`.
 */
import * as tl from '@tensile/core';
import { getThreads, setThreads, startThreads, wasmFeatures } from '@tensile/backend-wasm';
import {
  checkOutcome, close, convOutSize, convVisit, equal, logSoftmaxColumns, maxPool2x2, naiveMatmul, seededData as data, softmaxRows,
  type CheckResult, type ConvShape,
} from '@tensile/conformance/browser-references';

const results: CheckResult[] = [];
const state = { done: false, results, threads: 0, isolated: false, variant: '' as string | null };
(globalThis as { __tensile?: typeof state }).__tensile = state;

function check(name: string, fn: () => true | string): void {
  try {
    const r = fn();
    results.push(checkOutcome(name, { returned: r }));
  } catch (e) {
    results.push(checkOutcome(name, { threw: e }));
  }
}

const device = 'wasm';
function t(values: number[], shape: number[], requiresGrad = false): tl.Tensor {
  const x = tl.tensor(Float32Array.from(values), { device }).reshape(shape);
  return requiresGrad ? x.requiresGrad_(true) : x;
}
const values = (x: tl.Tensor): number[] => Array.from(x.dataSync());

// ---- the checks ------------------------------------------------------------------------------

async function run(): Promise<void> {
  state.isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  state.variant = wasmFeatures.variant;
  setThreads(2);
  state.threads = await startThreads(10_000);
  check('threads: the pool runs 2 threads when cross-origin isolated, else 1', () =>
    state.threads === (state.isolated ? 2 : 1) && getThreads() === (state.isolated ? 2 : 1) ? true : `threads ${state.threads}, isolated ${state.isolated}`);
  check('relaxed SIMD is picked in Chromium', () => (wasmFeatures.variant === 'relaxed' ? true : `variant ${wasmFeatures.variant}`));

  for (const [m, k, n] of [[3, 5, 7], [64, 48, 80], [130, 70, 257], [256, 256, 256]]) {
    check(`matmul [${m}, ${k}] x [${k}, ${n}] vs naive`, () => {
      const a = data(m * k, m), b = data(k * n, n);
      return close(values(t(a, [m, k]).matmul(t(b, [k, n]))), naiveMatmul(a, b, m, k, n));
    });
  }
  check('matmul of transposed operands and a broadcast batch', () => {
    const a = data(2 * 40 * 30, 3), b = data(30 * 20, 4);
    const at = t(a, [2, 30, 40]).transpose(1, 2);
    const bt = t(b, [20, 30]).transpose(0, 1);
    const got = values(at.matmul(bt));
    const ref: number[] = [];
    for (let q = 0; q < 2; q++) {
      const aq = values(at.narrow(0, q, 1).reshape([40, 30]).mul(1));
      ref.push(...naiveMatmul(aq, values(bt.mul(1)), 40, 30, 20));
    }
    return close(got, ref);
  });

  for (const c of [
    { N: 2, C: 3, H: 9, W: 8, O: 4, kH: 3, kW: 3, stride: 1, pad: 1 },
    { N: 4, C: 2, H: 11, W: 11, O: 5, kH: 3, kW: 2, stride: 2, pad: 0 },
  ] as ConvShape[]) {
    const x = data(c.N * c.C * c.H * c.W, 7), w = data(c.O * c.C * c.kH * c.kW, 8);
    const [oH, oW] = convOutSize(c);
    const g = data(c.N * c.O * oH * oW, 9);
    const xt = t(x, [c.N, c.C, c.H, c.W], true), wt = t(w, [c.O, c.C, c.kH, c.kW], true);
    const y = tl.conv2d(xt, wt, undefined, { stride: c.stride, padding: c.pad });
    const label = `conv2d x [${c.N},${c.C},${c.H},${c.W}] w [${c.O},${c.C},${c.kH},${c.kW}] stride ${c.stride} pad ${c.pad}`;
    check(`${label}: forward`, () => {
      const ref = new Array<number>(c.N * c.O * oH * oW).fill(0);
      convVisit(c, (o, i, k) => (ref[o] += x[i] * w[k]));
      return close(values(y), ref);
    });
    y.mul(t(g, [...y.shape])).sum().backward();
    check(`${label}: input gradient`, () => {
      const ref = new Array<number>(x.length).fill(0);
      convVisit(c, (o, i, k) => (ref[i] += g[o] * w[k]));
      return close(values(xt.grad!), ref);
    });
    check(`${label}: weight gradient`, () => {
      const ref = new Array<number>(w.length).fill(0);
      convVisit(c, (o, i, k) => (ref[k] += g[o] * x[i]));
      return close(values(wt.grad!), ref);
    });
  }

  check('maxPool2d forward and gradient', () => {
    const x = data(2 * 3 * 6 * 6, 12);
    const xt = t(x, [2, 3, 6, 6], true);
    const y = tl.maxPool2d(xt, { kernelSize: 2 });
    y.sum().backward();
    const { out: ref, grad } = maxPool2x2(x, 2 * 3, 6);
    const r = close(values(y), ref);
    return r === true ? close(values(xt.grad!), grad) : r;
  });

  check('softmax along the last dim', () => {
    const x = data(6 * 10, 13, -5, 5);
    return close(values(t(x, [6, 10]).softmax(-1)), softmaxRows(x, 6, 10), 1e-5, 1e-7);
  });
  check('logSoftmax along dim 0', () => {
    const x = data(4 * 3, 14, -5, 5);
    return close(values(t(x, [4, 3]).logSoftmax(0)), logSoftmaxColumns(x, 4, 3), 1e-5, 1e-6);
  });

  const r = data(3 * 4 * 5, 15);
  const rt = t(r, [3, 4, 5]);
  const at = (i: number, j: number, k: number): number => r[(i * 4 + j) * 5 + k];
  check('sum over dims [0, 2]', () => {
    const ref = [0, 1, 2, 3].map((j) => { let s = 0; for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) s += at(i, j, k); return s; });
    return close(values(rt.sum([0, 2])), ref, 1e-5, 1e-6);
  });
  check('max over dim 1 of a transposed view', () => {
    const ref: number[] = [];
    for (let k = 0; k < 5; k++) for (let i = 0; i < 3; i++) ref.push(Math.max(...[0, 1, 2, 3].map((j) => at(i, j, k))));
    return equal(values(rt.permute([2, 0, 1]).max(2)), Float32Array.from(ref));
  });
  check('mean of everything', () => close([Number(rt.mean().itemSync())], [r.reduce((a, b) => a + b, 0) / r.length], 1e-5, 1e-6));
  check('argmax along dim 2', () => {
    const ref: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
      let best = 0;
      for (let k = 1; k < 5; k++) if (at(i, j, k) > at(i, j, best)) best = k;
      ref.push(best);
    }
    return equal(values(rt.argmax(2)), ref);
  });
  check('int32 sum, product and comparisons', () => {
    const ints = tl.tensor(Int32Array.from([3, -4, 5, 6, -7, 8]), { device }).reshape([2, 3]);
    const got = [...values(ints.sum(1)), ...values(ints.prod(0)), ...values(ints.gt(0)), ...values(ints.abs().max(1))];
    return equal(got, [4, 7, 18, 28, 40, 1, 0, 1, 1, 0, 1, 5, 8]);
  });
  check('views with ten dims', () => {
    const x = data(1024, 16);
    const shape = new Array<number>(10).fill(2);
    const y = values(t(x, shape).permute([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]).mul(2));
    const ref = y.map((_, i) => {
      let src = 0;
      for (let d = 0; d < 10; d++) src += ((i >> (9 - d)) & 1) << d;
      return 2 * x[src];
    });
    return close(y, ref, 1e-6, 0);
  });

  check('gather along dim 1', () => {
    const x = data(3 * 4, 17);
    const idx = [3, 0, 1, 1, 2, 2];
    const got = values(t(x, [3, 4]).gather(1, tl.tensor(Int32Array.from(idx), { device }).reshape([3, 2])));
    return equal(got, Float32Array.from(idx.map((j, p) => x[Math.floor(p / 2) * 4 + j])));
  });
  check('scatterAdd with repeated indices', () => {
    const got = values(tl.zeros([3], { device }).scatterAdd(0, tl.tensor(Int32Array.from([0, 0, 2]), { device }), tl.ones([3], { device })));
    return equal(got, [2, 0, 1]);
  });

  const be = tl.getBackend(device);
  for (const distribution of ['uniform', 'normal'] as const) {
    check(`Philox ${distribution} golden values equal core's randomElement`, () => {
      const key = { seed: 20240601, offset: 2 ** 32 - 3 };
      const buffer = be.alloc(64, 'float32');
      try {
        const view = { buffer, dtype: 'float32' as const, shape: [64], strides: [1], offset: 0 };
        be.random(distribution, key, view);
        const want = Float32Array.from({ length: 64 }, (_, i) => tl.randomElement(distribution, key.seed, key.offset + i));
        return equal(be.readSync!(view), want);
      } finally {
        be.free(buffer);
      }
    });
  }
  check('seeded rand is reproducible', () => {
    tl.manualSeed(7);
    const a = values(tl.rand([100], { device }));
    tl.manualSeed(7);
    return equal(values(tl.rand([100], { device })), a);
  });

  check('elementwise: exp, sigmoid, relu, where', () => {
    const x = data(50, 18, -4, 4);
    const xt = t(x, [50]);
    const got = [...values(xt.exp()), ...values(xt.sigmoid()), ...values(xt.relu()), ...values(tl.where(xt.gt(0), xt, t([0.5], [1])))];
    const ref = [...x.map(Math.exp), ...x.map((v) => 1 / (1 + Math.exp(-v))), ...x.map((v) => Math.max(v, 0)), ...x.map((v) => (v > 0 ? v : 0.5))];
    return close(got, ref, 1e-5, 1e-7);
  });

  check('a tiny MLP trains: the loss falls', () => {
    const xs = t(data(64 * 8, 19), [64, 8]);
    const labels = tl.tensor(Int32Array.from({ length: 64 }, (_, i) => (data(8, 100 + i).reduce((a, b) => a + b, 0) > 0 ? 1 : 0)), { device }).reshape([64, 1]);
    const w1 = t(data(8 * 16, 20, -0.35, 0.35), [8, 16], true), b1 = t(new Array(16).fill(0), [16], true);
    const w2 = t(data(16 * 2, 21, -0.25, 0.25), [16, 2], true), b2 = t([0, 0], [2], true);
    const params = [w1, b1, w2, b2];
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const loss = tl.tidy(() => {
        const logits = xs.matmul(w1).add(b1).relu().matmul(w2).add(b2);
        const l = logits.logSoftmax(1).gather(1, labels).mean().neg();
        l.backward();
        tl.noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!.mul(0.5)));
            p.grad = null;
          }
        });
        return l;
      });
      losses.push(Number(loss.itemSync()));
      loss.dispose();
    }
    return losses[59] < losses[0] * 0.8 ? true : `loss ${losses[0]} -> ${losses[59]}`;
  });

  check('a large matmul (threads take part) matches naive', () => {
    const n = 300;
    const a = data(n * n, 22), b = data(n * n, 23);
    return close(values(t(a, [n, n]).matmul(t(b, [n, n]))), naiveMatmul(a, b, n, n, n));
  });
}

run()
  .catch((e) => results.push(checkOutcome('run', { threw: e })))
  .finally(() => {
    state.done = true;
  });
