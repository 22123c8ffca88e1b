/**
 * Checks that run inside a real browser page on WebGPU (bundled by test/browser.test.ts
 * with esbuild): core + backend-webgpu only, references in plain JavaScript (@tensile/conformance/browser-references).
 * Shapes are small: Chromium's SwiftShader adapter runs at about 1 GFLOP/s.
 *
 * The page publishes `globalThis.__tensile = { done, results, adapter, backend }`.
 */
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import {
  checkOutcome, close, convOutSize, convVisit, equal, logSoftmaxColumns, maxPool2x2, naiveMatmul, seededData as data, softmaxRows,
  type CheckResult, type ConvShape,
} from '@tensile/conformance/browser-references';

const results: CheckResult[] = [];
const state = { done: false, results, adapter: null as string | null, backend: '' };
(globalThis as { __tensile?: typeof state }).__tensile = state;

async function check(name: string, fn: () => Promise<true | string>): Promise<void> {
  try {
    const r = await tl.tidy(() => fn()); // tidy frees what a synchronous part allocates; awaited values are read inside
    results.push(checkOutcome(name, { returned: r }));
  } catch (e) {
    results.push(checkOutcome(name, { threw: e }));
  }
}

function both(...rs: (true | string)[]): true | string {
  return rs.find((r) => r !== true) ?? true;
}

const device = 'webgpu';
function t(values: number[], shape: number[], requiresGrad = false): tl.Tensor {
  const x = tl.tensor(Float32Array.from(values), { device }).reshape(shape);
  return requiresGrad ? x.requiresGrad_(true) : x;
}
const ints = (values: number[], shape: number[] = [values.length]): tl.Tensor =>
  tl.tensor(Int32Array.from(values), { device }).reshape(shape);
const values = async (x: tl.Tensor): Promise<number[]> => Array.from(await x.data());

// ---- helpers ------------------------------------------------------------------------------

/** One SGD step of a 2-layer MLP on (xs, labels); returns the loss (kept out of tidy). */
function mlpStep(xs: tl.Tensor, labels: tl.Tensor, params: tl.Tensor[], lr: number): tl.Tensor {
  const [w1, b1, w2, b2] = params;
  return tl.tidy(() => {
    const logits = xs.matmul(w1).add(b1).relu().matmul(w2).add(b2);
    const l = logits.logSoftmax(1).gather(1, labels).mean().neg();
    l.backward();
    tl.noGrad(() => {
      for (const p of params) {
        p.assign(p.sub(p.grad!.mul(lr)));
        p.grad = null;
      }
    });
    return l;
  });
}

function mlpParams(inputs: number, hidden: number, seed: number): tl.Tensor[] {
  return [
    t(data(inputs * hidden, seed, -0.35, 0.35), [inputs, hidden], true),
    t(new Array(hidden).fill(0), [hidden], true),
    t(data(hidden * 2, seed + 1, -0.25, 0.25), [hidden, 2], true),
    t([0, 0], [2], true),
  ];
}

// ---- the checks ------------------------------------------------------------------------------

