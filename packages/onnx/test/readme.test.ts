// The README's example, on the MLP fixture (the fixture's file stands for 'mlp.onnx').
import * as tl from '@tensile/core';
import '@tensile/backend-wasm';
import { SGD } from '@tensile/optim';
import { expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { fixturePath, fixturesMissing } from './fixtures.js';

it.skipIf(fixturesMissing() !== null)('the README example fine-tunes an imported MLP on wasm', async () => {
  await tl.setBackend('wasm');
  const model = await loadOnnx(fixturePath('mlp', 'model.onnx'));
  expect(model.namedParameters().map(([name]) => name)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  const x = tl.randn([4, 8]);
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    optimizer.zeroGrad();
    const loss = model.forward(x).square().mean();
    loss.backward();
    optimizer.step();
    losses.push(await loss.item());
  }
  expect(model.parameters()[0]!.device).toBe('wasm');
  expect(losses[19]!).toBeLessThan(losses[0]! * 0.5);
});
