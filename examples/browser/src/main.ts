/**
 * Train an MNIST MLP in the page and classify digits drawn on a canvas.
 *
 * Query parameters:
 * - `data`    base URL of the four MNIST .gz files (default `mnist/`, next to the page)
 * - `steps`   training steps (default 600), `batch` (default 64), `lr` (default 0.002)
 * - `backend` force one backend (`webgpu`, `wasm`, `cpu`); by default the first that starts
 * - `threads` wasm's thread count (default: the core count; threads run only when the page is
 *             cross-origin isolated, else one)
 *
 * The page publishes its state as `globalThis.__example` (for tests and the curious).
 */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { setThreads, startThreads } from '@tensile/backend-wasm';
import '@tensile/backend-webgpu';
import { Linear, ReLU, Sequential, functional as F } from '@tensile/nn';
import { Adam } from '@tensile/optim';
import { type Mnist, loadMnist } from './idx.js';
import { chooseBackend, positiveInt } from './page.js';
import { drawLossCurve } from '../../shared/loss-curve.js';

const params = new URLSearchParams(location.search);
const STEPS = positiveInt(params.get('steps'), 600);
const BATCH = positiveInt(params.get('batch'), 64);
const LR = Number(params.get('lr') ?? 0.002);
const HELD_OUT = 1000;
const READ_EVERY = 10; // steps between reads of the loss (each read waits for the device)
const EVAL_EVERY = 100;

interface ExampleState {
  backend: string | null;
  /** wasm's worker threads (1 without cross-origin isolation); null on other backends. */
  threads: number | null;
  status: string;
  step: number;
  losses: number[];
  accuracy: number | null;
  trained: boolean;
  prediction: number | null;
  probabilities: number[] | null;
  error: string | null;
}

const state: ExampleState = {
  backend: null,
  threads: null,
  status: 'loading',
  step: 0,
  losses: [],
  accuracy: null,
  trained: false,
  prediction: null,
  probabilities: null,
  error: null,
};
(globalThis as { __example?: ExampleState }).__example = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function setText(id: string, text: string): void {
  $(id).textContent = text;
}

function setStatus(text: string): void {
  state.status = text;
  setText('status', text);
}

const nextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

// ---- data ------------------------------------------------------------------------------------

const PIXELS = 28 * 28;

/** Images [from, from + count) scaled to [0, 1], flattened to [count, 784]. */
function imageBatch(images: Uint8Array, indices: ArrayLike<number>): tl.Tensor {
  const out = new Float32Array(indices.length * PIXELS);
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r] * PIXELS;
    for (let p = 0; p < PIXELS; p++) out[r * PIXELS + p] = images[src + p] / 255;
  }
  return tl.tensor(out).reshape([indices.length, PIXELS]);
}

function labelBatch(labels: Uint8Array, indices: ArrayLike<number>): tl.Tensor {
  return tl.tensor(Int32Array.from(indices, (i) => labels[i]));
}

// ---- the loss curve -------------------------------------------------------------------------

function drawCurve(losses: number[], total: number): void {
  drawLossCurve($<HTMLCanvasElement>('curve'), losses, total);
}

// ---- training ---------------------------------------------------------------------------------

let model: Sequential | null = null;
let optimizer: Adam | null = null;

async function evaluate(net: Sequential, mnist: Mnist): Promise<number> {
  const n = Math.min(HELD_OUT, mnist.testLabels.shape[0]);
  const indices = Array.from({ length: n }, (_, i) => i);
  net.eval();
  const correct = tl.tidy(() =>
    tl.noGrad(() => net.forward(imageBatch(mnist.testImages.data, indices)).argmax(1).eq(labelBatch(mnist.testLabels.data, indices)).sum()),
  );
  net.train();
  const c = Number(await correct.item());
  correct.dispose();
  return c / n;
}

