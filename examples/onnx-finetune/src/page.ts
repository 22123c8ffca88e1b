/**
 * The fine-tune in the page: load the MobileNet v2 backbone (.onnx) and CIFAR-10 batches by
 * URL, train a fresh Linear(1280, 10) head on the frozen backbone, draw the loss as it falls
 * and show the held-out accuracy and a few predictions.
 *
 * Query parameters:
 * - `model`   URL of the exported backbone (default `models/mobilenet_v2.onnx`, next to the page)
 * - `data`    base URL of the CIFAR-10 binary batches (default `cifar/`)
 * - `batches` training batch files under `data`, comma-separated (default `data_batch_1.bin`);
 *             the held-out images are the first of `test_batch.bin`
 * - `steps` (default 30), `batch` (16), `lr` (0.001), `size` (input side, 32), `heldout` (128)
 * - `backend` force one backend (`webgpu`, `wasm`, `cpu`); by default webgpu, else wasm, else
 *             cpu, with webgpu on a software adapter ranked below wasm
 * - `threads` wasm's thread count (threads need a cross-origin isolated page; else one)
 *
 * The page publishes its state as `globalThis.__example` (for tests and the curious).
 */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { setThreads, startThreads } from '@tensile/backend-wasm';
import '@tensile/backend-webgpu';
import { pickBackend } from './adapter.js';
import { type CifarBatch, fetchCifarBatch } from './cifar.js';
import { CIFAR_CLASSES, buildModel, changed, correctOn, headOptimizer, imagesFromBytes, memorySample, preprocess, snapshot, trainStep } from './train.js';
import { drawLossCurve } from '../../shared/loss-curve.js';

const params = new URLSearchParams(location.search);

function positiveInt(name: string, fallback: number): number {
  const value = params.get(name);
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`?${name}= must be a positive integer, got '${value}'`);
  return n;
}

/** What the page exposes as `globalThis.__example` for the Chromium test to read. */
export interface ExampleState {
  backend: string | null;
  /** wasm's worker threads (1 without cross-origin isolation); null on other backends. */
  threads: number | null;
  status: string;
  step: number;
  steps: number;
  losses: number[];
  /** `tl.memory()` after each step. */
  memory: { tensors: number; bytes: number }[];
  accuracyBefore: number | null;
  accuracy: number | null;
  /** What training changed: parameter and buffer names of the backbone (none) and the head. */
  backboneChanged: string[] | null;
  headChanged: string[] | null;
  trained: boolean;
  error: string | null;
}

const state: ExampleState = {
  backend: null,
  threads: null,
  status: 'loading',
  step: 0,
  steps: 0,
  losses: [],
  memory: [],
  accuracyBefore: null,
  accuracy: null,
  backboneChanged: null,
  headChanged: null,
  trained: false,
  error: null,
};
(globalThis as { __example?: ExampleState }).__example = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const setText = (id: string, text: string) => {
  $(id).textContent = text;
};
function setStatus(text: string): void {
  state.status = text;
  setText('status', text);
}
const nextFrame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

// ---- the loss curve -------------------------------------------------------------------------

function drawCurve(losses: number[], total: number): void {
  drawLossCurve($<HTMLCanvasElement>('curve'), losses, total);
}

// ---- predictions ------------------------------------------------------------------------------

/** Thumbnails of the first held-out images with the trained head's predictions. */
function showPredictions(predictions: number[], batch: CifarBatch): void {
  const grid = $('predictions');
  grid.replaceChildren(
    ...predictions.map((p, i) => {
      const figure = document.createElement('figure');
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 32;
      const image = canvas.getContext('2d')!.createImageData(32, 32);
      for (let j = 0; j < 1024; j++) {
        image.data.set([batch.images[i * 3072 + j], batch.images[i * 3072 + 1024 + j], batch.images[i * 3072 + 2048 + j], 255], j * 4);
      }
      canvas.getContext('2d')!.putImageData(image, 0, 0);
      const caption = document.createElement('figcaption');
      const truth = batch.labels[i];
      caption.textContent = CIFAR_CLASSES[p];
      caption.className = p === truth ? 'hit' : 'miss';
      caption.title = `predicted ${CIFAR_CLASSES[p]}, labelled ${CIFAR_CLASSES[truth]}`;
      figure.append(canvas, caption);
      return figure;
    }),
  );
}

// ---- the run -----------------------------------------------------------------------------------

/** The first `count` images of `batch` as a tensor and their labels. */
function firstImages(batch: CifarBatch, count: number): [tl.Tensor, tl.Tensor] {
  return [imagesFromBytes(batch.images.subarray(0, count * 3072), count), tl.tensor(Int32Array.from(batch.labels.subarray(0, count)))];
}

