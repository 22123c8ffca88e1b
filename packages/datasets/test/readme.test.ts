// The README's examples, kept runnable (with the shared MNIST files instead of a download, and
// the test-only loader hooks that let worker threads run the TypeScript sources).
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DataLoader, MNIST, TensorDataset, WeightedRandomSampler, compose, normalize, padSequence, randomAffine, randomSplit } from '../src/index.js';
import { haveSharedData, scopeEachTest, sharedDataDir } from './helpers.js';

scopeEachTest();

const worker = { imports: [new URL('./support/register-ts.mjs', import.meta.url).href] };

describe.runIf(haveSharedData())('README', () => {
  it('splits MNIST, augments it and loads it in two worker threads', async () => {
    const full = await MNIST.load({ train: true, root: sharedDataDir() });
    full.transform = compose([randomAffine(10, { translate: [0.1, 0.1] }), normalize(0.1307, 0.3081)]);
    const [train, val] = randomSplit(full, [0.9, 0.1], { seed: 42 });
    const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0, numWorkers: 2, worker });
    expect([train.length, val.length, loader.length]).toEqual([54000, 6000, 844]);
    const before = tl.memory().numTensors;
    for (let epoch = 0; epoch < 2; epoch++) {
      let steps = 0;
      for await (const [images, labels] of loader) {
        expect(images.shape).toEqual([64, 1, 28, 28]);
        expect(labels.dtype).toBe('int32');
        if (++steps === 20) break; // enough to show the loop; the whole epoch works the same
      }
      expect(tl.memory().numTensors).toBe(before);
    }
  });
});

describe('README', () => {
  it('balances classes with a WeightedRandomSampler and pads sequences per batch', async () => {
    const y = tl.tensor(Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1]), { dtype: 'int32' });
    const ds = new TensorDataset(tl.randn([8, 3]), y);
    const counts = [6, 2];
    const weights = Array.from(y.dataSync(), (c) => 1 / counts[c]);
    const balanced = new DataLoader(ds, { batchSize: 4, sampler: new WeightedRandomSampler(weights, 8, { seed: 0 }) });
    let ones = 0;
    for await (const [, labels] of balanced) ones += Array.from(labels.dataSync()).filter((v) => v === 1).length;
    expect(ones).toBeGreaterThan(0);
    const sentences = [tl.ones([3]), tl.ones([5]), tl.ones([2])];
    const padded = new DataLoader(sentences, { batchSize: 3, collateFn: (items) => padSequence(items, { batchFirst: true }) });
    const shapes: number[][] = [];
    for await (const batch of padded) shapes.push([...batch.shape]);
    expect(shapes).toEqual([[3, 5]]);
  });
});
