/**
 * Tensile follows PyTorch step for step: the same PyTorch-initialised MLP, the same MNIST
 * batches in file order, 20 steps of SGD (momentum) and of Adam; every loss within 1e-4.
 * The PyTorch side is tools/trajectory_fixture.py (its output is committed).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { MNIST } from '@tensile/datasets';
import { Linear, ReLU, Sequential, functional as F, loadSafetensors } from '@tensile/nn';
import { Adam, SGD, type Optimizer } from '@tensile/optim';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(here, 'fixtures/trajectory.json'), 'utf8')) as {
  batch: number;
  steps: number;
  hidden: number;
  losses: Record<'sgd' | 'adam', number[]>;
};

function sharedDataDir(): string {
  if (process.env.TENSILE_DATA) return path.resolve(process.env.TENSILE_DATA);
  let dir = here;
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.resolve(dir, '../shared/data');
}
const data = sharedDataDir();
const present = existsSync(path.join(data, 'mnist', 'train-images-idx3-ubyte.gz'));
if (!present) {
  const message = `MNIST files not found in ${data}; set TENSILE_DATA to the directory containing mnist/`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping the PyTorch trajectory test: ${message}`);
}

const optimizers: Record<'sgd' | 'adam', (params: tl.Tensor[]) => Optimizer> = {
  sgd: (params) => new SGD(params, { lr: 0.1, momentum: 0.9 }),
  adam: (params) => new Adam(params, { lr: 1e-3 }),
};

describe.runIf(present)('20 MLP steps follow PyTorch', () => {
  for (const name of ['sgd', 'adam'] as const) {
    it(`${name}: every loss within 1e-4 of PyTorch's`, async () => {
      const train = await MNIST.load({ root: data, train: true });
      const init = await loadSafetensors(path.join(here, 'fixtures/trajectory-init.safetensors'));
      const model = new Sequential(new Linear(784, fixture.hidden), new ReLU(), new Linear(fixture.hidden, 10));
      model.loadStateDict(init.tensors);
      Object.values(init.tensors).forEach((t) => t.dispose());
      const optimizer = optimizers[name](model.parameters());
      const losses: number[] = [];
      for (let step = 0; step < fixture.steps; step++) {
        const indices = Array.from({ length: fixture.batch }, (_, i) => step * fixture.batch + i);
        const [images, labels] = train.getBatch(indices);
        const loss = tl.tidy(() => {
          const l = F.crossEntropy(model.forward(images.reshape([fixture.batch, 784])), labels);
          optimizer.zeroGrad();
          l.backward();
          optimizer.step();
          return l;
        });
        losses.push(Number(await loss.item()));
        [images, labels, loss].forEach((t) => t.dispose());
      }
      const worst = Math.max(...losses.map((l, i) => Math.abs(l - fixture.losses[name][i])));
      expect(worst).toBeLessThan(1e-4);
      // The run really trained: the loss fell.
      expect(losses[fixture.steps - 1]).toBeLessThan(losses[0] - 0.3);
      model.dispose();
    });
  }
});
