/**
 * Image transforms in the style of torchvision.transforms: each factory returns a function
 * from an image to an image, applied to image arrays (float32 [C, H, W], the form the vision
 * datasets produce before they make tensors, so a whole batch is built in one write) or to
 * float32 tensors `[..., C, H, W]`. The deterministic ones are the functions of
 * `functional` (torchvision.transforms.functional); the random ones draw their parameters
 * as torchvision does.
 *
 * Random transforms draw from the `Rng` they are given (a DataLoader passes one per batch,
 * seeded with seed + epoch), or, when called without one, from their own generator seeded by
 * `seed`. Every transform made here can be rebuilt in a DataLoader worker thread.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as TF from './functional.js';
import { dimsOf, fillValues, padIndex, remap, type Image, type ImageArray, type Interpolation, type PaddingMode } from './image.js';
import { nestedRecipe, withRecipe, type HasWorkerRecipe, type WorkerRecipe } from './recipe.js';
import { Rng } from './rng.js';
import { checkOptions, describe } from './sampler.js';

export type { ImageArray, Image, Interpolation, PaddingMode };

/** A transform on image arrays (what a vision dataset's `transform` option takes). */
export type Transform = (image: ImageArray, rng?: Rng) => ImageArray;

/** A transform on either image form: image arrays or float32 tensors. */
export type ImageTransform = <I extends Image>(image: I, rng?: Rng) => I;

/** Any function of an image (e.g. `toTensor`, or one of your own), for `compose`. */
export type AnyTransform = (image: any, rng?: Rng) => any;

export interface RandomOptions {
  /** Seed of the transform's own generator, used when the caller passes no `rng`. Default 0. */
  seed?: number;
}

function recipe(name: string, args: unknown[]): () => WorkerRecipe {
  return () => ({ module: import.meta.url, export: name, args });
}

function ownRng(name: string, options: RandomOptions | undefined, stream: number): Rng {
  const seed = options?.seed ?? 0;
  if (!Number.isInteger(seed)) throw new TypeError(`${name}: seed must be an integer, got ${describe(seed)}`);
  return new Rng(seed, stream);
}

