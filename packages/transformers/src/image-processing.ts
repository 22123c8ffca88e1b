/**
 * Image processors: what the hub's `preprocessor_config.json` says to do to an image before a
 * vision model sees it (`ViTImageProcessor`, `CLIPImageProcessor`), with the pixel arithmetic
 * of the hub's Python code. That code resizes with Pillow on 8-bit pixels, so `resize` here is
 * Pillow's resampling to the bit: its filters and their support widened when shrinking, its
 * 22-bit fixed-point weights, and its rounding to 8 bits after the horizontal pass, then after
 * the vertical one. The centre crop, the rescale and the normalisation follow.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { openSource, readJson, MissingFileError, type HubOptions, type ModelSource } from './hub.js';

/**
 * An 8-bit image, rows top to bottom, channels interleaved: what a browser's `ImageData` holds
 * (RGBA) or a decoder gives (RGB or grey). Four channels are read as RGBA and the alpha is
 * dropped, as Pillow's `convert('RGB')` drops it.
 */
export interface RawImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA); default `data.length / (width * height)`. */
  channels?: number;
}

/** A target size as the hub writes it: `{ height, width }` or `{ shortest_edge }`, or one number. */
export type SizeSpec = number | { height?: number; width?: number; shortest_edge?: number; longest_edge?: number };

/** The fields of preprocessor_config.json this implementation reads. */
export interface ImageProcessorConfig {
  image_processor_type?: string;
  feature_extractor_type?: string;
  do_resize?: boolean;
  size?: SizeSpec;
  /** Pillow's filter: 0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming. */
  resample?: number;
  do_center_crop?: boolean;
  crop_size?: SizeSpec;
  do_rescale?: boolean;
  rescale_factor?: number;
  do_normalize?: boolean;
  image_mean?: number | number[];
  image_std?: number | number[];
  do_convert_rgb?: boolean | null;
  [key: string]: unknown;
}

/** Pillow's resampling filters, by the number its `Image.Resampling` gives each. */
export const Resample = { NEAREST: 0, LANCZOS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 } as const;

interface Filter {
  support: number;
  at(x: number): number;
}

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
// Pillow's Hamming window multiplies in single precision constants.
const F054 = Math.fround(0.54);
const F046 = Math.fround(0.46);

