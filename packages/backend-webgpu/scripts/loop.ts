// A long MLP training loop queued without reading, for soak-testing the runtime (it once
// crashed in Dawn when every dispatch made a fresh bind group; now they are cached):
//   EVERY=100000 npx tsx --conditions=@tensile/source scripts/loop.ts 4000
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
await tl.setBackend('webgpu');
const device = 'webgpu';
const x = tl.randn([16, 4]);
const y = tl.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 5) % 3), { device });
const params = [tl.randn([4, 8]).mul(0.3), tl.zeros([8]), tl.randn([8, 3]).mul(0.3), tl.zeros([3])];
params.forEach((p) => (p.requiresGrad = true));
const [w1, b1, w2, b2] = params;
for (let step = 1; step <= Number(process.argv[2] ?? 200); step++) {
  const loss = tl.tidy(() => {
    const hidden = x.matmul(w1).add(b1).relu();
    const logits = hidden.matmul(w2).add(b2);
    const nll = logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).mean().neg();
    nll.backward();
    tl.noGrad(() => { for (const p of params) { p.assign(p.sub(p.grad!.mul(0.1))); p.grad = null; } });
    return nll.detach();
  });
  if (process.env.GC) (globalThis as any).gc();
  if (step === 1 || step % Number(process.env.EVERY ?? 50) === 0) process.stderr.write(`${step} ${await loss.item()}\n`);
  loss.dispose();
}
process.exit(0);
