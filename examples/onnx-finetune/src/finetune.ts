/**
 * Fine-tune a fresh 10-class head on an imported (frozen) MobileNet v2 backbone with a few
 * CIFAR-10 batches, in Node.
 *
 *   pnpm start -- [--model FILE] [--data DIR] [--download] [--backend NAME] [--steps N]
 *                 [--batch-size N] [--lr X] [--size N] [--held-out N] [--seed N] [--save FILE]
 *
 * `fineTune` is the whole run as a function (the test calls it); the command line below it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tl from '@tensile/core';
import { CIFAR10, DataLoader, DatasetFilesMissingError, ProgressBar, Subset } from '@tensile/datasets';
import { saveSafetensors } from '@tensile/nn';
import { chooseBackend } from './backend.js';
import { buildModel, changed, correctOn, headOptimizer, memorySample, snapshot, trainStep } from './train.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where `pnpm export-model` writes the backbone. */
export const DEFAULT_MODEL = path.resolve(here, '../.tensile-cache/mobilenet_v2.onnx');

export interface FineTuneOptions {
  /** The exported backbone (.onnx): [N, 3, H, W] images -> [N, 1280] pooled features. */
  model?: string;
  /** CIFAR10.load's root: the folder holding cifar-10-batches-bin/ (or that folder); else TENSILE_DATA, else the cache. */
  data?: string;
  /** Download CIFAR-10 (about 160 MB) into the cache when it is not found. */
  download?: boolean;
  /** cpu, wasm or webgpu; default: the best that starts. */
  backend?: string;
  /** Training steps (one batch each; the loader starts a new epoch when it runs out). */
  steps?: number;
  batchSize?: number;
  /** Adam's learning rate for the head. */
  lr?: number;
  /** Side of the square input the backbone sees (CIFAR's 32x32 images are resized to it). */
  size?: number;
  /** Test images in the held-out batch the accuracy is measured on. */
  heldOut?: number;
  seed?: number;
  /** Save the trained head (safetensors). */
  save?: string;
  /** Print progress (a bar on stderr, lines on stdout). Default true. */
  verbose?: boolean;
  /** Print a line every this many steps. Default 5. */
  logEvery?: number;
}