const FILTERS: Record<number, Filter> = {
  [Resample.BOX]: { support: 0.5, at: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [Resample.BILINEAR]: { support: 1, at: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  [Resample.HAMMING]: {
    support: 1,
    at: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      return (Math.sin(a * Math.PI) / (a * Math.PI)) * (F054 + F046 * Math.cos(a * Math.PI));
    },
  },
  [Resample.BICUBIC]: {
    support: 2,
    at: (x) => {
      // Keys' cubic with a = -0.5, as Pillow's.
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  [Resample.LANCZOS]: { support: 3, at: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 22;

/** Each output pixel's first input pixel, count, and fixed-point weights along one axis. */
function coefficients(inSize: number, outSize: number, filter: Filter): { first: Int32Array; count: Int32Array; weights: Float64Array; ksize: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    const row = new Float64Array(Math.max(n, 0));
    for (let i = 0; i < n; i++) {
      row[i] = filter.at((i + lo - center + 0.5) / filterScale);
      total += row[i]!;
    }
    for (let i = 0; i < n; i++) {
      const w = total !== 0 ? row[i]! / total : row[i]!;
      // Pillow rounds each weight half away from zero to 22 fractional bits.
      weights[o * ksize + i] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, ksize };
}

/** One 8-bit pass along an axis: `lines` lines of `inSize` pixels of `channels` each, `stride` apart. */
function resamplePass(src: Uint8Array, channels: number, inSize: number, outSize: number, lines: number, alongRows: boolean, filter: Filter, width: number): Uint8Array {
  const { first, count, weights, ksize } = coefficients(inSize, outSize, filter);
  const out = new Uint8Array(lines * outSize * channels);
  const half = 1 << (PRECISION_BITS - 1);
  const unit = 2 ** PRECISION_BITS;
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < outSize; o++) {
      const lo = first[o]!;
      const n = count[o]!;
      for (let c = 0; c < channels; c++) {
        let sum = half;
        for (let i = 0; i < n; i++) {
          // Horizontal: pixel (line, lo + i) of a row `width` wide; vertical: (lo + i, line).
          const at = alongRows ? (line * width + lo + i) * channels + c : ((lo + i) * width + line) * channels + c;
          sum += src[at]! * weights[o * ksize + i]!;
        }
        const v = Math.floor(sum / unit);
        const dst = alongRows ? (line * outSize + o) * channels + c : (o * width + line) * channels + c;
        out[dst] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}

/** Pillow's nearest neighbour: the input pixel under each output pixel's centre. */
function nearest(src: Uint8Array, channels: number, w: number, h: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * channels);
  // Pillow steps the source coordinate by the scale from half a step, adding as it goes.
  const columns = new Int32Array(outW);
  for (let x = 0, at = (w / outW) * 0.5; x < outW; x++, at += w / outW) columns[x] = Math.min(Math.trunc(at), w - 1);
  for (let y = 0, at = (h / outH) * 0.5; y < outH; y++, at += h / outH) {
    const row = Math.min(Math.trunc(at), h - 1);
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < channels; c++) out[(y * outW + x) * channels + c] = src[(row * w + columns[x]!) * channels + c]!;
    }
  }
  return out;
}

/** An 8-bit image in a plain interleaved buffer. */
interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** `image` resized to `width` x `height` as Pillow's `Image.resize(size, resample)` does it. */
export function resizeImage(image: RawImage, width: number, height: number, resample: number = Resample.BILINEAR): RawImage & { channels: number; data: Uint8Array } {
  const px = toPixels(image, 'resizeImage');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`resizeImage: the size ${width} x ${height} must be two positive integers`);
  if (resample !== Resample.NEAREST && !FILTERS[resample]) throw new Error(`resizeImage: resample ${resample} is not one of Pillow's filters (0 nearest, 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming)`);
  const { data, channels } = px;
  if (width === px.width && height === px.height) return { data: data.slice(), width, height, channels };
  if (resample === Resample.NEAREST) return { data: nearest(data, channels, px.width, px.height, width, height), width, height, channels };
  const filter = FILTERS[resample]!;
  // Horizontal pass first, then vertical, each rounded to 8 bits; a pass whose size does not change is skipped.
  let current = data;
  if (width !== px.width) current = resamplePass(current, channels, px.width, width, px.height, true, filter, px.width);
  if (height !== px.height) current = resamplePass(current, channels, px.height, height, width, false, filter, width);
  return { data: current, width, height, channels };
}

function toPixels(image: RawImage, where: string): Pixels {
  if (image === null || typeof image !== 'object' || !image.data || typeof image.data.length !== 'number') {
    throw new TypeError(`${where}: an image must be { data, width, height, channels? } with 8-bit pixels, got ${image === null ? 'null' : typeof image}`);
  }
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`${where}: the image's width ${width} and height ${height} must be positive integers`);
  const channels = image.channels ?? image.data.length / (width * height);
  if (![1, 3, 4].includes(channels)) throw new Error(`${where}: an image of ${width} x ${height} with ${image.data.length} values has ${channels} channels per pixel; 1 (grey), 3 (RGB) or 4 (RGBA) are read`);
  if (image.data.length !== width * height * channels) throw new Error(`${where}: an image of ${width} x ${height} x ${channels} needs ${width * height * channels} values, got ${image.data.length}`);
  const source = image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray ? image.data : Uint8Array.from(image.data, (v) => {
    if (!(v >= 0 && v <= 255) || !Number.isInteger(v)) throw new Error(`${where}: pixel values must be integers from 0 to 255, got ${v}`);
    return v;
  });
  const data = source instanceof Uint8Array ? source : new Uint8Array(source.buffer, source.byteOffset, source.length);
  return { data, width, height, channels };
}

/** To RGB: grey repeated in the three channels, alpha dropped (Pillow's convert('RGB')). */
function toRgb(px: Pixels): Pixels {
  if (px.channels === 3) return px;
  const { data, width, height, channels } = px;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = channels === 1 ? data[p]! : data[p * channels + c]!;
  }
  return { data: out, width, height, channels: 3 };
}