async function run(): Promise<void> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (adapter) {
    const info = (adapter as { info?: GPUAdapterInfo }).info;
    state.adapter = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter' : 'adapter';
  }
  await tl.setBackend('webgpu');
  state.backend = tl.currentBackendName();

  await check('tensors land on webgpu', async () => {
    const x = tl.ones([2, 2]);
    return x.device === 'webgpu' ? true : `device ${x.device}`;
  });

  for (const [m, k, n] of [[3, 5, 7], [64, 48, 80], [130, 70, 65], [128, 128, 128]]) {
    await check(`matmul [${m}, ${k}] x [${k}, ${n}] vs naive`, async () => {
      const a = data(m * k, m), b = data(k * n, n);
      return close(await values(t(a, [m, k]).matmul(t(b, [k, n]))), naiveMatmul(a, b, m, k, n));
    });
  }
  await check('matmul of transposed operands and a broadcast batch', async () => {
    const a = data(2 * 40 * 30, 3), b = data(30 * 20, 4);
    const at = t(a, [2, 30, 40]).transpose(1, 2);
    const bt = t(b, [20, 30]).transpose(0, 1);
    const got = await values(at.matmul(bt));
    const bRef: number[] = [];
    for (let p = 0; p < 30; p++) for (let j = 0; j < 20; j++) bRef.push(b[j * 30 + p]);
    const ref: number[] = [];
    for (let q = 0; q < 2; q++) {
      const aq: number[] = [];
      for (let i = 0; i < 40; i++) for (let p = 0; p < 30; p++) aq.push(a[(q * 30 + p) * 40 + i]);
      ref.push(...naiveMatmul(aq, bRef, 40, 30, 20));
    }
    return close(got, ref);
  });

  for (const c of [
    { N: 2, C: 3, H: 9, W: 8, O: 4, kH: 3, kW: 3, stride: 1, pad: 1 },
    { N: 3, C: 2, H: 11, W: 11, O: 5, kH: 3, kW: 2, stride: 2, pad: 0 },
  ] as ConvShape[]) {
    const label = `conv2d x [${c.N},${c.C},${c.H},${c.W}] w [${c.O},${c.C},${c.kH},${c.kW}] stride ${c.stride} pad ${c.pad}`;
    const x = data(c.N * c.C * c.H * c.W, 7), w = data(c.O * c.C * c.kH * c.kW, 8);
    const [oH, oW] = convOutSize(c);
    const g = data(c.N * c.O * oH * oW, 9);
    let xGrad: number[] = [], wGrad: number[] = [];
    await check(`${label}: forward`, async () => {
      const xt = t(x, [c.N, c.C, c.H, c.W], true), wt = t(w, [c.O, c.C, c.kH, c.kW], true);
      const y = tl.conv2d(xt, wt, undefined, { stride: c.stride, padding: c.pad });
      y.mul(t(g, [...y.shape])).sum().backward();
      const ref = new Array<number>(c.N * c.O * oH * oW).fill(0);
      convVisit(c, (o, i, k) => (ref[o] += x[i] * w[k]));
      xGrad = await values(xt.grad!);
      wGrad = await values(wt.grad!);
      xt.grad = null;
      wt.grad = null;
      return close(await values(y), ref);
    });
    await check(`${label}: input gradient`, async () => {
      const ref = new Array<number>(x.length).fill(0);
      convVisit(c, (o, i, k) => (ref[i] += g[o] * w[k]));
      return close(xGrad, ref);
    });
    await check(`${label}: weight gradient`, async () => {
      const ref = new Array<number>(w.length).fill(0);
      convVisit(c, (o, i, k) => (ref[k] += g[o] * x[i]));
      return close(wGrad, ref);
    });
  }

  await check('maxPool2d forward and gradient', async () => {
    const x = data(2 * 3 * 6 * 6, 12);
    const xt = t(x, [2, 3, 6, 6], true);
    const y = tl.maxPool2d(xt, { kernelSize: 2 });
    y.sum().backward();
    const { out: ref, grad } = maxPool2x2(x, 2 * 3, 6);
    const r = both(close(await values(y), ref), close(await values(xt.grad!), grad));
    xt.grad = null;
    return r;
  });

  await check('softmax along the last dim', async () => {
    const x = data(6 * 10, 13, -5, 5);
    return close(await values(t(x, [6, 10]).softmax(-1)), softmaxRows(x, 6, 10), 1e-5, 1e-7);
  });
  await check('logSoftmax along dim 0', async () => {
    const x = data(4 * 3, 14, -5, 5);
    return close(await values(t(x, [4, 3]).logSoftmax(0)), logSoftmaxColumns(x, 4, 3), 1e-5, 1e-6);
  });
  await check('softmax gradient (sum of weighted outputs)', async () => {
    const x = data(3 * 5, 31, -2, 2), wts = data(3 * 5, 32);
    const xt = t(x, [3, 5], true);
    xt.softmax(1).mul(t(wts, [3, 5])).sum().backward();
    const p = softmaxRows(x, 3, 5), ref: number[] = [];
    for (let r = 0; r < 3; r++) {
      const pr = p.slice(r * 5, r * 5 + 5), w = wts.slice(r * 5, r * 5 + 5);
      const dot = pr.reduce((a, v, i) => a + v * w[i], 0);
      ref.push(...pr.map((v, i) => v * (w[i] - dot)));
    }
    const r = close(await values(xt.grad!), ref, 1e-4, 1e-6);
    xt.grad = null;
    return r;
  });

  const r = data(3 * 4 * 5, 15);
  const at = (i: number, j: number, k: number): number => r[(i * 4 + j) * 5 + k];
  await check('sum over dims [0, 2]', async () => {
    const ref = [0, 1, 2, 3].map((j) => { let s = 0; for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) s += at(i, j, k); return s; });
    return close(await values(t(r, [3, 4, 5]).sum([0, 2])), ref, 1e-5, 1e-6);
  });
  await check('max over dim 2 of a permuted view', async () => {
    const ref: number[] = [];
    for (let k = 0; k < 5; k++) for (let i = 0; i < 3; i++) ref.push(Math.max(...[0, 1, 2, 3].map((j) => at(i, j, k))));
    return equal(await values(t(r, [3, 4, 5]).permute([2, 0, 1]).max(2)), Float32Array.from(ref));
  });
  await check('mean of everything, and a long sum (tree reduction)', async () => {
    const long = data(5000, 33);
    const got = [Number(await t(r, [3, 4, 5]).mean().item()), Number(await t(long, [5000]).sum().item())];
    return close(got, [r.reduce((a, b) => a + b, 0) / r.length, long.reduce((a, b) => a + b, 0)], 1e-4, 1e-4);
  });
  await check('var and std (unbiased) along dim 1', async () => {
    const x = data(4 * 6, 34);
    const ref: number[] = [];
    for (let i = 0; i < 4; i++) {
      const row = x.slice(i * 6, i * 6 + 6), m = row.reduce((a, b) => a + b, 0) / 6;
      ref.push(row.reduce((a, v) => a + (v - m) ** 2, 0) / 5);
    }
    const xt = t(x, [4, 6]);
    return both(close(await values(xt.var(1)), ref, 1e-4, 1e-6), close(await values(xt.std(1)), ref.map(Math.sqrt), 1e-4, 1e-6));
  });
  await check('argmax along dim 2', async () => {
    const ref: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
      let best = 0;
      for (let k = 1; k < 5; k++) if (at(i, j, k) > at(i, j, best)) best = k;
      ref.push(best);
    }
    return equal(await values(t(r, [3, 4, 5]).argmax(2)), ref);
  });
  await check('int32 sum, product and comparisons', async () => {
    const x = ints([3, -4, 5, 6, -7, 8], [2, 3]);
    const got = [...(await values(x.sum(1))), ...(await values(x.prod(0))), ...(await values(x.gt(0))), ...(await values(x.abs().max(1)))];
    return equal(got, [4, 7, 18, 28, 40, 1, 0, 1, 1, 0, 1, 5, 8]);
  });

  await check('gather along dim 1, and its gradient', async () => {
    const x = data(3 * 4, 17);
    const idx = [3, 0, 1, 1, 2, 2];
    const xt = t(x, [3, 4], true);
    const y = xt.gather(1, ints(idx, [3, 2]));
    y.sum().backward();
    const grad = new Array<number>(12).fill(0);
    idx.forEach((j, p) => (grad[Math.floor(p / 2) * 4 + j] += 1));
    const res = both(equal(await values(y), Float32Array.from(idx.map((j, p) => x[Math.floor(p / 2) * 4 + j]))), equal(await values(xt.grad!), grad));
    xt.grad = null;
    return res;
  });
  await check('scatterAdd with repeated indices', async () => {
    const src = data(6, 35);
    const got = await values(tl.zeros([2, 3], { device }).scatterAdd(1, ints([0, 0, 2, 1, 1, 1], [2, 3]), t(src, [2, 3])));
    return close(got, [src[0] + src[1], 0, src[2], 0, src[3] + src[4] + src[5], 0], 1e-6, 1e-7);
  });
  await check('indexSelect of rows', async () => {
    const x = data(4 * 3, 36);
    const got = await values(t(x, [4, 3]).indexSelect(0, ints([2, 0, 2])));
    return equal(got, Float32Array.from([...x.slice(6, 9), ...x.slice(0, 3), ...x.slice(6, 9)]));
  });

  await check('pad: zeros around a transposed view, then a crop', async () => {
    const x = data(2 * 3, 37);
    const xt = t(x, [2, 3]).transpose(0, 1); // [3, 2]: xt[i][j] = x[j*3+i]
    const got = await values(tl.pad(xt, [1, 0, 0, 1], 9));
    const ref: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) ref.push(i < 3 && j > 0 ? x[(j - 1) * 3 + i] : 9);
    const crop = await values(tl.pad(t(x, [2, 3]), [-1, 0]));
    return both(equal(got, Float32Array.from(ref)), equal(crop, Float32Array.from([x[1], x[2], x[4], x[5]])));
  });
  await check('cat of views along dims 0 and 1, and narrow', async () => {
    const a = data(2 * 3, 38), b = data(3 * 2, 39);
    const at2 = t(a, [2, 3]);
    const bt = t(b, [3, 2]).transpose(0, 1); // [2, 3]: bt[i][j] = b[j*2+i]
    const rows = await values(tl.cat([at2, bt], 0));
    const cols = await values(tl.cat([at2, bt.narrow(1, 1, 2)], 1));
    const bT = (i: number, j: number) => b[j * 2 + i];
    const refRows = [...a, ...[0, 1].flatMap((i) => [0, 1, 2].map((j) => bT(i, j)))];
    const refCols = [0, 1].flatMap((i) => [a[i * 3], a[i * 3 + 1], a[i * 3 + 2], bT(i, 1), bT(i, 2)]);
    return both(equal(rows, Float32Array.from(refRows)), equal(cols, Float32Array.from(refCols)));
  });
  await check('expand and broadcasting binary ops', async () => {
    const a = data(3, 40), b = data(4, 41);
    const got = await values(t(a, [3, 1]).expand([3, 4]).mul(t(b, [1, 4])).add(1));
    return close(got, [0, 1, 2].flatMap((i) => b.map((v) => a[i] * v + 1)), 1e-6, 1e-7);
  });

  const be = tl.getBackend(device);
  for (const distribution of ['uniform', 'normal'] as const) {
    await check(`Philox ${distribution} golden values equal core's randomElement`, async () => {
      const key = { seed: 20240601, offset: 2 ** 32 - 3 };
      const buffer = be.alloc(64, 'float32');
      try {
        const view = { buffer, dtype: 'float32' as const, shape: [64], strides: [1], offset: 0 };
        be.random(distribution, key, view);
        const want = Float32Array.from({ length: 64 }, (_, i) => tl.randomElement(distribution, key.seed, key.offset + i));
        const got = await be.read(view);
        // uniform is bit-exact; normal within 1e-5 (the GPU's log/sqrt differ in the last bits).
        return distribution === 'uniform' ? equal(got, want) : close(got, want, 0, 1e-5);
      } finally {
        be.free(buffer);
      }
    });
  }
  await check('seeded rand is reproducible', async () => {
    tl.manualSeed(7);
    const a = await values(tl.rand([100], { device }));
    tl.manualSeed(7);
    return equal(await values(tl.rand([100], { device })), a);
  });

  await check('elementwise: exp, sigmoid, relu, where', async () => {
    const x = data(50, 18, -4, 4);
    const xt = t(x, [50]);
    const got = [...(await values(xt.exp())), ...(await values(xt.sigmoid())), ...(await values(xt.relu())), ...(await values(tl.where(xt.gt(0), xt, t([0.5], [1]))))];
    const ref = [...x.map(Math.exp), ...x.map((v) => 1 / (1 + Math.exp(-v))), ...x.map((v) => Math.max(v, 0)), ...x.map((v) => (v > 0 ? v : 0.5))];
    return close(got, ref, 1e-5, 1e-7);
  });

  await check('a clear error on bad shapes, naming op and shapes', async () => {
    try {
      t(data(6, 42), [2, 3]).matmul(t(data(20, 43), [4, 5]));
      return 'no error thrown';
    } catch (e) {
      const msg = (e as Error).message;
      return msg.includes('matmul') && msg.includes('[2,3]') && msg.includes('[4,5]') ? true : `message: ${msg}`;
    }
  });
  await check('readSync is refused with a message naming the async form', async () => {
    try {
      tl.ones([2]).dataSync();
      return 'dataSync did not throw';
    } catch (e) {
      return /data\(\)/.test((e as Error).message) ? true : `message: ${(e as Error).message}`;
    }
  });

  await check('a tiny MLP trains: the loss falls', async () => {
    const xs = t(data(64 * 8, 19), [64, 8]);
    const labels = ints(Array.from({ length: 64 }, (_, i) => (data(8, 100 + i).reduce((a, b) => a + b, 0) > 0 ? 1 : 0)), [64, 1]);
    const params = mlpParams(8, 16, 20);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 60; step++) {
        const loss = mlpStep(xs, labels, params, 0.5);
        if (step === 0 || step === 59) losses.push(Number(await loss.item()));
        loss.dispose();
      }
    } finally {
      for (const p of params) p.dispose();
    }
    return losses[1] < losses[0] * 0.8 ? true : `loss ${losses[0]} -> ${losses[1]}`;
  });

  await check('memory stays flat over 200 training steps (tl.memory())', async () => {
    const xs = t(data(32 * 8, 44), [32, 8]);
    const labels = ints(Array.from({ length: 32 }, (_, i) => i % 2), [32, 1]);
    const params = mlpParams(8, 16, 45);
    try {
      let before: tl.MemoryInfo | null = null;
      for (let step = 0; step < 200; step++) {
        const loss = mlpStep(xs, labels, params, 0.1);
        if (step % 50 === 49 || step === 0) await loss.item();
        loss.dispose();
        if (step === 0) before = tl.memory();
      }
      const after = tl.memory();
      const b = before!.backends.webgpu, a = after.backends.webgpu;
      return a.tensors === b.tensors && a.bytes === b.bytes && a.buffers === b.buffers
        ? true
        : `after step 1: ${JSON.stringify(b)}; after step 200: ${JSON.stringify(a)}`;
    } finally {
      for (const p of params) p.dispose();
    }
  });
}

run()
  .catch((e) => results.push(checkOutcome('run', { threw: e })))
  .finally(() => {
    state.done = true;
  });