async function train(mnist: Mnist): Promise<void> {
  $<HTMLButtonElement>('train').disabled = true;
  optimizer?.disposeState();
  model?.dispose();
  state.losses = [];
  state.accuracy = null;
  state.trained = false;
  tl.manualSeed(0);
  const net = new Sequential(new Linear(PIXELS, 128), new ReLU(), new Linear(128, 10));
  model = net;
  const opt = new Adam(net.parameters(), { lr: LR });
  optimizer = opt;
  const nTrain = mnist.trainLabels.shape[0];
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  const started = performance.now();
  setStatus('training');

  let pending: tl.Tensor[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const indices = Array.from({ length: BATCH }, () => Math.floor(random() * nTrain));
    const loss = tl.tidy(() => {
      opt.zeroGrad();
      const l = F.crossEntropy(net.forward(imageBatch(mnist.trainImages.data, indices)), labelBatch(mnist.trainLabels.data, indices));
      l.backward();
      opt.step();
      return l.detach();
    });
    pending.push(loss);
    if (step % READ_EVERY === 0 || step === STEPS) {
      const stacked = tl.stack(pending, 0);
      const values = await stacked.data();
      stacked.dispose();
      for (const t of pending) t.dispose();
      pending = [];
      state.losses.push(...Array.from(values, Number));
      state.step = step;
      setText('step', `${step} / ${STEPS}`);
      setText('loss', state.losses[state.losses.length - 1].toFixed(3));
      drawCurve(state.losses, STEPS);
      await nextFrame();
    }
    if (step % EVAL_EVERY === 0 || step === STEPS) {
      state.accuracy = await evaluate(net, mnist);
      setText('accuracy', `${(state.accuracy * 100).toFixed(1)}% of ${Math.min(HELD_OUT, mnist.testLabels.shape[0])} test images`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  setStatus(`trained ${STEPS} steps in ${seconds.toFixed(1)} s (${(STEPS / seconds).toFixed(1)} steps/s); draw a digit`);
  state.trained = true;
  $<HTMLButtonElement>('train').disabled = false;
  await predictDrawing();
}

// ---- drawing and prediction -------------------------------------------------------------------

const pad = $<HTMLCanvasElement>('pad');
const padCtx = pad.getContext('2d', { willReadFrequently: true })!;
let drawing = false;
let inked = false;
let last: [number, number] | null = null;

function clearPad(): void {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  $<HTMLCanvasElement>('thumb').getContext('2d')!.clearRect(0, 0, 28, 28);
  inked = false;
  state.prediction = null;
  state.probabilities = null;
  setText('prediction', '?');
  renderBars(null);
}

function point(e: PointerEvent): [number, number] {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
}

function stroke(to: [number, number]): void {
  padCtx.strokeStyle = '#fff';
  padCtx.fillStyle = '#fff';
  padCtx.lineWidth = 22;
  padCtx.lineCap = 'round';
  padCtx.lineJoin = 'round';
  padCtx.beginPath();
  if (last) {
    padCtx.moveTo(last[0], last[1]);
    padCtx.lineTo(to[0], to[1]);
    padCtx.stroke();
  } else {
    padCtx.arc(to[0], to[1], 11, 0, 2 * Math.PI);
    padCtx.fill();
  }
  last = to;
  inked = true;
}

/**
 * The drawing as MNIST sees digits: the ink's bounding box scaled to fit 20x20 (aspect
 * kept), centred by its centre of mass in a 28x28 field, grey levels in [0, 1].
 */
function toMnist(): Float32Array | null {
  const { width, height } = pad;
  const pixels = padCtx.getImageData(0, 0, width, height).data;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (pixels[(y * width + x) * 4] > 20) {
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1, h = y1 - y0 + 1, scale = 20 / Math.max(w, h);
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  const ctx = small.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const dw = w * scale, dh = h * scale;
  ctx.drawImage(pad, x0, y0, w, h, (28 - dw) / 2, (28 - dh) / 2, dw, dh);
  // Shift so that the centre of mass sits at (14, 14), as in MNIST.
  const img = ctx.getImageData(0, 0, 28, 28).data;
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < PIXELS; i++) {
    const v = img[i * 4];
    mass += v;
    mx += v * (i % 28);
    my += v * Math.floor(i / 28);
  }
  const dx = Math.round(13.5 - mx / mass), dy = Math.round(13.5 - my / mass);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const sx = x - dx, sy = y - dy;
    out[y * 28 + x] = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? img[(sy * 28 + sx) * 4] / 255 : 0;
  }
  // Show what the model sees.
  const thumb = $<HTMLCanvasElement>('thumb').getContext('2d')!;
  const shown = thumb.createImageData(28, 28);
  out.forEach((v, i) => {
    shown.data.set([v * 255, v * 255, v * 255, 255], i * 4);
  });
  thumb.putImageData(shown, 0, 0);
  return out;
}

function renderBars(probabilities: number[] | null): void {
  const bars = $('bars');
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  bars.replaceChildren(
    ...Array.from({ length: 10 }, (_, d) => {
      const bar = document.createElement('div');
      bar.className = d === best ? 'bar best' : 'bar';
      const fill = document.createElement('span');
      fill.style.height = `${Math.round((probabilities?.[d] ?? 0) * 70)}px`;
      bar.append(fill, String(d));
      bar.title = probabilities ? `${d}: ${(probabilities[d] * 100).toFixed(1)}%` : String(d);
      return bar;
    }),
  );
}

let predicting = false;
let again = false;

async function predictDrawing(): Promise<void> {
  if (!model || !state.trained || !inked) return;
  if (predicting) {
    again = true;
    return;
  }
  predicting = true;
  try {
    const input = toMnist();
    if (!input) return;
    const net = model;
    net.eval();
    const probs = tl.tidy(() => tl.noGrad(() => net.forward(tl.tensor(input).reshape([1, PIXELS])).softmax(1)));
    net.train();
    const p = Array.from(await probs.data(), Number);
    probs.dispose();
    state.probabilities = p;
    state.prediction = p.indexOf(Math.max(...p));
    setText('prediction', String(state.prediction));
    renderBars(p);
  } finally {
    predicting = false;
    if (again) {
      again = false;
      void predictDrawing();
    }
  }
}

pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  last = null;
  pad.setPointerCapture?.(e.pointerId);
  stroke(point(e));
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  stroke(point(e));
  void predictDrawing();
});
const end = () => {
  if (!drawing) return;
  drawing = false;
  last = null;
  void predictDrawing();
};
pad.addEventListener('pointerup', end);
pad.addEventListener('pointerleave', end);
$('clear').addEventListener('click', clearPad);

