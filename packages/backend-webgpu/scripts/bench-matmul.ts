// Matmul GFLOP/s on the webgpu backend: pnpm --filter @tensile/backend-webgpu bench:matmul
import * as tl from '@tensile/core';
import '../src/index.js';

await tl.setBackend('webgpu');
for (const n of [256, 512, 1024]) {
  const a = tl.randn([n, n]);
  const b = tl.randn([n, n]);
  await tl.matmul(a, b).data(); // compile and warm up
  const reps = n >= 1024 ? 3 : 5;
  const start = performance.now();
  const outs = Array.from({ length: reps }, () => tl.matmul(a, b));
  await outs[reps - 1].data();
  const seconds = (performance.now() - start) / 1000;
  console.log(`matmul ${n}: ${((2 * n ** 3 * reps) / seconds / 1e9).toFixed(2)} GFLOP/s`);
  outs.forEach((o) => o.dispose());
  a.dispose();
  b.dispose();
}
process.exit(0);