/** The hub's processors and how each reads a bare number as a size. */
const KINDS: Record<string, { square: boolean; defaults: ImageProcessorConfig }> = {
  ViTImageProcessor: {
    square: true,
    defaults: { do_resize: true, size: { height: 224, width: 224 }, resample: Resample.BILINEAR, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] },
  },
  CLIPImageProcessor: {
    square: false,
    defaults: {
      do_resize: true, size: { shortest_edge: 224 }, resample: Resample.BICUBIC, do_center_crop: true, crop_size: { height: 224, width: 224 }, do_rescale: true, rescale_factor: 1 / 255,
      do_normalize: true, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711], do_convert_rgb: true,
    },
  },
};
// The processors' older names (feature_extractor_type in configs written before 2022).
const ALIASES: Record<string, string> = { ViTFeatureExtractor: 'ViTImageProcessor', CLIPFeatureExtractor: 'CLIPImageProcessor', DeiTImageProcessor: 'ViTImageProcessor' };

// Fields that describe the file rather than the processing.
const INFORMATIONAL = new Set(['image_processor_type', 'feature_extractor_type', 'processor_class', '_processor_class', '_valid_processor_keys', 'auto_map', 'input_data_format', 'data_format']);
const READ = new Set(['do_resize', 'size', 'resample', 'do_center_crop', 'crop_size', 'do_rescale', 'rescale_factor', 'do_normalize', 'image_mean', 'image_std', 'do_convert_rgb']);

interface Settings {
  kind: string;
  resize: { height: number; width: number } | { shortest: number } | null;
  resample: number;
  crop: { height: number; width: number } | null;
  rescale: number | null;
  mean: number[] | null;
  std: number[] | null;
  convertRgb: boolean;
}

function sizeOf(spec: SizeSpec | undefined, square: boolean, what: string, where: string): { height: number; width: number } | { shortest: number } {
  const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (positive(spec)) return square ? { height: spec as number, width: spec as number } : { shortest: spec as number };
  if (spec !== null && typeof spec === 'object') {
    const keys = Object.keys(spec).sort().join(',');
    if (keys === 'height,width' && positive(spec.height) && positive(spec.width)) return { height: spec.height!, width: spec.width! };
    if (keys === 'shortest_edge' && positive(spec.shortest_edge)) return { shortest: spec.shortest_edge! };
    if ('longest_edge' in spec) throw new Error(`${where}: ${what} with longest_edge is not supported (supported: { height, width }, { shortest_edge } or one number)`);
  }
  throw new Error(`${where}: ${what} ${JSON.stringify(spec)} must be { height, width }, { shortest_edge } or one number, each a positive integer`);
}

