// Training-step throughput of the wasm backend: MLP 784-512-256-10 b128 and a small CNN
// b64 (conv 1->8, pool, conv 8->16, pool, linear 400->10), SGD with lr 0.01, plus memory
// over many steps. Run: pnpm --filter @tensile/backend-wasm bench:train [steps]
import * as tl from '@tensile/core';
import { getThreads, startThreads, wasmFeatures } from '../src/index.js';

await startThreads();

const device = process.env.TENSILE_BENCH_DEVICE ?? 'wasm';
const memorySteps = Number(process.argv[2] ?? 2000);

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

function param(shape: number[], fanIn: number, seed: number): tl.Tensor {
  const b = 1 / Math.sqrt(fanIn);
  const t = tl.tensor(uniform(shape.reduce((a, c) => a * c, 1), -b, b, seed), { device }).reshape(shape);
  t.requiresGrad_(true);
  return t;
}

function trainStep(params: tl.Tensor[], logits: () => tl.Tensor, labels: tl.Tensor): number {
  const loss = tl.tidy(() => {
    const l = logits().logSoftmax(1).gather(1, labels).mean().neg();
    l.backward();
    tl.noGrad(() => {
      for (const p of params) {
        p.assign(p.sub(p.grad!, 0.01));
        p.grad = null;
      }
    });
    return l;
  });
  const v = loss.itemSync();
  loss.dispose();
  return v;
}

function labelsOf(batch: number): tl.Tensor {
  return tl.tensor(Int32Array.from({ length: batch }, (_, i) => (i * 7) % 10), { device }).reshape([batch, 1]);
}

function mlp(): { step: () => number } {
  const x = tl.tensor(uniform(128 * 784, 0, 1, 1), { device }).reshape([128, 784]);
  const y = labelsOf(128);
  const sizes = [784, 512, 256, 10];
  const ws = sizes.slice(1).map((o, i) => param([sizes[i], o], sizes[i], 10 + i));
  const bs = sizes.slice(1).map((o, i) => param([o], sizes[i], 20 + i));
  const logits = () => {
    let h = x;
    ws.forEach((w, i) => {
      h = h.matmul(w).add(bs[i]);
      if (i < ws.length - 1) h = h.relu();
    });
    return h;
  };
  return { step: () => trainStep([...ws, ...bs], logits, y) };
}

function cnn(): { step: () => number } {
  const x = tl.tensor(uniform(64 * 784, 0, 1, 2), { device }).reshape([64, 1, 28, 28]);
  const y = labelsOf(64);
  const p = [param([8, 1, 3, 3], 9, 31), param([8], 9, 32), param([16, 8, 3, 3], 72, 33), param([16], 72, 34), param([400, 10], 400, 35), param([10], 400, 36)];
  const logits = () => {
    let h = tl.conv2d(x, p[0], p[1]).relu();
    h = tl.maxPool2d(h, { kernelSize: 2 });
    h = tl.conv2d(h, p[2], p[3]).relu();
    h = tl.maxPool2d(h, { kernelSize: 2 });
    return h.flatten(1).matmul(p[4]).add(p[5]);
  };
  return { step: () => trainStep(p, logits, y) };
}

function rate(name: string, run: { step: () => number }, seconds = 3): void {
  for (let i = 0; i < 5; i++) run.step();
  const t0 = performance.now();
  let steps = 0;
  while (performance.now() - t0 < seconds * 1000) {
    run.step();
    steps++;
  }
  console.log(`${name}: ${(steps / ((performance.now() - t0) / 1000)).toFixed(1)} steps/s`);
}

console.log(`device ${device}, variant ${wasmFeatures.variant}, threads ${getThreads()}`);
const m = mlp();
rate('MLP 784-512-256-10 b128 step', m);
rate('CNN b64 step', cnn());
if (memorySteps > 0) {
  const be = tl.getBackend(device);
  const at = (i: number) => `step ${i}: ${(be.memoryInfo().bytes / 1e6).toFixed(2)} MB live, ${((be.memoryInfo().cachedBytes ?? 0) / 1e6).toFixed(2)} MB cached, ${be.memoryInfo().buffers} buffers`;
  for (let i = 1; i <= memorySteps; i++) {
    m.step();
    if (i === 10 || i % 500 === 0) console.log(at(i));
  }
}
process.exit(0);