function checkProbability(name: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${name}: p must be in [0, 1], got ${describe(p)}`);
  return p;
}

function make(name: string, args: unknown[], fn: (image: Image, rng: Rng | undefined) => Image): ImageTransform & HasWorkerRecipe {
  return withRecipe(fn as ImageTransform, recipe(name, args));
}

/** A [min, max] range from one number (±v about `center`) or a pair, as torchvision's `_check_input`. */
function range(name: string, what: string, value: unknown, center: number, bound: [number, number], clipFirst: boolean): [number, number] | null {
  let r: [number, number];
  if (typeof value === 'number') {
    if (!(value >= 0)) throw new RangeError(`${name}: if ${what} is a single number, it must be non negative, got ${value}`);
    r = [center - value, center + value];
    if (clipFirst) r[0] = Math.max(r[0], 0);
  } else if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    if (!(bound[0] <= value[0] && value[0] <= value[1] && value[1] <= bound[1])) throw new RangeError(`${name}: ${what} values should be between ${bound[0]} and ${bound[1]}, got ${JSON.stringify(value)}`);
    r = [value[0], value[1]];
  } else {
    throw new TypeError(`${name}: ${what} should be a single number or a list of two, got ${describe(value)}`);
  }
  return r[0] === center && r[1] === center ? null : r;
}

/** Degrees as [min, max]: one number means ±degrees. */
function angleRange(name: string, what: string, degrees: unknown, sizes: readonly number[] = [2]): number[] {
  if (typeof degrees === 'number') {
    if (!(degrees >= 0)) throw new RangeError(`${name}: if ${what} is a single number, it must be positive, got ${degrees}`);
    return [-degrees, degrees];
  }
  if (!Array.isArray(degrees) || !sizes.includes(degrees.length) || !degrees.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`${name}: ${what} should be a number or a list of ${sizes.join(' or ')} numbers, got ${describe(degrees)}`);
  }
  return [...degrees];
}

// ---- deterministic --------------------------------------------------------------------------

/**
 * `(x - mean) / std` per channel, as torchvision's `Normalize`.
 *
 * @example
 * ```ts
 * const t = normalize([0.1307], [0.3081]); // MNIST's mean and std
 * ```
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): ImageTransform & HasWorkerRecipe {
  checkChannelValues('normalize(mean, std)', 'mean', mean);
  checkChannelValues('normalize(mean, std)', 'std', std);
  const stds = typeof std === 'number' ? [std] : [...std];
  if (stds.some((s) => s === 0 || !Number.isFinite(s))) {
    throw new Error(`normalize: std must be finite and non-zero, got ${JSON.stringify(std)}`);
  }
  return make('normalize', [mean, std], (image) => TF.normalize(image, mean, std));
}

/**
 * Resize to `size` ([h, w], or the shorter side keeping the aspect ratio), as torchvision's
 * `Resize` on tensors: bilinear, antialias off by default (0.14's tensor default).
 *
 * @example
 * ```ts
 * const t = resize(256, { antialias: true });
 * ```
 */
export function resize(size: number | readonly number[], options: TF.ResizeOptions = {}): ImageTransform & HasWorkerRecipe {
  TF.checkResizeOptions('resize', options);
  TF.resizedSize('resize', 1, 1, size, options.maxSize);
  return make('resize', [size, options], (image) => TF.resize(image, size, options));
}

/**
 * The central `size` window (zero-padded when the image is smaller), as torchvision's `CenterCrop`.
 *
 * @example
 * ```ts
 * const t = centerCrop(224);
 * ```
 */
export function centerCrop(size: number | readonly [number, number]): ImageTransform & HasWorkerRecipe {
  TF.sizePair('centerCrop', size);
  return make('centerCrop', [size], (image) => TF.centerCrop(image, size));
}

/**
 * Pad the sides, as torchvision's `Pad` (constant, edge, reflect or symmetric).
 *
 * @example
 * ```ts
 * const t = pad(4, { paddingMode: 'reflect' });
 * ```
 */
export function pad(padding: number | readonly number[], options: TF.PadOptions = {}): ImageTransform & HasWorkerRecipe {
  TF.paddingLTRB('pad', padding);
  checkOptions('pad', options, ['fill', 'paddingMode'], { padding_mode: 'paddingMode' });
  return make('pad', [padding, options], (image) => TF.pad(image, padding, options));
}

/**
 * Convert to grayscale with 1 or 3 channels, as torchvision's `Grayscale`.
 *
 * @example
 * ```ts
 * const t = grayscale(3);
 * ```
 */
export function grayscale(numOutputChannels: 1 | 3 = 1): ImageTransform & HasWorkerRecipe {
  if (numOutputChannels !== 1 && numOutputChannels !== 3) throw new TypeError(`grayscale: numOutputChannels should be either 1 or 3, got ${describe(numOutputChannels)}`);
  return make('grayscale', [numOutputChannels], (image) => TF.rgbToGrayscale(image, numOutputChannels));
}

/**
 * Image arrays (or bytes in H x W x C order, e.g. ImageData) to a float32 tensor [C, H, W] in
 * [0, 1], as torchvision's `ToTensor`. The vision datasets make tensors themselves, so their
 * transforms do not need it.
 *
 * @example
 * ```ts
 * const t = compose([toTensor(), normalize(0.5, 0.5)]);
 * ```
 */
export function toTensor(): ((image: ImageArray | TF.PixelArray | Tensor) => Tensor) & HasWorkerRecipe {
  return withRecipe((image: ImageArray | TF.PixelArray | Tensor) => TF.toTensor(image), recipe('toTensor', []));
}

// ---- random ---------------------------------------------------------------------------------

export interface RandomCropOptions extends RandomOptions {
  /** Pad a side that is smaller than the crop, so the crop fits. Default false. */
  padIfNeeded?: boolean;
  /** The value of constant padding. Default 0. */
  fill?: number | readonly number[];
  /** 'constant' (default), 'edge', 'reflect' or 'symmetric'. */
  paddingMode?: PaddingMode;
}

/**
 * Pad (`padding`: one value, [left/right, top/bottom] or [left, top, right, bottom]), then
 * cut a random `size` window, as torchvision's `RandomCrop(size, padding, pad_if_needed,
 * fill, padding_mode)`.
 *
 * @example
 * ```ts
 * const t = randomCrop(32, 4); // the usual CIFAR-10 augmentation
 * ```
 */
export function randomCrop(size: number | readonly [number, number], padding: number | readonly number[] = 0, options: RandomCropOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('randomCrop', options, ['seed', 'padIfNeeded', 'fill', 'paddingMode'], { pad_if_needed: 'padIfNeeded', padding_mode: 'paddingMode' });
  const [outH, outW] = TF.sizePair('randomCrop', size);
  const [pl, pt, pr, pb] = TF.paddingLTRB('randomCrop', padding);
  if ([pl, pt, pr, pb].some((v) => v < 0)) throw new RangeError(`randomCrop: padding must be non-negative, got ${JSON.stringify(padding)}`);
  const mode = options.paddingMode ?? 'constant';
  const padIfNeeded = options.padIfNeeded ?? false;
  const own = ownRng('randomCrop', options, 0x63726f70);
  return make('randomCrop', [size, padding, options], (image, rng = own) => {
    const { channels, height, width } = dimsOf('randomCrop', image);
    let [l, t, r, b] = [pl, pt, pr, pb];
    if (padIfNeeded && width + l + r < outW) {
      const extra = outW - (width + l + r);
      l += extra;
      r += extra;
    }
    if (padIfNeeded && height + t + b < outH) {
      const extra = outH - (height + t + b);
      t += extra;
      b += extra;
    }
    const paddedH = height + t + b;
    const paddedW = width + l + r;
    if (outH > paddedH || outW > paddedW) {
      throw new Error(`randomCrop: crop ${outH}x${outW} is larger than the padded image ${paddedH}x${paddedW}`);
    }
    const [top, left] = paddedH === outH && paddedW === outW ? [0, 0] : [rng.int(paddedH - outH + 1), rng.int(paddedW - outW + 1)];
    // One pass: the crop of the padded index maps.
    const rows = padIndex(height, t, b, mode, 'randomCrop').subarray(top, top + outH);
    const cols = padIndex(width, l, r, mode, 'randomCrop').subarray(left, left + outW);
    return remap(image, rows, cols, fillValues('randomCrop', options.fill ?? 0, channels));
  });
}

/**
 * Mirror the image left-right with probability `p`, as torchvision's `RandomHorizontalFlip`.
 *
 * @example
 * ```ts
 * const t = randomHorizontalFlip(0.5);
 * ```
 */
export function randomHorizontalFlip(p = 0.5, options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  checkProbability('randomHorizontalFlip', p);
  checkOptions('randomHorizontalFlip', options, ['seed']);
  const own = ownRng('randomHorizontalFlip', options, 0x666c6970);
  return make('randomHorizontalFlip', [p, options], (image, rng = own) => (rng.float() < p ? TF.hflip(image) : image));
}

/**
 * Mirror the image top-bottom with probability `p`, as torchvision's `RandomVerticalFlip`.
 *
 * @example
 * ```ts
 * const t = randomVerticalFlip(0.5);
 * ```
 */
export function randomVerticalFlip(p = 0.5, options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  checkProbability('randomVerticalFlip', p);
  checkOptions('randomVerticalFlip', options, ['seed']);
  const own = ownRng('randomVerticalFlip', options, 0x76666c70);
  return make('randomVerticalFlip', [p, options], (image, rng = own) => (rng.float() < p ? TF.vflip(image) : image));
}

export interface RandomResizedCropOptions extends RandomOptions, TF.ResizeOptions {
  /** The range of the crop's area as a fraction of the image's. Default [0.08, 1]. */
  scale?: readonly [number, number];
  /** The range of the crop's aspect ratio (width / height), drawn log-uniformly. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
}

/**
 * torchvision's box draw: an area uniform in `scale` of `area`, an aspect ratio log-uniform in
 * `ratio`; returns the rounded `[sqrt(area * aspect), sqrt(area / aspect)]` (crop: width then
 * height; erasing: height then width).
 */
function randomBox(area: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): [number, number] {
  const target = area * rng.uniform(scale[0], scale[1]);
  const aspect = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
  return [TF.roundHalfEven(Math.sqrt(target * aspect)), TF.roundHalfEven(Math.sqrt(target / aspect))];
}

/**
 * The crop window torchvision's `RandomResizedCrop.get_params` draws: up to ten tries of a
 * random area and log-uniform aspect ratio, then a central crop clamped to `ratio`.
 * Returns `[top, left, height, width]`.
 *
 * @example
 * ```ts
 * const [top, left, h, w] = randomResizedCropParams(256, 256, [0.08, 1], [3 / 4, 4 / 3], new Rng(0));
 * ```
 */
export function randomResizedCropParams(height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number], rng: Rng): [number, number, number, number] {
  for (let attempt = 0; attempt < 10; attempt++) {
    const [w, h] = randomBox(height * width, scale, ratio, rng);
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return [rng.int(height - h + 1), rng.int(width - w + 1), h, w];
    }
  }
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = TF.roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = TF.roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return [(height - h) >> 1, (width - w) >> 1, h, w];
}

/** Refuse anything but a number or a non-empty list of numbers (one per channel) for `what`. */
function checkChannelValues(name: string, what: string, value: unknown): void {
  const list = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)) ? Array.from(value as ArrayLike<unknown>) : null;
  const ok = typeof value === 'number' || (list !== null && list.length > 0 && list.every((v) => typeof v === 'number'));
  if (!ok) throw new TypeError(`${name}: ${what} should be a number or a list of numbers (one per channel), got ${describe(value)}`);
}

function checkPair(name: string, what: string, value: unknown, positive: boolean): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))) {
    throw new TypeError(`${name}: ${what} should be a list of two${positive ? ' positive' : ''} numbers, got ${describe(value)}`);
  }
  return [value[0], value[1]];
}

/**
 * Crop a random area (`scale` of the image, aspect ratio in `ratio`) and resize it to
 * `size`, as torchvision's `RandomResizedCrop`: the standard ImageNet augmentation.
 *
 * @example
 * ```ts
 * const train = compose([randomResizedCrop(224), randomHorizontalFlip(), normalize(IMAGENET_MEAN, IMAGENET_STD)]);
 * ```
 */
export function randomResizedCrop(size: number | readonly [number, number], options: RandomResizedCropOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('randomResizedCrop', options, ['seed', 'scale', 'ratio', 'interpolation', 'antialias', 'maxSize']);
  const out = TF.sizePair('randomResizedCrop', size);
  const scale = checkPair('randomResizedCrop', 'scale', options.scale ?? [0.08, 1], false);
  const ratio = checkPair('randomResizedCrop', 'ratio', options.ratio ?? [3 / 4, 4 / 3], true);
  if (scale[0] > scale[1] || ratio[0] > ratio[1]) throw new RangeError('randomResizedCrop: scale and ratio should be of kind (min, max)');
  const resizeOptions: TF.ResizeOptions = { interpolation: options.interpolation, antialias: options.antialias };
  TF.checkResizeOptions('randomResizedCrop', resizeOptions);
  const own = ownRng('randomResizedCrop', options, 0x72726370);
  return make('randomResizedCrop', [size, options], (image, rng = own) => {
    const { height, width } = dimsOf('randomResizedCrop', image);
    const [top, left, h, w] = randomResizedCropParams(height, width, scale, ratio, rng);
    return TF.resizedCrop(image, top, left, h, w, out, resizeOptions);
  });
}

export interface ColorJitterOptions extends RandomOptions {
  /** Factor range [max(0, 1 - b), 1 + b], or [min, max]. Default 0 (off). */
  brightness?: number | readonly [number, number];
  /** Factor range [max(0, 1 - c), 1 + c], or [min, max]. Default 0 (off). */
  contrast?: number | readonly [number, number];
  /** Factor range [max(0, 1 - s), 1 + s], or [min, max]. Default 0 (off). */
  saturation?: number | readonly [number, number];
  /** Shift range [-h, h] with h <= 0.5, or [min, max] within [-0.5, 0.5]. Default 0 (off). */
  hue?: number | readonly [number, number];
}

/**
 * Randomly change brightness, contrast, saturation and hue, in a random order, as
 * torchvision's `ColorJitter`.
 *
 * @example
 * ```ts
 * const t = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
 * ```
 */
export function colorJitter(options: ColorJitterOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('colorJitter', options, ['seed', 'brightness', 'contrast', 'saturation', 'hue']);
  const ranges = [
    range('colorJitter', 'brightness', options.brightness ?? 0, 1, [0, Infinity], true),
    range('colorJitter', 'contrast', options.contrast ?? 0, 1, [0, Infinity], true),
    range('colorJitter', 'saturation', options.saturation ?? 0, 1, [0, Infinity], true),
    range('colorJitter', 'hue', options.hue ?? 0, 0, [-0.5, 0.5], false),
  ];
  if (typeof options.hue === 'number' && options.hue > 0.5) throw new RangeError(`colorJitter: hue values should be between -0.5 and 0.5, got ${options.hue}`);
  const own = ownRng('colorJitter', options, 0x636a6974);
  const apply = [TF.adjustBrightness, TF.adjustContrast, TF.adjustSaturation, TF.adjustHue];
  return make('colorJitter', [options], (image, rng = own) => {
    const order = rng.permutation(4);
    const factors = ranges.map((r) => (r ? rng.uniform(r[0], r[1]) : null));
    let out = image;
    for (const i of order) {
      const factor = factors[i];
      if (factor === null) continue;
      const next = apply[i](out, factor);
      if (out !== image && out !== next && out instanceof tl.Tensor) out.dispose();
      out = next;
    }
    return out;
  });
}

export interface RandomRotationOptions extends RandomOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** Grow the canvas to hold the whole rotated image. Default false. */
  expand?: boolean;
  /** The centre of rotation [x, y]. Default the image centre. */
  center?: readonly [number, number];
  /** The value outside the rotated image. Default 0. */
  fill?: number | readonly number[];
}

/**
 * Rotate by a random angle in [-degrees, degrees] (or [min, max]), as torchvision's
 * `RandomRotation`.
 *
 * @example
 * ```ts
 * const t = randomRotation(15, { interpolation: 'bilinear' });
 * ```
 */
export function randomRotation(degrees: number | readonly [number, number], options: RandomRotationOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('randomRotation', options, ['seed', 'interpolation', 'expand', 'center', 'fill']);
  const [lo, hi] = angleRange('randomRotation', 'degrees', degrees);
  const own = ownRng('randomRotation', options, 0x726f7461);
  const rotateOptions: TF.RotateOptions = { interpolation: options.interpolation, expand: options.expand, center: options.center, fill: options.fill ?? 0 };
  return make('randomRotation', [degrees, options], (image, rng = own) => TF.rotate(image, rng.uniform(lo, hi), rotateOptions));
}

export interface RandomAffineOptions extends RandomOptions {
  /** Maximum shifts as fractions of [width, height]. Default none. */
  translate?: readonly [number, number];
  /** Scale range [min, max]. Default none (1). */
  scale?: readonly [number, number];
  /** Shear in degrees: one number (x in ±s), [min, max] for x, or [xmin, xmax, ymin, ymax]. Default none. */
  shear?: number | readonly number[];
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** The value outside the transformed image. Default 0. */
  fill?: number | readonly number[];
  /** The centre [x, y]. Default the image centre. */
  center?: readonly [number, number];
}

/**
 * A random affine transform (rotation, translation, scale, shear) about the centre, as
 * torchvision's `RandomAffine`.
 *
 * @example
 * ```ts
 * const t = randomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5 });
 * ```
 */
export function randomAffine(degrees: number | readonly [number, number], options: RandomAffineOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('randomAffine', options, ['seed', 'translate', 'scale', 'shear', 'interpolation', 'fill', 'center']);
  const [lo, hi] = angleRange('randomAffine', 'degrees', degrees);
  const translate = options.translate === undefined ? null : checkPair('randomAffine', 'translate', options.translate, false);
  if (translate && translate.some((t) => t < 0 || t > 1)) throw new RangeError(`randomAffine: translation values should be between 0 and 1, got ${JSON.stringify(options.translate)}`);
  const scale = options.scale === undefined ? null : checkPair('randomAffine', 'scale', options.scale, true);
  const shear = options.shear === undefined ? null : angleRange('randomAffine', 'shear', options.shear, [2, 4]);
  const own = ownRng('randomAffine', options, 0x61666669);
  return make('randomAffine', [degrees, options], (image, rng = own) => {
    const { height, width } = dimsOf('randomAffine', image);
    const angle = rng.uniform(lo, hi);
    let t: [number, number] = [0, 0];
    if (translate) {
      const maxDx = translate[0] * width;
      const maxDy = translate[1] * height;
      t = [TF.roundHalfEven(rng.uniform(-maxDx, maxDx)), TF.roundHalfEven(rng.uniform(-maxDy, maxDy))];
    }
    const s = scale ? rng.uniform(scale[0], scale[1]) : 1;
    let sh: [number, number] = [0, 0];
    if (shear) {
      sh = [rng.uniform(shear[0], shear[1]), shear.length === 4 ? rng.uniform(shear[2], shear[3]) : 0];
    }
    return TF.affine(image, angle, t, s, sh, { interpolation: options.interpolation, fill: options.fill ?? 0, center: options.center });
  });
}

/**
 * Blur with a Gaussian of random sigma in [min, max] (default [0.1, 2]), as torchvision's
 * `GaussianBlur`.
 *
 * @example
 * ```ts
 * const t = gaussianBlur(5, [0.1, 2]);
 * ```
 */
export function gaussianBlur(kernelSize: number | readonly [number, number], sigma: number | readonly [number, number] = [0.1, 2], options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  checkOptions('gaussianBlur', options, ['seed']);
  const ks = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [...kernelSize];
  if (ks.length !== 2 || !ks.every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) {
    throw new TypeError(`gaussianBlur: kernel size should be an odd positive integer or two of them, got ${describe(kernelSize)}`);
  }
  let range: [number, number];
  if (typeof sigma === 'number') {
    if (!(sigma > 0)) throw new RangeError(`gaussianBlur: if sigma is a single number, it must be positive, got ${sigma}`);
    range = [sigma, sigma];
  } else {
    range = checkPair('gaussianBlur', 'sigma', sigma, true);
    if (range[0] > range[1]) throw new RangeError(`gaussianBlur: sigma values should be positive and of the form (min, max), got ${JSON.stringify(sigma)}`);
  }
  const own = ownRng('gaussianBlur', options, 0x626c7572);
  return make('gaussianBlur', [kernelSize, sigma, options], (image, rng = own) => {
    const s = rng.uniform(range[0], range[1]);
    return TF.gaussianBlur(image, ks, [s, s]);
  });
}

export interface RandomErasingOptions extends RandomOptions {
  /** The erased area as a fraction of the image, [min, max]. Default [0.02, 0.33]. */
  scale?: readonly [number, number];
  /** The erased box's aspect ratio range. Default [0.3, 3.3]. */
  ratio?: readonly [number, number];
  /** The value written: a number, one per channel, or 'random' (standard normal per pixel). Default 0. */
  value?: number | readonly number[] | 'random';
}

/**
 * With probability `p`, erase a random box, as torchvision's `RandomErasing` (usually after
 * normalisation).
 *
 * @example
 * ```ts
 * const t = randomErasing(0.25, { value: 'random' });
 * ```
 */
export function randomErasing(p = 0.5, options: RandomErasingOptions = {}): ImageTransform & HasWorkerRecipe {
  checkProbability('randomErasing', p);
  checkOptions('randomErasing', options, ['seed', 'scale', 'ratio', 'value']);
  const scale = checkPair('randomErasing', 'scale', options.scale ?? [0.02, 0.33], false);
  const ratio = checkPair('randomErasing', 'ratio', options.ratio ?? [0.3, 3.3], true);
  if (scale[0] > scale[1] || ratio[0] > ratio[1]) throw new RangeError('randomErasing: scale and ratio should be of kind (min, max)');
  if (scale[0] < 0 || scale[1] > 1) throw new RangeError(`randomErasing: scale should be between 0 and 1, got ${JSON.stringify(options.scale)}`);
  const value = options.value ?? 0;
  if (value !== 'random' && typeof value !== 'number' && !(Array.isArray(value) && value.every((v) => typeof v === 'number'))) {
    throw new TypeError(`randomErasing: value should be a number, a list of numbers or 'random', got ${describe(value)}`);
  }
  const own = ownRng('randomErasing', options, 0x65726173);
  return make('randomErasing', [p, options], (image, rng = own) => {
    if (!(rng.float() < p)) return image;
    const { channels, height, width } = dimsOf('randomErasing', image);
    if (Array.isArray(value) && value.length !== 1 && value.length !== channels) {
      throw new Error(`randomErasing: value has ${value.length} values but the image has ${channels} channels`);
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const [h, w] = randomBox(height * width, scale, ratio, rng);
      if (!(h < height && w < width)) continue;
      const v = value === 'random' ? Float32Array.from({ length: channels * h * w }, () => rng.normal()) : (value as number | number[]);
      const i = rng.int(height - h + 1);
      const j = rng.int(width - w + 1);
      return TF.erase(image, i, j, h, w, v);
    }
    return image;
  });
}

/**
 * Convert to grayscale (keeping the channel count) with probability `p`, as torchvision's
 * `RandomGrayscale`.
 *
 * @example
 * ```ts
 * const t = randomGrayscale(0.2);
 * ```
 */
export function randomGrayscale(p = 0.1, options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  checkProbability('randomGrayscale', p);
  checkOptions('randomGrayscale', options, ['seed']);
  const own = ownRng('randomGrayscale', options, 0x67726179);
  return make('randomGrayscale', [p, options], (image, rng = own) => {
    if (!(rng.float() < p)) return image;
    const { channels } = dimsOf('randomGrayscale', image, 3);
    return TF.rgbToGrayscale(image, channels === 3 ? 3 : 1);
  });
}

// ---- composition ----------------------------------------------------------------------------

function checkTransforms(name: string, transforms: unknown): AnyTransform[] {
  if (!Array.isArray(transforms)) throw new TypeError(`${name}: expected a list of transforms, got ${describe(transforms)}`);
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw new TypeError(`${name}: transform ${i} is ${describe(t)}, not a function`);
  });
  return transforms as AnyTransform[];
}

function nestedAll(name: string, transforms: readonly AnyTransform[]): Promise<unknown[]> {
  return Promise.all(transforms.map((t, i) => nestedRecipe(t, `${name}: transform ${i}`)));
}

function chain(transforms: readonly AnyTransform[], image: unknown, rng: Rng): unknown {
  let out = image;
  for (const t of transforms) {
    const next = t(out, rng);
    // Intermediate tensors are ours to free; the input and the result are not.
    if (out !== image && out !== next && out instanceof tl.Tensor) out.dispose();
    out = next;
  }
  return out;
}

/**
 * Apply `transforms` in order, as torchvision's `Compose`. All of them draw from one
 * generator: the caller's `rng`, or the composition's own, seeded by `seed`.
 *
 * @example
 * ```ts
 * const augment = compose([randomCrop(32, 4), randomHorizontalFlip(), normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26])], { seed: 1 });
 * ```
 */
export function compose(transforms: readonly ImageTransform[], options?: RandomOptions): ImageTransform & HasWorkerRecipe;
export function compose(transforms: readonly AnyTransform[], options?: RandomOptions): AnyTransform & HasWorkerRecipe;
export function compose(transforms: readonly AnyTransform[], options: RandomOptions = {}): AnyTransform & HasWorkerRecipe {
  const list = checkTransforms('compose', transforms);
  checkOptions('compose', options, ['seed']);
  const own = ownRng('compose', options, 0x636f6d70);
  return withRecipe((image: unknown, rng: Rng = own) => chain(list, image, rng), async () => ({
    module: import.meta.url,
    export: 'compose',
    args: [await nestedAll('compose', list), options],
  }));
}

/**
 * Apply all of `transforms` with probability `p` (else none), as torchvision's `RandomApply`.
 *
 * @example
 * ```ts
 * const t = randomApply([colorJitter({ brightness: 0.8, contrast: 0.8 })], 0.8);
 * ```
 */
export function randomApply(transforms: readonly ImageTransform[], p = 0.5, options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  const list = checkTransforms('randomApply', transforms);
  checkProbability('randomApply', p);
  checkOptions('randomApply', options, ['seed']);
  const own = ownRng('randomApply', options, 0x72617070);
  return withRecipe(((image: Image, rng: Rng = own) => (rng.float() < p ? chain(list, image, rng) : image)) as ImageTransform, async () => ({
    module: import.meta.url,
    export: 'randomApply',
    args: [await nestedAll('randomApply', list), p, options],
  }));
}

/**
 * Apply one of `transforms`, picked with probabilities `p` (default equal), as
 * torchvision's `RandomChoice`.
 *
 * @example
 * ```ts
 * const t = randomChoice([randomRotation(10), randomAffine(0, { shear: 10 })]);
 * ```
 */
export function randomChoice(transforms: readonly ImageTransform[], p?: readonly number[], options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  const list = checkTransforms('randomChoice', transforms);
  if (list.length === 0) throw new Error('randomChoice: expected at least one transform');
  checkOptions('randomChoice', options, ['seed']);
  const weights = p ?? list.map(() => 1);
  if (!Array.isArray(weights) || weights.length !== list.length || !weights.every((w) => typeof w === 'number' && w >= 0) || !(weights.reduce((a, b) => a + b, 0) > 0)) {
    throw new TypeError(`randomChoice: p must be ${list.length} non-negative weights with a positive sum, got ${describe(p)}`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const own = ownRng('randomChoice', options, 0x72636873);
  return withRecipe(((image: Image, rng: Rng = own) => {
    let u = rng.float() * total;
    let k = 0;
    while (k < list.length - 1 && u >= weights[k]) u -= weights[k++];
    return list[k](image, rng);
  }) as ImageTransform, async () => ({
    module: import.meta.url,
    export: 'randomChoice',
    args: [await nestedAll('randomChoice', list), p, options],
  }));
}

/**
 * Apply `transforms` in a random order, as torchvision's `RandomOrder`.
 *
 * @example
 * ```ts
 * const t = randomOrder([randomHorizontalFlip(), randomRotation(5)]);
 * ```
 */
export function randomOrder(transforms: readonly ImageTransform[], options: RandomOptions = {}): ImageTransform & HasWorkerRecipe {
  const list = checkTransforms('randomOrder', transforms);
  checkOptions('randomOrder', options, ['seed']);
  const own = ownRng('randomOrder', options, 0x726f7264);
  return withRecipe(((image: Image, rng: Rng = own) => chain(Array.from(rng.permutation(list.length), (i) => list[i]), image, rng)) as ImageTransform, async () => ({
    module: import.meta.url,
    export: 'randomOrder',
    args: [await nestedAll('randomOrder', list), options],
  }));
}