function settingsOf(config: ImageProcessorConfig, where: string): Settings {
  const named = config.image_processor_type ?? config.feature_extractor_type;
  const kind = typeof named === 'string' ? ALIASES[named] ?? named : undefined;
  if (kind === undefined || !KINDS[kind]) {
    throw new Error(`${where}: image_processor_type ${JSON.stringify(named)} is not one this library implements (${Object.keys(KINDS).join(', ')}, or their older names ${Object.keys(ALIASES).join(', ')})`);
  }
  for (const [k, v] of Object.entries(config)) {
    if (INFORMATIONAL.has(k) || READ.has(k)) continue;
    // A field set to false or null asks for nothing; any other unknown one is refused, not ignored.
    if (v !== false && v !== null && v !== undefined) throw new Error(`${where}: ${kind} option ${k}=${JSON.stringify(v)} is not supported`);
  }
  const { square, defaults } = KINDS[kind]!;
  const c = { ...defaults, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null && v !== undefined)) } as ImageProcessorConfig;
  const resample = c.resample ?? Resample.BILINEAR;
  if (resample !== Resample.NEAREST && !FILTERS[resample]) throw new Error(`${where}: resample ${resample} is not one of Pillow's filters (0 to 5)`);
  const triple = (v: number | number[] | undefined, what: string): number[] => {
    const list = typeof v === 'number' ? [v, v, v] : v;
    if (!Array.isArray(list) || list.length !== 3 || list.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new Error(`${where}: ${what} must be one number or three (one per RGB channel), got ${JSON.stringify(v)}`);
    return list;
  };
  const std = c.do_normalize ? triple(c.image_std, 'image_std') : null;
  if (std && std.some((s) => s === 0)) throw new Error(`${where}: image_std ${JSON.stringify(std)} has a zero`);
  if (c.do_rescale && (typeof c.rescale_factor !== 'number' || !Number.isFinite(c.rescale_factor))) throw new Error(`${where}: rescale_factor must be a number, got ${JSON.stringify(c.rescale_factor)}`);
  const crop = c.do_center_crop ? sizeOf(c.crop_size, true, 'crop_size', where) : null;
  if (crop && 'shortest' in crop) throw new Error(`${where}: crop_size must be { height, width } or one number`);
  return {
    kind,
    resize: c.do_resize ? sizeOf(c.size, square, 'size', where) : null,
    resample,
    crop: crop as { height: number; width: number } | null,
    rescale: c.do_rescale ? c.rescale_factor! : null,
    mean: c.do_normalize ? triple(c.image_mean, 'image_mean') : null,
    std,
    convertRgb: c.do_convert_rgb !== false,
  };
}

/** The hub's centre crop: the middle `height` x `width`, padded with zeros where the image is smaller. */
function centerCrop(px: Pixels, height: number, width: number): Pixels {
  const floorDiv = (a: number, b: number) => Math.floor(a / b);
  let top = floorDiv(px.height - height, 2);
  let left = floorDiv(px.width - width, 2);
  const paddedH = Math.max(height, px.height);
  const paddedW = Math.max(width, px.width);
  const padTop = Math.ceil((paddedH - px.height) / 2);
  const padLeft = Math.ceil((paddedW - px.width) / 2);
  top += padTop;
  left += padLeft;
  const y0 = Math.max(0, top);
  const x0 = Math.max(0, left);
  const h = Math.min(paddedH, top + height) - y0;
  const w = Math.min(paddedW, left + width) - x0;
  const out = new Uint8Array(h * w * px.channels);
  for (let y = 0; y < h; y++) {
    const sy = y0 + y - padTop;
    if (sy < 0 || sy >= px.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x0 + x - padLeft;
      if (sx < 0 || sx >= px.width) continue;
      for (let c = 0; c < px.channels; c++) out[(y * w + x) * px.channels + c] = px.data[(sy * px.width + sx) * px.channels + c]!;
    }
  }
  return { data: out, width: w, height: h, channels: px.channels };
}

/** Options of `ImageProcessor.preprocess`. */
export interface PreprocessOptions {
  /** The device of `pixelValues` (default: the default device). */
  device?: string;
}

/**
 * What preprocessor_config.json asks for, applied to images: resize (Pillow's), centre crop,
 * rescale and normalise, then the batch as `pixelValues` [batch, 3, height, width] in float32.
 *
 * @example
 * ```ts
 * const processor = await AutoImageProcessor.fromPretrained('google/vit-base-patch16-224');
 * const { pixelValues } = processor.preprocess({ data: rgba, width: 640, height: 480 });
 * const { logits } = model.forward(pixelValues);
 * ```
 */
export class ImageProcessor {
  /** The class the hub's Python code would use (`ViTImageProcessor`, `CLIPImageProcessor`). */
  readonly kind: string;
  readonly config: Readonly<ImageProcessorConfig>;
  private readonly settings: Settings;