async function run(): Promise<void> {
  const steps = positiveInt('steps', 30);
  const batchSize = positiveInt('batch', 16);
  const lr = Number(params.get('lr') ?? 0.001);
  if (!(lr > 0)) throw new Error(`?lr= must be a positive number, got '${params.get('lr')}'`);
  const size = positiveInt('size', 32);
  const heldOutWanted = positiveInt('heldout', 128);
  state.steps = steps;
  drawCurve([], steps);

  const choice = await pickBackend(params.get('backend'));
  state.backend = choice.name;
  if (choice.passedOver.length) console.warn(`tensile example: passed over ${choice.passedOver.join('; ')}`);
  if (choice.name === 'wasm') {
    if (params.has('threads')) setThreads(positiveInt('threads', 1));
    state.threads = await startThreads();
  }
  const threads = state.threads === null ? '' : `, ${state.threads} thread${state.threads === 1 ? '' : 's'}`;
  setText('backend', choice.name === 'webgpu' ? 'webgpu (GPU)' : choice.name === 'wasm' ? `wasm (WebAssembly${threads})` : 'cpu (plain JavaScript)');

  const modelUrl = new URL(params.get('model') ?? 'models/mobilenet_v2.onnx', location.href);
  const dataUrl = new URL(params.get('data') ?? 'cifar/', location.href);
  if (!dataUrl.pathname.endsWith('/')) dataUrl.pathname += '/';
  const files = (params.get('batches') ?? 'data_batch_1.bin').split(',').map((f) => f.trim()).filter(Boolean);
  setStatus(`loading ${modelUrl.pathname.split('/').pop()} and ${files.length + 1} CIFAR-10 batch files`);
  const [model, test, ...parts] = await Promise.all([
    buildModel(modelUrl),
    fetchCifarBatch(new URL('test_batch.bin', dataUrl).href),
    ...files.map((f) => fetchCifarBatch(new URL(f, dataUrl).href)),
  ]);
  const count = parts.reduce((n, p) => n + p.count, 0);
  const train: CifarBatch = { count, images: new Uint8Array(count * 3072), labels: new Uint8Array(count) };
  let at = 0;
  for (const p of parts) {
    train.images.set(p.images, at * 3072);
    train.labels.set(p.labels, at);
    at += p.count;
  }
  const heldOut = Math.min(heldOutWanted, test.count);
  setText('data', `${train.count} training images (${files.join(', ')}), ${heldOut} held-out test images`);
  setText('model', `${model.backbone.parameters().length} frozen tensors (${model.backbone.numParameters().toLocaleString()} values) → Linear(1280, 10), ${size}×${size} input`);

  const optimizer = headOptimizer(model, lr);
  const [heldX, heldY] = firstImages(test, heldOut);
  state.accuracyBefore = (await correctOn(model, heldX, heldY, size)) / heldOut;
  setText('accuracy', `${(state.accuracyBefore * 100).toFixed(1)}% before training (chance 10%)`);
  const before = { backbone: await snapshot(model.backbone), head: await snapshot(model.head) };

  setStatus('training');
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const started = performance.now();
  for (let step = 1; step <= steps; step++) {
    const indices = Array.from({ length: batchSize }, () => Math.floor(random() * train.count));
    const pixels = new Uint8Array(batchSize * 3072);
    indices.forEach((i, r) => pixels.set(train.images.subarray(i * 3072, (i + 1) * 3072), r * 3072));
    const x = imagesFromBytes(pixels, batchSize);
    const y = tl.tensor(Int32Array.from(indices, (i) => train.labels[i]));
    const loss = trainStep(model, optimizer, x, y, size);
    x.dispose();
    y.dispose();
    const value = Number(await loss.item());
    loss.dispose();
    state.losses.push(value);
    state.memory.push(memorySample());
    state.step = step;
    setText('step', `${step} / ${steps}`);
    setText('loss', value.toFixed(3));
    drawCurve(state.losses, steps);
    await nextFrame();
  }
  const seconds = (performance.now() - started) / 1000;

  state.accuracy = (await correctOn(model, heldX, heldY, size)) / heldOut;
  setText('accuracy', `${(state.accuracy * 100).toFixed(1)}% of ${heldOut} test images (${(state.accuracyBefore * 100).toFixed(1)}% before)`);
  const after = { backbone: await snapshot(model.backbone), head: await snapshot(model.head) };
  state.backboneChanged = changed(before.backbone, after.backbone);
  state.headChanged = changed(before.head, after.head);
  const shown = Math.min(10, heldOut);
  const predicted = tl.tidy(() => tl.noGrad(() => model.forward(preprocess(heldX.narrow(0, 0, shown), size)).argmax(1)));
  showPredictions(Array.from(await predicted.data(), Number), test);
  predicted.dispose();
  heldX.dispose();
  heldY.dispose();
  setStatus(`trained ${steps} steps in ${seconds.toFixed(1)} s (${((steps * batchSize) / seconds).toFixed(0)} images/s); loss ${state.losses[0].toFixed(3)} → ${state.losses[state.losses.length - 1].toFixed(3)}`);
  state.trained = true;
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  setStatus('failed');
  const footer = $('error');
  footer.hidden = false;
  footer.textContent = message;
  console.error(error);
}

run().catch(fail);
