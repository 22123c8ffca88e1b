import { test } from 'vitest';
import { gemm } from '../src/kernels/matmul.js';

test('bench', () => {
  for (const s of [256, 512, 1024]) {
    const a = new Float32Array(s * s).map(() => Math.random());
    const b = new Float32Array(s * s).map(() => Math.random());
    const c = new Float32Array(s * s);
    const M = (d: Float32Array) => ({ data: d, offset: 0, rowStride: s, colStride: 1 });
    gemm(s, s, s, M(a), M(b), M(c), false);
    let best = Infinity;
    for (let r = 0; r < (s > 600 ? 3 : 6); r++) {
      const t0 = performance.now();
      gemm(s, s, s, M(a), M(b), M(c), false);
      best = Math.min(best, performance.now() - t0);
    }
    console.log(s, (2 * s ** 3 / best / 1e6).toFixed(2), 'GFLOP/s', best.toFixed(1), 'ms');
  }
});