// ---- start --------------------------------------------------------------------------------------

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.error = message;
  setStatus('failed');
  const footer = $('error');
  footer.hidden = false;
  footer.textContent = message;
  console.error(error);
}

async function start(): Promise<void> {
  clearPad();
  drawCurve([], STEPS);
  const backend = await chooseBackend(params.get('backend'));
  state.backend = backend;
  // Threads need shared memory, which browsers give only to cross-origin isolated pages
  // (served with COOP/COEP headers); elsewhere wasm runs on one thread.
  if (backend === 'wasm') {
    if (params.has('threads')) setThreads(positiveInt(params.get('threads'), 1));
    state.threads = await startThreads();
  }
  const threads = state.threads === null ? '' : `, ${state.threads} thread${state.threads === 1 ? '' : 's'}`;
  setText('backend', backend === 'webgpu' ? 'webgpu (GPU)' : backend === 'wasm' ? `wasm (WebAssembly${threads}, no WebGPU here)` : 'cpu (plain JavaScript)');
  const base = params.get('data') ?? 'mnist/';
  setStatus(`downloading MNIST from ${base}`);
  const mnist = await loadMnist(base);
  setStatus(`loaded ${mnist.trainLabels.shape[0]} training and ${mnist.testLabels.shape[0]} test images`);
  $('train').addEventListener('click', () => void train(mnist).catch(fail));
  await train(mnist);
}

start().catch(fail);