  constructor(config: ImageProcessorConfig) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`ImageProcessor: config must be the object of preprocessor_config.json, got ${config === null ? 'null' : typeof config}`);
    this.settings = settingsOf(config, 'ImageProcessor');
    this.kind = this.settings.kind;
    this.config = { ...config };
  }

  /** The processor of a checkpoint: its preprocessor_config.json, from a directory, URL or hub repo id. */
  static async fromPretrained(source: string | ModelSource, options: HubOptions = {}): Promise<ImageProcessor> {
    const src = typeof source === 'string' ? await openSource(source, options) : source;
    let config: ImageProcessorConfig;
    try {
      config = await readJson<ImageProcessorConfig>(src, 'preprocessor_config.json');
    } catch (e) {
      if (e instanceof MissingFileError) throw new Error(`AutoImageProcessor.fromPretrained: ${src.description} has no preprocessor_config.json`, { cause: e });
      throw e;
    }
    try {
      return new ImageProcessor(config);
    } catch (e) {
      throw new Error(`AutoImageProcessor.fromPretrained: preprocessor_config.json of ${src.description}: ${(e as Error).message.replace(/^ImageProcessor: /, '')}`, { cause: e });
    }
  }

  /** One image through every step but the last, as 8-bit RGB (what the model's pixels come from). */
  prepare(image: RawImage): RawImage & { channels: number; data: Uint8Array } {
    const s = this.settings;
    const given = toPixels(image, `${this.kind}.preprocess`);
    if (!s.convertRgb && given.channels === 1) throw new Error(`${this.kind}.preprocess: a grey image needs do_convert_rgb, which this config turns off`);
    let px = toRgb(given);
    if (s.resize) {
      let height: number;
      let width: number;
      if ('shortest' in s.resize) {
        // The short side becomes `shortest`, the long one keeps the aspect ratio (truncated).
        const short = Math.min(px.width, px.height);
        const long = Math.max(px.width, px.height);
        const newLong = Math.trunc((s.resize.shortest * long) / short);
        [height, width] = px.width <= px.height ? [newLong, s.resize.shortest] : [s.resize.shortest, newLong];
      } else ({ height, width } = s.resize);
      px = resizeImage(px, width, height, s.resample) as Pixels;
    }
    if (s.crop) px = centerCrop(px, s.crop.height, s.crop.width);
    return px;
  }

  /** Images (one or a batch of one size after processing) as `pixelValues` [batch, 3, height, width]. */
  preprocess(images: RawImage | readonly RawImage[], options: PreprocessOptions = {}): { pixelValues: Tensor } {
    const list = Array.isArray(images) ? (images as readonly RawImage[]) : [images as RawImage];
    if (list.length === 0) throw new Error(`${this.kind}.preprocess: no images given`);
    const prepared = list.map((image) => this.prepare(image));
    const { width, height } = prepared[0]!;
    prepared.forEach((p, i) => {
      if (p.width !== width || p.height !== height) throw new Error(`${this.kind}.preprocess: image ${i} comes out ${p.width} x ${p.height} but image 0 ${width} x ${height}; a batch needs one size (set do_center_crop or a { height, width } size)`);
    });
    const { rescale, mean, std } = this.settings;
    const plane = width * height;
    const out = new Float32Array(list.length * 3 * plane);
    prepared.forEach((p, b) => {
      for (let c = 0; c < 3; c++) {
        // In float32 as the hub's numpy code: rescaled, then (x - mean) / std.
        const m = mean ? Math.fround(mean[c]!) : 0;
        const sd = std ? Math.fround(std[c]!) : 1;
        for (let i = 0; i < plane; i++) {
          let v = p.data[i * 3 + c]!;
          if (rescale !== null) v = Math.fround(v * rescale);
          if (mean) v = Math.fround(Math.fround(v - m) / sd);
          out[(b * 3 + c) * plane + i] = v;
        }
      }
    });
    return { pixelValues: tl.tensor(out, { device: options.device }).reshape([list.length, 3, height, width]) };
  }
}

/** `AutoImageProcessor.fromPretrained(source)`: the processor its preprocessor_config.json names. */
export const AutoImageProcessor = {
  fromPretrained: (source: string | ModelSource, options: HubOptions = {}): Promise<ImageProcessor> => ImageProcessor.fromPretrained(source, options),
};
