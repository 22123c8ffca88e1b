// The README's examples: fine-tuning on the MLP fixture (its file stands for 'mlp.onnx'), and exporting.
import * as tl from '@tensile/core';
import '@tensile/backend-wasm';
import { SGD } from '@tensile/optim';
import { expect, it } from 'vitest';
import * as nn from '@tensile/nn';
import { exportOnnx, loadOnnx } from '../src/index.js';
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

it('the README export example writes a file onnxruntime-node runs with the same outputs', async () => {
  const ort = (await import('onnxruntime-node')).default;
  await tl.setBackend('wasm');
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 3));
  const bytes = await exportOnnx(model, [tl.randn([1, 8])], {
    inputNames: ['features'],
    outputNames: ['logits'],
    dynamicAxes: { features: { 0: 'batch' }, logits: { 0: 'batch' } },
  });
  const session = await ort.InferenceSession.create(bytes);
  const x = tl.randn([5, 8]);
  const { logits } = await session.run({ features: new ort.Tensor('float32', x.dataSync() as Float32Array, [5, 8]) });
  expect(logits.dims).toEqual([5, 3]);
  const want = tl.noGrad(() => model.eval().forward(x)).dataSync();
  Array.from(logits.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
});
