/**
 * Image transforms in the style of torchvision.transforms, applied to images held as
 * float32 arrays in [C, H, W] order (the form the vision datasets produce before they make
 * tensors, so a whole batch is built in one write).
 *
 * Random transforms draw from the `Rng` they are given (a DataLoader passes one seeded with
 * seed + epoch), or, when called without one, from their own generator seeded by `seed`.
 */
import { Rng } from './rng.js';

/** One image: `data` holds channels x height x width float32 values, row-major. */
export interface ImageArray {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** A transform maps an image to an image; random ones draw from `rng`. */
export type Transform = (image: ImageArray, rng?: Rng) => ImageArray;

export interface RandomOptions {
  /** Seed of the transform's own generator, used when the caller passes no `rng`. Default 0. */
  seed?: number;
}

function perChannel(name: string, value: number | readonly number[], channels: number): number[] {
  const values = typeof value === 'number' ? [value] : [...value];
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) {
    throw new Error(`normalize: ${name} has ${values.length} values but the image has ${channels} channels`);
  }
  return values;
}

/**
 * `(x - mean) / std` per channel, as torchvision's `Normalize`.
 *
 * @example
 * ```ts
 * const t = normalize([0.1307], [0.3081]); // MNIST's mean and std
 * ```
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const stds = typeof std === 'number' ? [std] : [...std];
  if (stds.some((s) => s === 0 || !Number.isFinite(s))) {
    throw new Error(`normalize: std must be finite and non-zero, got ${JSON.stringify(std)}`);
  }
  return (image) => {
    const m = perChannel('mean', mean, image.channels);
    const s = perChannel('std', std, image.channels);
    const plane = image.height * image.width;
    const out = new Float32Array(image.data.length);
    for (let c = 0; c < image.channels; c++) {
      const mc = Math.fround(m[c]);
      const sc = Math.fround(s[c]);
      const base = c * plane;
      for (let i = base; i < base + plane; i++) out[i] = Math.fround(image.data[i] - mc) / sc;
    }
    return { ...image, data: out };
  };
}

/**
 * Pad each side by `padding` zeros, then cut a random `size` x `size` (or [h, w]) window,
 * as torchvision's `RandomCrop(size, padding)`.
 *
 * @example
 * ```ts
 * const t = randomCrop(32, 4); // the usual CIFAR-10 augmentation
 * ```
 */
export function randomCrop(size: number | readonly [number, number], padding = 0, options: RandomOptions = {}): Transform {
  const [outH, outW] = typeof size === 'number' ? [size, size] : size;
  if (![outH, outW, padding].every((v) => Number.isInteger(v) && v >= 0) || outH === 0 || outW === 0) {
    throw new Error(`randomCrop: size must be positive integers and padding a non-negative integer, got size=${JSON.stringify(size)}, padding=${padding}`);
  }
  const own = new Rng(options.seed ?? 0, 0x63726f70);
  return (image, rng = own) => {
    const paddedH = image.height + 2 * padding;
    const paddedW = image.width + 2 * padding;
    if (outH > paddedH || outW > paddedW) {
      throw new Error(`randomCrop: crop ${outH}x${outW} is larger than the padded image ${paddedH}x${paddedW}`);
    }
    const top = rng.int(paddedH - outH + 1);
    const left = rng.int(paddedW - outW + 1);
    const out = new Float32Array(image.channels * outH * outW);
    for (let c = 0; c < image.channels; c++) {
      for (let y = 0; y < outH; y++) {
        const srcY = top + y - padding;
        if (srcY < 0 || srcY >= image.height) continue;
        const srcRow = (c * image.height + srcY) * image.width;
        const dstRow = (c * outH + y) * outW;
        for (let x = 0; x < outW; x++) {
          const srcX = left + x - padding;
          if (srcX >= 0 && srcX < image.width) out[dstRow + x] = image.data[srcRow + srcX];
        }
      }
    }
    return { data: out, channels: image.channels, height: outH, width: outW };
  };
}

/**
 * Mirror the image left-right with probability `p`, as torchvision's `RandomHorizontalFlip`.
 *
 * @example
 * ```ts
 * const t = randomHorizontalFlip(0.5);
 * ```
 */
export function randomHorizontalFlip(p = 0.5, options: RandomOptions = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  const own = new Rng(options.seed ?? 0, 0x666c6970);
  return (image, rng = own) => {
    if (!(rng.float() < p)) return image;
    const out = new Float32Array(image.data.length);
    const { width } = image;
    for (let row = 0; row < image.channels * image.height; row++) {
      const base = row * width;
      for (let x = 0; x < width; x++) out[base + x] = image.data[base + width - 1 - x];
    }
    return { ...image, data: out };
  };
}

/**
 * Apply `transforms` in order. All of them draw from one generator: the caller's `rng`, or
 * the composition's own, seeded by `seed`.
 *
 * @example
 * ```ts
 * const augment = compose([randomCrop(32, 4), randomHorizontalFlip(), normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26])], { seed: 1 });
 * ```
 */
export function compose(transforms: readonly Transform[], options: RandomOptions = {}): Transform {
  const own = new Rng(options.seed ?? 0, 0x636f6d70);
  return (image, rng = own) => transforms.reduce((img, t) => t(img, rng), image);
}
