/** The pieces of the MNIST example, shared by the command line (main.ts) and the test. */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { DataLoader, FashionMNIST, MNIST, ProgressBar, Subset, normalize, type Dataset } from '@tensile/datasets';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, functional as F, type Module } from '@tensile/nn';
import { Adam } from '@tensile/optim';

export type ModelKind = 'mlp' | 'cnn';
export type DatasetKind = 'mnist' | 'fashion';

/** Optional accelerated backends, best first; each registers itself when imported. */
const OPTIONAL_BACKENDS = ['@tensile/backend-cuda', '@tensile/backend-webgpu', '@tensile/backend-wasm'];

/**
 * Make `name` (or, without one, the best backend that starts) the default device. Optional
 * backend packages are imported if they are installed; cpu is always there.
 */
export async function chooseBackend(name?: string, log: (line: string) => void = () => {}): Promise<string> {
  const failures: string[] = [];
  for (const pkg of OPTIONAL_BACKENDS) {
    if (name && !pkg.endsWith(`-${name}`)) continue;
    try {
      await import(pkg);
    } catch (error) {
      failures.push(`${pkg}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (name) {
    try {
      await tl.setBackend(name);
    } catch (error) {
      throw new Error(`backend '${name}' is not available: ${(error as Error).message}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
    }
    return name;
  }
  for (const candidate of tl.listBackends()) {
    try {
      await tl.setBackend(candidate);
      return candidate;
    } catch (error) {
      log(`backend ${candidate} did not start: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error('no backend could start');
}

/** MNIST's pixel statistics (also fine for Fashion-MNIST). */
const MEAN = 0.1307;
const STD = 0.3081;

export interface DataOptions {
  dataset?: DatasetKind;
  /** Directory with mnist/ and fashion-mnist/ (or the files); else TENSILE_DATA, else the cache. */
  data?: string;
  download?: boolean;
}

export async function loadData(options: DataOptions = {}) {
  const Kind = options.dataset === 'fashion' ? FashionMNIST : MNIST;
  const common = { root: options.data, download: options.download, transform: normalize(MEAN, STD) };
  const [train, test] = await Promise.all([Kind.load({ ...common, train: true }), Kind.load({ ...common, train: false })]);
  return { train, test };
}

/** The first `limit` items of `dataset` (all of them without a limit). */
export function limited<T>(dataset: Dataset<T>, limit?: number): Dataset<T> {
  if (!limit || limit >= dataset.length) return dataset;
  return new Subset(dataset, Array.from({ length: limit }, (_, i) => i));
}

/**
 * MLP: 784-512-256-10 with ReLU. CNN: conv 1->32 3x3, relu, maxpool 2, conv 32->64 3x3, relu,
 * maxpool 2, flatten, linear 1600->128, relu, linear 128->10.
 */
export function buildModel(kind: ModelKind): Module & { forward(x: tl.Tensor): tl.Tensor } {
  if (kind === 'mlp') {
    return new Sequential(new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 256), new ReLU(), new Linear(256, 10));
  }
  return new Sequential(
    new Conv2d(1, 32, 3), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 3), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(1600, 128), new ReLU(), new Linear(128, 10),
  );
}

export interface EpochResult {
  loss: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** One epoch of training with Adam; the progress bar goes to stderr. */
export async function trainEpoch(
  model: Module & { forward(x: tl.Tensor): tl.Tensor },
  optimizer: Adam,
  loader: DataLoader<unknown>,
  label: string,
  options: { silent?: boolean; onStep?: () => void } = {},
): Promise<EpochResult> {
  model.train();
  const bar = new ProgressBar({ total: loader.length, label, silent: options.silent });
  const start = performance.now();
  let images = 0;
  let lossSum = 0;
  let steps = 0;
  let recent = 0;
  for await (const batch of loader) {
    const [x, y] = batch as tl.Tensor[];
    optimizer.zeroGrad();
    const loss = tl.tidy(() => {
      const l = F.crossEntropy(model.forward(x), y);
      l.backward();
      return l;
    });
    optimizer.step();
    const value = (await loss.item()) as number;
    loss.dispose();
    lossSum += value;
    recent = steps === 0 ? value : 0.95 * recent + 0.05 * value;
    steps++;
    images += x.shape[0];
    const seconds = (performance.now() - start) / 1000;
    bar.update(steps, `loss ${recent.toFixed(4)} ${(images / seconds).toFixed(0)} img/s`);
    options.onStep?.();
  }
  const seconds = (performance.now() - start) / 1000;
  const result = { loss: lossSum / Math.max(1, steps), images, seconds, imagesPerSecond: images / seconds };
  bar.finish(`loss ${result.loss.toFixed(4)} ${result.imagesPerSecond.toFixed(0)} img/s`);
  return result;
}

/** Accuracy on `dataset`. */
export async function evaluate(model: Module & { forward(x: tl.Tensor): tl.Tensor }, dataset: Dataset<unknown>, batchSize = 1000): Promise<number> {
  model.eval();
  let correct = 0;
  let total = 0;
  for await (const batch of new DataLoader(dataset, { batchSize })) {
    const [x, y] = batch as tl.Tensor[];
    const hits = tl.tidy(() => tl.noGrad(() => model.forward(x).argmax(1).eq(y).sum()));
    correct += (await hits.item()) as number;
    hits.dispose();
    total += y.shape[0];
  }
  model.train();
  return correct / total;
}
