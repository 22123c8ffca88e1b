import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { DataLoader } from '@tensile/datasets';
import { Adam } from '@tensile/optim';
import { describe, expect, it } from 'vitest';
import { buildModel, chooseBackend, evaluate, limited, loadData, trainEpoch } from '../src/train.js';

function sharedDataDir(): string {
  if (process.env.TENSILE_DATA) return path.resolve(process.env.TENSILE_DATA);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.resolve(dir, '../shared/data');
}

const data = sharedDataDir();
const present = existsSync(path.join(data, 'mnist', 'train-images-idx3-ubyte.gz'));
if (!present) {
  const message = `MNIST files not found in ${data}; set TENSILE_DATA to the directory containing mnist/`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping the MNIST example test: ${message}`);
}

describe.runIf(present)('MNIST example', () => {
  it('trains the MLP on 10k images for one epoch to >= 90% test accuracy with flat memory', async () => {
    await chooseBackend('cpu');
    const { train, test } = await loadData({ dataset: 'mnist', data });
    tl.manualSeed(0);
    const model = buildModel('mlp');
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const loader = new DataLoader(limited(train, 10_000), { batchSize: 64, shuffle: true, seed: 0 });
    const counts: number[] = [];
    const before = tl.memory().numTensors;
    const result = await trainEpoch(model, optimizer, loader, 'test epoch', { silent: true, onStep: () => counts.push(tl.memory().numTensors) });
    expect(result.images).toBe(10_000);
    // After the first step (which creates Adam's state), every step leaves the same number of live tensors.
    const steady = counts.slice(1, -1);
    expect(Math.max(...steady) - Math.min(...steady)).toBe(0);
    const afterEpoch = tl.memory().numTensors;
    const accuracy = await evaluate(model, test);
    expect(tl.memory().numTensors).toBe(afterEpoch);
    console.log(`MLP, 1 epoch on 10k images: test accuracy ${(accuracy * 100).toFixed(2)}%, ${result.imagesPerSecond.toFixed(0)} images/s`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    // A second epoch does not grow memory either.
    await trainEpoch(model, optimizer, new DataLoader(limited(train, 2_000), { batchSize: 64 }), 'again', { silent: true });
    expect(tl.memory().numTensors).toBe(afterEpoch);
    expect(before).toBeLessThanOrEqual(afterEpoch);
  });

  it('builds both models with the expected output shape', () => {
    tl.manualSeed(1);
    const x = tl.rand([2, 1, 28, 28]);
    for (const kind of ['mlp', 'cnn'] as const) {
      const y = tl.noGrad(() => buildModel(kind).forward(x));
      expect(y.shape).toEqual([2, 10]);
    }
  });
});
