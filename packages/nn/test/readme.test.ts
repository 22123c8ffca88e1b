// The README's example, kept runnable.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import '@tensile/backend-cpu';
import { expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linear, Module, ReLU, Sequential, functional as F, loadTorchCheckpoint, saveTorchCheckpoint } from '../src/index.js';

class MLP extends Module {
  body = new Sequential(new Linear(4, 32), new ReLU(), new Linear(32, 3));
  forward(x: Tensor): Tensor {
    return this.body.forward(x);
  }
}

test('README example trains and prints', () => {
  tl.manualSeed(0);
  const model = new MLP();
  const x = tl.randn([64, 4]);
  const y = tl.tidy(() => x.matmul(tl.randn([4, 3])).argmax(1));
  const losses: number[] = [];
  for (let step = 0; step < 50; step++) {
    const loss = tl.tidy(() => {
      model.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      tl.noGrad(() => {
        for (const p of model.parameters()) p.assign(p.sub(p.grad!.mul(0.5)));
      });
      return loss;
    });
    losses.push(Number(loss.itemSync()));
    loss.dispose();
  }
  expect(losses[49]).toBeLessThan(losses[0] * 0.5);
  expect(String(model)).toBe(
    'MLP(\n  (body): Sequential(\n    (0): Linear(in_features=4, out_features=32, bias=True)\n    (1): ReLU()\n' +
      '    (2): Linear(in_features=32, out_features=3, bias=True)\n  )\n)',
  );
  model.eval();
  const predictions = tl.tidy(() => model.forward(x).argmax(1));
  expect([...predictions.shape]).toEqual([64]);
});

test("README 'Saving and loading': a torch.save checkpoint round trip restores the model", async () => {
  tl.manualSeed(1);
  const model = new MLP();
  const dir = mkdtempSync(join(tmpdir(), 'tensile-readme-'));
  try {
    const saved = join(dir, 'mlp.pt');
    await saveTorchCheckpoint({ model: model.stateDict(), epoch: 50 }, saved);
    const { tensors, value } = await loadTorchCheckpoint(saved);
    const restored = new MLP();
    restored.loadStateDict(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k.replace(/^model\./, ''), t])));
    expect((value as { epoch: number }).epoch).toBe(50);
    const x = tl.randn([3, 4]);
    expect(Array.from(restored.forward(x).dataSync())).toEqual(Array.from(model.forward(x).dataSync()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