export interface FineTuneResult {
  backend: string;
  /** Loss of each training step. */
  losses: number[];
  /** Held-out accuracy of the fresh head (before training) and of the trained one. */
  accuracyBefore: number;
  accuracy: number;
  heldOut: number;
  /** `tl.memory()` after each step: live tensors and their bytes. */
  memory: { tensors: number; bytes: number }[];
  /** Parameter names whose values training changed, in the backbone (none) and the head. */
  backboneChanged: string[];
  headChanged: string[];
  backboneParameters: number;
  headParameters: number;
  seconds: number;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Load the backbone and CIFAR-10, train the head, measure the held-out accuracy. */
export async function fineTune(options: FineTuneOptions = {}): Promise<FineTuneResult> {
  const steps = positiveInt('steps', options.steps ?? 20);
  const batchSize = positiveInt('batchSize', options.batchSize ?? 32);
  const lr = positive('lr', options.lr ?? 1e-3);
  const size = positiveInt('size', options.size ?? 32);
  const heldOutWanted = positiveInt('heldOut', options.heldOut ?? 256);
  const seed = options.seed ?? 0;
  const verbose = options.verbose ?? true;
  const logEvery = positiveInt('logEvery', options.logEvery ?? 5);
  const log = (line: string) => {
    if (verbose) console.log(line);
  };
  const modelFile = options.model ?? DEFAULT_MODEL;
  if (!existsSync(modelFile)) {
    throw new Error(`no model at ${modelFile}: run \`pnpm export-model\` (random weights) or export a pretrained backbone with tools/export_mobilenet.py and pass --model FILE`);
  }

  const choice = await chooseBackend(options.backend);
  log(`backend: ${choice.name} (${options.backend ? 'chosen with --backend' : 'the best that started'})${choice.passedOver.map((l) => `\n  passed over ${l}`).join('')}`);

  const [train, test] = await Promise.all([
    CIFAR10.load({ root: options.data, train: true, download: options.download }),
    CIFAR10.load({ root: options.data, train: false, download: options.download }),
  ]);
  const heldOut = Math.min(heldOutWanted, test.length);
  log(`CIFAR-10: ${train.length} training images, held-out batch of ${heldOut} test images (from ${path.dirname(train.files[0])})`);

  tl.manualSeed(seed);
  const model = await buildModel(modelFile);
  const backboneParameters = model.backbone.numParameters();
  const headParameters = model.head.numParameters();
  const trainable = model.backbone.parameters().filter((p) => p.requiresGrad).length;
  if (trainable !== 0) throw new Error(`the backbone has ${trainable} parameters that require grad; it should be frozen`);
  log(
    `model: ${path.basename(modelFile)}: ${model.backbone.parameters().length} frozen backbone tensors (${backboneParameters} values, ` +
      `${model.backbone.buffers().length} buffers) -> Linear(1280, 10) head (${headParameters} trainable values); input ${size}x${size}`,
  );

  const optimizer = headOptimizer(model, lr);
  // The held-out batch: the first test images, read once.
  const heldOutLoader = new DataLoader(new Subset(test, Array.from({ length: heldOut }, (_, i) => i)), { batchSize: heldOut });
  let accuracyBefore = 0;
  let accuracy = 0;
  const evaluate = async (): Promise<number> => {
    let correct = 0;
    for await (const [x, y] of heldOutLoader) correct += await correctOn(model, x, y, size);
    return correct / heldOut;
  };

  const before = { backbone: await snapshot(model.backbone), head: await snapshot(model.head) };
  accuracyBefore = await evaluate();
  log(`held-out accuracy of the fresh head: ${(accuracyBefore * 100).toFixed(1)}% (chance: 10%)`);
  log(`training the head: Adam, lr ${lr}, batch size ${batchSize}, ${steps} steps`);

  // No prefetch: each step then holds exactly its own batch, so the memory counts per step are exact.
  const loader = new DataLoader(train, { batchSize, shuffle: true, seed, prefetch: false });
  const bar = new ProgressBar({ total: steps, label: 'fine-tune', silent: !verbose });
  const losses: number[] = [];
  const memory: { tensors: number; bytes: number }[] = [];
  const started = performance.now();
  let step = 0;
  while (step < steps) {
    for await (const [x, y] of loader) {
      const loss = trainStep(model, optimizer, x, y, size);
      const value = Number(await loss.item());
      loss.dispose();
      losses.push(value);
      memory.push(memorySample());
      step++;
      const seconds = (performance.now() - started) / 1000;
      bar.update(step, `loss ${value.toFixed(4)} ${((step * batchSize) / seconds).toFixed(0)} img/s`);
      if (step % logEvery === 0 || step === steps) {
        const recent = losses.slice(-logEvery);
        const m = memory[memory.length - 1];
        log(`step ${step}/${steps}: loss ${(recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(4)} (mean of the last ${recent.length}), ` +
          `${m.tensors} live tensors, ${(m.bytes / 2 ** 20).toFixed(2)} MiB`);
      }
      if (step === steps) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  bar.finish(`${seconds.toFixed(1)} s`);
  accuracy = await evaluate();
  const after = { backbone: await snapshot(model.backbone), head: await snapshot(model.head) };
  const backboneChanged = changed(before.backbone, after.backbone);
  const headChanged = changed(before.head, after.head);
  log(`loss: ${losses[0].toFixed(4)} at the first step, ${losses[losses.length - 1].toFixed(4)} at the last`);
  log(`held-out accuracy: ${(accuracy * 100).toFixed(1)}% of ${heldOut} test images (${(accuracyBefore * 100).toFixed(1)}% before), ` +
    `${seconds.toFixed(1)} s, ${((steps * batchSize) / seconds).toFixed(0)} images/s on ${choice.name}`);
  log(`changed by training: ${headChanged.length} of ${before.head.size} head tensors, ${backboneChanged.length} of ${before.backbone.size} backbone tensors`);
  if (options.save) {
    await saveSafetensors(model.head.stateDict(), options.save, { model: path.basename(modelFile), size: String(size), accuracy: accuracy.toFixed(4) });
    log(`saved the head to ${options.save}`);
  }
  optimizer.disposeState();
  model.dispose();
  return {
    backend: choice.name,
    losses,
    accuracyBefore,
    accuracy,
    heldOut,
    memory,
    backboneChanged,
    headChanged,
    backboneParameters,
    headParameters,
    seconds,
  };
}

// ---- the command line ---------------------------------------------------------------------------

const USAGE = `usage: pnpm start -- [options]
  --model FILE      the exported backbone (default .tensile-cache/mobilenet_v2.onnx, from pnpm export-model)
  --data DIR        the folder holding cifar-10-batches-bin/ (default: TENSILE_DATA, then the cache)
  --download        download CIFAR-10 (about 160 MB) into the cache if it is not found
  --backend NAME    cpu, wasm or webgpu (default: the best that starts)
  --steps N         training steps (default 20)
  --batch-size N    images per step (default 32)
  --lr X            Adam's learning rate (default 0.001)
  --size N          input side: CIFAR's 32x32 images are resized to NxN (default 32)
  --held-out N      test images the accuracy is measured on (default 256)
  --seed N          seed for the head's initialisation and the shuffle (default 0)
  --save FILE       save the trained head (safetensors)
  --help`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: {
        model: { type: 'string' },
        data: { type: 'string' },
        download: { type: 'boolean', default: false },
        backend: { type: 'string' },
        steps: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        size: { type: 'string' },
        'held-out': { type: 'string' },
        seed: { type: 'string' },
        save: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Paths are relative to where the command was typed (pnpm runs scripts in the package).
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const userPath = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  try {
    await fineTune({
      model: userPath(values.model),
      data: userPath(values.data),
      download: values.download,
      backend: values.backend,
      steps: num(values.steps),
      batchSize: num(values['batch-size']),
      lr: num(values.lr),
      size: num(values.size),
      heldOut: num(values['held-out']),
      seed: num(values.seed),
      save: userPath(values.save),
    });
  } catch (error) {
    if (error instanceof DatasetFilesMissingError) {
      process.stderr.write(
        `error: CIFAR-10 files not found: ${error.files.join(', ')}\nLooked in:\n${error.looked.map((d) => `  ${d}`).join('\n')}\n` +
          `Pass --data DIR (the folder holding cifar-10-batches-bin/), set TENSILE_DATA, or run with --download ` +
          `to fetch ${error.mirror} into ${error.cacheDir}.\n`,
      );
      process.exit(2);
    }
    throw error;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  });
}
