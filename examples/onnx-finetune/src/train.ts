/**
 * The fine-tuning pieces shared by the Node program (finetune.ts) and the page (page.ts):
 * no Node or DOM imports here.
 *
 * The imported ONNX graph is MobileNet v2 up to its classifier (features, global average
 * pool, flatten: [N, 3, H, W] -> [N, 1280]); it is loaded with `trainable: false`, so none of
 * its parameters requires a gradient, and runs under `noGrad`. A fresh `Linear(1280, 10)` is
 * the head, the only module the optimiser sees.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Linear, Module, functional as F } from '@tensile/nn';
import { Adam } from '@tensile/optim';
import { loadOnnx, type OnnxModule } from '@tensile/onnx';

/** ImageNet's per-channel statistics, which torchvision's pretrained MobileNet v2 expects. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const CIFAR_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
/** The width of MobileNet v2's pooled features. */
export const FEATURES = 1280;

/** A frozen imported backbone and a trainable linear head. */
export class FineTuneModel extends Module {
  constructor(
    readonly backbone: OnnxModule,
    readonly head: Linear,
  ) {
    super();
  }

  /** The pooled backbone features of preprocessed images (no graph is recorded). */
  features(x: Tensor): Tensor {
    return tl.noGrad(() => this.backbone.forward(x) as Tensor);
  }

  /** Logits [N, 10] of preprocessed images [N, 3, size, size]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}

/**
 * Load the backbone (a Uint8Array, a path or a URL), frozen, and attach a fresh 10-class
 * head. Throws a clear error if the graph's output is not [N, 1280] features.
 */
export async function buildModel(source: Uint8Array | string | URL, options: { classes?: number } = {}): Promise<FineTuneModel> {
  const backbone = await loadOnnx(source, { trainable: false });
  if (backbone.inputNames.length !== 1 || backbone.outputNames.length !== 1) {
    backbone.dispose();
    throw new Error(
      `the model has inputs [${backbone.inputNames.join(', ')}] and outputs [${backbone.outputNames.join(', ')}]; ` +
        'expected one image input and one [N, 1280] feature output (export it with tools/export_mobilenet.py)',
    );
  }
  const probe = tl.tidy(() => tl.noGrad(() => backbone.forward(tl.zeros([1, 3, 32, 32])) as Tensor));
  const shape = probe.shape;
  probe.dispose();
  if (shape.length !== 2 || shape[1] !== FEATURES) {
    backbone.dispose();
    throw new Error(
      `the model's output has shape [${shape.join(', ')}] for one 32x32 image, not [1, ${FEATURES}]: export the backbone without ` +
        'its classifier (tools/export_mobilenet.py replaces torchvision\'s classifier by the identity)',
    );
  }
  return new FineTuneModel(backbone, new Linear(FEATURES, options.classes ?? CIFAR_CLASSES.length));
}

/**
 * CIFAR images (float32 [N, 3, 32, 32] in [0, 1]) as MobileNet v2 takes them: bilinearly
 * resized to `size` (32 keeps them as they are) and normalised with ImageNet's statistics.
 */
export function preprocess(images: Tensor, size = 32): Tensor {
  return tl.tidy(() => {
    const resized = size === images.shape[2] && size === images.shape[3] ? images : F.interpolate(images, { size: [size, size], mode: 'bilinear', alignCorners: false });
    const mean = tl.tensor([...IMAGENET_MEAN], { device: images.device }).reshape([1, 3, 1, 1]);
    const std = tl.tensor([...IMAGENET_STD], { device: images.device }).reshape([1, 3, 1, 1]);
    return resized.sub(mean).div(std);
  });
}

/** uint8 CIFAR records' pixels ([N * 3072], CHW per image) as float32 [N, 3, 32, 32] in [0, 1]. */
export function imagesFromBytes(pixels: Uint8Array, count: number): Tensor {
  const data = new Float32Array(count * 3072);
  for (let i = 0; i < data.length; i++) data[i] = pixels[i] / 255;
  // In a scope, so that the flat tensor behind the reshaped view is disposed now.
  return tl.tidy(() => tl.tensor(data).reshape([count, 3, 32, 32]));
}

/** One step of training the head: returns the loss (a detached scalar the caller disposes). */
export function trainStep(model: FineTuneModel, optimizer: Adam, images: Tensor, labels: Tensor, size: number): Tensor {
  return tl.tidy(() => {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(preprocess(images, size)), labels);
    loss.backward();
    optimizer.step();
    return loss.detach();
  });
}

/** Correct predictions on one batch (a host number). */
export async function correctOn(model: FineTuneModel, images: Tensor, labels: Tensor, size: number): Promise<number> {
  const hits = tl.tidy(() => tl.noGrad(() => model.forward(preprocess(images, size)).argmax(1).eq(labels).sum()));
  try {
    return Number(await hits.item());
  } finally {
    hits.dispose();
  }
}

/** The optimiser over the head's parameters only (the backbone has none that require grad). */
export function headOptimizer(model: FineTuneModel, lr: number): Adam {
  return new Adam(model.head.parameters(), { lr });
}

/** A copy of the values of every parameter and buffer, by name (to check what training changed). */
export async function snapshot(module: Module): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(module.stateDict())) out.set(name, Float32Array.from(await t.data()));
  return out;
}

/** The names of parameters whose values differ between two snapshots. */
export function changed(before: Map<string, Float32Array>, after: Map<string, Float32Array>): string[] {
  return [...before].filter(([name, a]) => {
    const b = after.get(name)!;
    return a.some((v, i) => v !== b[i]);
  }).map(([name]) => name);
}

/** Live tensors and bytes on every backend (`tl.memory()`), for the flat-memory check. */
export function memorySample(): { tensors: number; bytes: number } {
  const m = tl.memory();
  return { tensors: m.numTensors, bytes: m.numBytes };
}
