import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { expect, test } from 'vitest';
import { BatchNorm1d, Dropout, functional as F, Linear, ReLU, Sequential } from '../src/index.js';

test('memory stays flat over a few hundred training steps', () => {
  tl.manualSeed(0);
  const model = new Sequential(new Linear(4, 16), new BatchNorm1d(16), new ReLU(), new Dropout(0.1), new Linear(16, 3));
  const x = tl.randn([32, 4]);
  const y = tl.tidy(() => x.matmul(tl.randn([4, 3])).argmax(1));
  const step = (): number =>
    tl.tidy(() => {
      model.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y, { labelSmoothing: 0.05 });
      loss.backward();
      tl.noGrad(() => {
        for (const p of model.parameters()) p.assign(p.sub(p.grad!.mul(0.1)));
      });
      return Number(loss.itemSync());
    });
  const first = step();
  const tensors = tl.memory().numTensors;
  const buffers = tl.memory().numBuffers;
  let last = first;
  for (let i = 0; i < 300; i++) last = step();
  expect(tl.memory().numTensors).toBe(tensors);
  expect(tl.memory().numBuffers).toBe(buffers);
  expect(last).toBeLessThan(first * 0.6);
  model.eval();
  tl.tidy(() => model.forward(x)).dispose();
  expect(tl.memory().numTensors).toBe(tensors);
});
