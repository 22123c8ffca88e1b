import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
await tl.setBackend('cpu');
const n = 512;
const a = tl.randn([n, n]), b = tl.randn([n, n]);
function run(label) {
  const times = [];
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    const c = tl.matmul(a, b); c.dataSync(); c.dispose();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  console.log(label, (2 * n ** 3 / times[15] / 1e6).toFixed(2), 'GFLOP/s');
}
run('before');
if (process.env.TSC) await import('typescript');
if (process.env.TF) await import('@tensorflow/tfjs-core');
run('after');
run('after2');
