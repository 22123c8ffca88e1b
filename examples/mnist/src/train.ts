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

/** What {@link chooseBackend} picked, and why each better backend was passed over. */
export interface BackendChoice {
  name: string;
  /** One line per backend ranked above the chosen one: `webgpu: <why>`. */
  passedOver: string[];
}

/**
 * Whether a started backend runs on a software GPU adapter (llvmpipe, lavapipe, SwiftShader):
 * WebGPU there runs shaders on the CPU, slower than wasm. Returns the adapter's description
 * for such an adapter, else null.
 */
function softwareAdapter(backend: unknown): string | null {
  const b = backend as { adapter?: unknown; runtime?: { cpu?: unknown } };
  if (typeof b.adapter !== 'string') return null;
  const software = b.runtime?.cpu === true || /llvmpipe|lavapipe|swiftshader|software/i.test(b.adapter);
  return software ? b.adapter : null;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * Make `name` (or, without one, the best backend that starts) the default device. Optional
 * backend packages are imported if they are installed; cpu is always there. The order is
 * the registry's priority (cuda, webgpu, wasm, cpu), except that webgpu on a software
 * adapter ranks below wasm. `log` gets one line per better backend that was passed over.
 */
export async function chooseBackend(name?: string, log: (line: string) => void = () => {}): Promise<string> {
  return (await chooseBackendWithReasons(name, log)).name;
}

/** {@link chooseBackend}, also returning the reasons. */
export async function chooseBackendWithReasons(name?: string, log: (line: string) => void = () => {}): Promise<BackendChoice> {
  const failures = new Map<string, string>();
  for (const pkg of OPTIONAL_BACKENDS) {
    const short = pkg.replace('@tensile/backend-', '');
    if (name && short !== name) continue;
    try {
      await import(pkg);
    } catch (error) {
      failures.set(short, `${pkg} could not be imported: ${firstLine(error)}`);
    }
  }
  if (name) {
    try {
      await tl.setBackend(name);
    } catch (error) {
      const why = failures.get(name);
      throw new Error(`backend '${name}' is not available: ${firstLine(error)}${why ? `\n  ${why}` : ''}`);
    }
    return { name, passedOver: [] };
  }
  const passedOver: string[] = [];
  const note = (line: string) => {
    passedOver.push(line);
    log(line);
  };
  // Backends that failed to import were never registered: they rank by their usual place.
  const ranked = [...new Set([...tl.listBackends(), ...failures.keys()])].sort((a, b) => rank(a) - rank(b));
  const deferred: string[] = [];
  const attempt = async (candidate: string): Promise<boolean> => {
    try {
      await tl.setBackend(candidate);
      return true;
    } catch (error) {
      note(`${candidate}: did not start: ${firstLine(error)}`);
      return false;
    }
  };
  for (const candidate of ranked) {
    if (candidate === 'cpu') {
      // Software GPU adapters come after every other backend, just before cpu.
      for (const d of deferred) if (await attempt(d)) return { name: d, passedOver };
      if (await attempt('cpu')) return { name: 'cpu', passedOver };
      continue;
    }
    const importFailure = failures.get(candidate);
    if (importFailure) {
      note(`${candidate}: ${importFailure}`);
      continue;
    }
    let backend: unknown;
    try {
      backend = await tl.ready(candidate);
    } catch (error) {
      note(`${candidate}: did not start: ${firstLine(error)}`);
      continue;
    }
    const software = softwareAdapter(backend);
    if (software) {
      deferred.push(candidate);
      note(`${candidate}: started on '${software}', a software adapter (shaders run on the CPU), so it ranks below wasm`);
      continue;
    }
    if (await attempt(candidate)) return { name: candidate, passedOver };
  }
  for (const d of deferred) if (await attempt(d)) return { name: d, passedOver };
  throw new Error(`no backend could start:\n  ${passedOver.join('\n  ')}`);
}

/** The usual order of the known backends (lower first); unknown ones after webgpu. */
function rank(name: string): number {
  const order = ['cuda', 'webgpu', 'wasm', 'cpu'];
  const i = order.indexOf(name);
  return i === -1 ? 1.5 : i;
}

/** MNIST's pixel statistics (also fine for Fashion-MNIST). */
const MEAN = 0.1307;
const STD = 0.3081;

export interface DataOptions {
  dataset?: DatasetKind;
  /** Directory with mnist/ and fashion-mnist/ (or the files); else TENSILE_DATA, else the cache. */
  data?: string;
  download?: boolean;
  /** Download base URLs instead of the canonical mirror (each ending in '/'). */
  mirrors?: readonly string[];
}

export async function loadData(options: DataOptions = {}) {
  const Kind = options.dataset === 'fashion' ? FashionMNIST : MNIST;
  const common = { root: options.data, download: options.download, mirrors: options.mirrors, transform: normalize(MEAN, STD) };
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
