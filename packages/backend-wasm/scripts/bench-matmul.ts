// Matmul GFLOP/s of the wasm backend at 512 and 1024, with 1 and 2 threads.
// Run: pnpm --filter @tensile/backend-wasm bench:matmul
import * as tl from '@tensile/core';
import { getThreads, setThreads, startThreads, wasmFeatures } from '../src/index.js';

console.log(`variant ${wasmFeatures.variant}, default threads ${getThreads()}`);
for (const threads of [1, 2]) {
  setThreads(threads);
  await startThreads();
  for (const n of [512, 1024]) {
    const a = tl.randn([n, n], { device: 'wasm' });
    const b = tl.randn([n, n], { device: 'wasm' });
    for (let i = 0; i < 3; i++) a.matmul(b).dispose();
    const reps = n === 512 ? 30 : 8;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) a.matmul(b).dispose();
    const s = (performance.now() - t0) / 1000 / reps;
    console.log(`threads ${threads} n ${n}: ${((2 * n ** 3) / s / 1e9).toFixed(1)} GFLOP/s (${(s * 1000).toFixed(2)} ms)`);
    a.dispose();
    b.dispose();
  }
}
process.exit(0);
