/**
 * Benchmarks for a GPU machine: matmul GFLOP/s (1024..8192, TF32 and strict float32) and
 * one training step of a small CNN (forward, backward, SGD update) on MNIST-sized input.
 * scripts/bench_torch.py measures the same on PyTorch for comparison.
 *
 *   pnpm --filter @tensile/backend-cuda bench            # all
 *   pnpm --filter @tensile/backend-cuda bench matmul     # one part
 *
 * Prints one JSON object per result.
 */
import * as tl from '@tensile/core';
import { cudaAvailability, getBackendStats, setAllowTF32 } from './bench-support.js';

const parts = process.argv.slice(2);
const want = (name: string) => parts.length === 0 || parts.includes(name);

const status = cudaAvailability();
if (!status.available) {
  console.error(`bench: ${status.reason}`);
  process.exit(1);
}
await tl.setBackend('cuda');
const backend = tl.getBackend('cuda');
const sync = () => backend.sync!();

async function timeIt(fn: () => void, minSeconds = 1): Promise<number> {
  fn(); // warm-up (and first-use costs)
  await sync();
  let iterations = 0;
  const start = performance.now();
  do {
    fn();
    iterations++;
    if (iterations % 5 === 0) await sync();
  } while (performance.now() - start < minSeconds * 1000 || iterations < 3);
  await sync();
  return (performance.now() - start) / 1000 / iterations;
}

if (want('matmul')) {
  for (const tf32 of [true, false]) {
    setAllowTF32(tf32);
    for (const n of [1024, 2048, 4096, 8192]) {
      const a = tl.randn([n, n]);
      const b = tl.randn([n, n]);
      const seconds = await timeIt(() => tl.tidy(() => void a.matmul(b)));
      console.log(JSON.stringify({ bench: 'matmul', n, tf32, ms: +(seconds * 1e3).toFixed(3), gflops: +((2 * n ** 3) / seconds / 1e9).toFixed(1) }));
      a.dispose();
      b.dispose();
    }
  }
}

if (want('cnn')) {
  setAllowTF32(true);
  const batch = 256;
  const w1 = tl.randn([32, 1, 3, 3], { requiresGrad: true });
  const w2 = tl.randn([64, 32, 3, 3], { requiresGrad: true });
  const w3 = tl.randn([64 * 7 * 7, 10], { requiresGrad: true });
  const x = tl.randn([batch, 1, 28, 28]);
  const labels = tl.randint(0, 10, [batch, 1]);
  const params = [w1, w2, w3];
  const step = () =>
    tl.tidy(() => {
      let h = tl.conv2d(x, w1, null, { padding: 1 }).relu();
      h = tl.maxPool2d(h, { kernelSize: 2 });
      h = tl.conv2d(h, w2, null, { padding: 1 }).relu();
      h = tl.maxPool2d(h, { kernelSize: 2 });
      const logits = h.reshape([batch, -1]).matmul(w3);
      const loss = tl.logSoftmax(logits, -1).gather(1, labels).mean().neg();
      loss.backward();
      for (const p of params) {
        p.assign(p.sub(p.grad!.mul(1e-3)));
        p.grad = null;
      }
    });
  const seconds = await timeIt(step, 2);
  console.log(JSON.stringify({ bench: 'cnn-step', batch, ms: +(seconds * 1e3).toFixed(3), imagesPerSecond: Math.round(batch / seconds) }));
}

console.log(JSON.stringify({ memory: getBackendStats() }));
