/**
 * Deterministic image operations, as `torchvision.transforms.functional` (import it as
 * `functional as TF`). Each takes an image array (float32 [C, H, W], what the vision datasets
 * transform) or a float32 tensor `[..., C, H, W]` on any backend, and returns the same kind.
 * Values follow torchvision 0.14 on tensors; sizes are `[height, width]`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import {
  affineGrid,
  blend,
  checkChannels,
  convolveTaps,
  cropIndex,
  dimsOf,
  fillValues,
  grayMean,
  grayscale,
  isImageArray,
  padIndex,
  remap,
  resizeTaps,
  sampleGrid,
  separable,
  shiftHue,
  type Image,
  type ImageArray,
  type Interpolation,
  type PaddingMode,
} from './image.js';
import { checkOptions, describe } from './sampler.js';

export type { Image, ImageArray, Interpolation, PaddingMode };

const f = Math.fround;

function checkInt(name: string, what: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`${name}: ${what} must be an integer >= ${min}, got ${describe(v)}`);
  return v;
}

function checkNumber(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name}: ${what} must be a finite number, got ${describe(v)}`);
  return v;
}

/** `size` as [height, width]: a number is both. */
export function sizePair(name: string, size: unknown): [number, number] {
  const pair = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 1 ? [size[0], size[0]] : size;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
    throw new TypeError(`${name}: size must be a positive integer or [height, width], got ${describe(size)}`);
  }
  return [pair[0], pair[1]];
}

/** Python's round(): halves to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---- geometry -------------------------------------------------------------------------------

export interface ResizeOptions {
  /** 'nearest', 'nearest-exact', 'bilinear' (default) or 'bicubic'. */
  interpolation?: Interpolation;
  /** With a single `size` (the shorter side): the longest the longer side may become. */
  maxSize?: number;
  /**
   * Antialias when downsampling (bilinear and bicubic). Default false: torchvision 0.14's
   * default for tensors.
   */
  antialias?: boolean;
}

const INTERPOLATIONS: readonly Interpolation[] = ['nearest', 'nearest-exact', 'bilinear', 'bicubic'];

export function checkResizeOptions(name: string, options: ResizeOptions): Required<Omit<ResizeOptions, 'maxSize'>> & { maxSize?: number } {
  checkOptions(name, options, ['interpolation', 'maxSize', 'antialias'], { max_size: 'maxSize' });
  const interpolation = options.interpolation ?? 'bilinear';
  if (!INTERPOLATIONS.includes(interpolation)) throw new TypeError(`${name}: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got ${describe(interpolation)}`);
  const antialias = options.antialias ?? false;
  if (typeof antialias !== 'boolean') throw new TypeError(`${name}: antialias must be a boolean, got ${describe(antialias)}`);
  if (antialias && interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw new Error(`${name}: antialias is supported for bilinear and bicubic interpolation only, got ${interpolation}`);
  }
  if (options.maxSize !== undefined) checkInt(name, 'maxSize', options.maxSize, 1);
  return { interpolation, antialias, maxSize: options.maxSize };
}

/** torchvision's output size of `resize`: [h, w], or the shorter side (keeping the aspect ratio). */
export function resizedSize(name: string, height: number, width: number, size: number | readonly number[], maxSize?: number): [number, number] {
  const list = typeof size === 'number' ? [size] : Array.isArray(size) ? [...size] : null;
  if (!list || (list.length !== 1 && list.length !== 2) || !list.every((v) => Number.isInteger(v) && v > 0)) {
    throw new TypeError(`${name}: size must be a positive integer (the shorter side), [size] or [height, width], got ${describe(size)}`);
  }
  if (list.length === 2) {
    if (maxSize !== undefined) throw new Error(`${name}: maxSize only applies when size gives the shorter side (a single number)`);
    return [list[0], list[1]];
  }
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = list[0];
  let newLong = Math.trunc((newShort * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= newShort) throw new Error(`${name}: maxSize = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${newShort}`);
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/**
 * Resize to `size` ([h, w], or the shorter side), as torchvision's `resize` on tensors
 * (bilinear by default, antialias off as in 0.14; `antialias: true` matches PIL's filter).
 *
 * @example
 * ```ts
 * TF.resize(image, 256); // shorter side 256
 * TF.resize(image, [224, 224], { interpolation: 'bicubic', antialias: true });
 * ```
 */
export function resize<I extends Image>(image: I, size: number | readonly number[], options: ResizeOptions = {}): I {
  const o = checkResizeOptions('resize', options);
  const { height, width } = dimsOf('resize', image);
  const [h, w] = resizedSize('resize', height, width, size, o.maxSize);
  if (h === height && w === width) return image;
  return separable(image, resizeTaps(height, h, o.interpolation, o.antialias), resizeTaps(width, w, o.interpolation, o.antialias));
}

/**
 * The `height x width` window at (`top`, `left`); parts outside the image are zeros, as
 * torchvision's `crop`.
 *
 * @example
 * ```ts
 * TF.crop(image, 4, 4, 24, 24);
 * ```
 */
export function crop<I extends Image>(image: I, top: number, left: number, height: number, width: number): I {
  const dims = dimsOf('crop', image);
  [top, left].forEach((v, i) => {
    if (!Number.isInteger(v)) throw new TypeError(`crop: ${i ? 'left' : 'top'} must be an integer, got ${describe(v)}`);
  });
  checkInt('crop', 'height', height, 0);
  checkInt('crop', 'width', width, 0);
  return remap(image, cropIndex(dims.height, top, height), cropIndex(dims.width, left, width), fillValues('crop', 0, dims.channels));
}

/**
 * The central `size` window, padded with zeros when the image is smaller, as torchvision's
 * `center_crop`.
 *
 * @example
 * ```ts
 * TF.centerCrop(image, 224);
 * ```
 */
export function centerCrop<I extends Image>(image: I, size: number | readonly [number, number]): I {
  const [ch, cw] = sizePair('centerCrop', size);
  const { height, width } = dimsOf('centerCrop', image);
  // torchvision pads first (left/top get the smaller half), then crops at round((H - h) / 2).
  const padH = ch > height ? [(ch - height) >> 1, (ch - height + 1) >> 1] : [0, 0];
  const padW = cw > width ? [(cw - width) >> 1, (cw - width + 1) >> 1] : [0, 0];
  const ph = height + padH[0] + padH[1];
  const pw = width + padW[0] + padW[1];
  const top = roundHalfEven((ph - ch) / 2) - padH[0];
  const left = roundHalfEven((pw - cw) / 2) - padW[0];
  return crop(image, top, left, ch, cw);
}

/** `[left, top, right, bottom]` from torchvision's 1, 2 or 4 padding values. */
export function paddingLTRB(name: string, padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : Array.isArray(padding) ? [...padding] : null;
  if (!p || ![1, 2, 4].includes(p.length) || !p.every((v) => Number.isInteger(v))) {
    throw new TypeError(`${name}: padding must be an integer or a list of 1, 2 or 4 integers (left/right, top/bottom; or left, top, right, bottom), got ${describe(padding)}`);
  }
  if (p.length === 1) return [p[0], p[0], p[0], p[0]];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

export interface PadOptions {
  /** The value of constant padding, one for all channels or one per channel. Default 0. */
  fill?: number | readonly number[];
  /** 'constant' (default), 'edge', 'reflect' (without repeating the edge) or 'symmetric' (repeating it). */
  paddingMode?: PaddingMode;
}

const PADDING_MODES: readonly PaddingMode[] = ['constant', 'edge', 'reflect', 'symmetric'];

/**
 * Pad the sides by `padding` (one value, [left/right, top/bottom] or [left, top, right,
 * bottom]), as torchvision's `pad`. Negative values crop.
 *
 * @example
 * ```ts
 * TF.pad(image, 4, { paddingMode: 'reflect' });
 * ```
 */
export function pad<I extends Image>(image: I, padding: number | readonly number[], options: PadOptions = {}): I {
  checkOptions('pad', options, ['fill', 'paddingMode'], { padding_mode: 'paddingMode' });
  const mode = options.paddingMode ?? 'constant';
  if (!PADDING_MODES.includes(mode)) throw new TypeError(`pad: paddingMode must be one of ${PADDING_MODES.join(', ')}, got ${describe(mode)}`);
  const [l, t, r, b] = paddingLTRB('pad', padding);
  const dims = dimsOf('pad', image);
  const fill = fillValues('pad', options.fill ?? 0, dims.channels);
  const axis = (n: number, before: number, after: number) => {
    // Negative padding crops that side first.
    const start = Math.max(0, -before);
    const end = n - Math.max(0, -after);
    const inner = padIndex(end - start, Math.max(0, before), Math.max(0, after), mode, 'pad');
    return inner.map((i) => (i < 0 ? -1 : i + start));
  };
  return remap(image, axis(dims.height, t, b), axis(dims.width, l, r), fill);
}

/**
 * Mirror left-right, as torchvision's `hflip`.
 *
 * @example
 * ```ts
 * TF.hflip(image);
 * ```
 */
export function hflip<I extends Image>(image: I): I {
  const { height, width, channels } = dimsOf('hflip', image);
  return remap(image, Int32Array.from({ length: height }, (_, i) => i), Int32Array.from({ length: width }, (_, i) => width - 1 - i), fillValues('hflip', 0, channels));
}

/**
 * Mirror top-bottom, as torchvision's `vflip`.
 *
 * @example
 * ```ts
 * TF.vflip(image);
 * ```
 */
export function vflip<I extends Image>(image: I): I {
  const { height, width, channels } = dimsOf('vflip', image);
  return remap(image, Int32Array.from({ length: height }, (_, i) => height - 1 - i), Int32Array.from({ length: width }, (_, i) => i), fillValues('vflip', 0, channels));
}

/**
 * Crop, then resize to `size`, as torchvision's `resized_crop`.
 *
 * @example
 * ```ts
 * TF.resizedCrop(image, 10, 20, 100, 80, [224, 224]);
 * ```
 */
export function resizedCrop<I extends Image>(image: I, top: number, left: number, height: number, width: number, size: number | readonly number[], options: ResizeOptions = {}): I {
  const cropped = crop(image, top, left, height, width);
  const out = resize(cropped, size, options);
  if (out !== cropped && cropped instanceof tl.Tensor) cropped.dispose();
  return out;
}

/** torchvision's `_get_inverse_affine_matrix`: output pixel -> input pixel, about the centre. */
export function inverseAffineMatrix(center: readonly [number, number], angle: number, translate: readonly [number, number], scale: number, shear: readonly [number, number]): number[] {
  const rad = (d: number) => (d * Math.PI) / 180;
  const rot = rad(angle);
  const sx = rad(shear[0]);
  const sy = rad(shear[1]);
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** torchvision's `_compute_affine_output_size` (the `expand` canvas), in float32. */
function expandedSize(matrix: readonly number[], w: number, h: number): [number, number] {
  const t = matrix.map((v) => f(v));
  const pts = [
    [-0.5 * w, -0.5 * h],
    [-0.5 * w, 0.5 * h],
    [0.5 * w, 0.5 * h],
    [0.5 * w, -0.5 * h],
  ];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of pts) {
    const nx = f(f(f(f(x) * t[0]) + f(f(y) * t[1])) + t[2]);
    const ny = f(f(f(f(x) * t[3]) + f(f(y) * t[4])) + t[5]);
    minX = Math.min(minX, nx);
    maxX = Math.max(maxX, nx);
    minY = Math.min(minY, ny);
    maxY = Math.max(maxY, ny);
  }
  const tol = f(1e-4);
  const ceilT = (v: number) => Math.ceil(f(Math.trunc(f(v / tol)) * tol));
  const floorT = (v: number) => Math.floor(f(Math.trunc(f(v / tol)) * tol));
  const cmaxX = ceilT(f(maxX + f(w * 0.5)));
  const cmaxY = ceilT(f(maxY + f(h * 0.5)));
  const cminX = floorT(f(minX + f(w * 0.5)));
  const cminY = floorT(f(minY + f(h * 0.5)));
  return [Math.trunc(cmaxX - cminX), Math.trunc(cmaxY - cminY)];
}

export interface RotateOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** Grow the canvas to hold the whole rotated image. Default false. */
  expand?: boolean;
  /** The centre of rotation [x, y] in pixels from the top-left corner. Default the image centre. */
  center?: readonly [number, number];
  /** The value outside the rotated image, one or per channel. Default: zeros (no fill pass). */
  fill?: number | readonly number[];
}

function checkGridInterpolation(name: string, interpolation: unknown): 'nearest' | 'bilinear' {
  const mode = interpolation ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') throw new TypeError(`${name}: interpolation must be 'nearest' or 'bilinear', got ${describe(interpolation)}`);
  return mode;
}

function centerOffset(name: string, center: unknown, height: number, width: number): [number, number] {
  if (center === undefined) return [0, 0];
  if (!Array.isArray(center) || center.length !== 2 || !center.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`${name}: center must be [x, y], got ${describe(center)}`);
  }
  return [center[0] - width * 0.5, center[1] - height * 0.5];
}

/**
 * Rotate by `angle` degrees counter-clockwise, as torchvision's `rotate` on tensors.
 *
 * @example
 * ```ts
 * TF.rotate(image, 30, { interpolation: 'bilinear', fill: 0.5 });
 * ```
 */
export function rotate<I extends Image>(image: I, angle: number, options: RotateOptions = {}): I {
  checkOptions('rotate', options, ['interpolation', 'expand', 'center', 'fill']);
  checkNumber('rotate', 'angle', angle);
  const mode = checkGridInterpolation('rotate', options.interpolation);
  const expand = options.expand ?? false;
  if (typeof expand !== 'boolean') throw new TypeError(`rotate: expand must be a boolean, got ${describe(expand)}`);
  const { channels, height, width } = dimsOf('rotate', image);
  const center = centerOffset('rotate', options.center, height, width);
  const fill = options.fill === undefined ? null : fillValues('rotate', options.fill, channels);
  const matrix = inverseAffineMatrix(center, -angle, [0, 0], 1, [0, 0]);
  const [ow, oh] = expand ? expandedSize(matrix, width, height) : [width, height];
  return sampleGrid(image, affineGrid(matrix, width, height, ow, oh, mode), fill);
}

export interface AffineOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** The value outside the transformed image. Default: zeros (no fill pass). */
  fill?: number | readonly number[];
  /** The centre [x, y] in pixels. Default the image centre. */
  center?: readonly [number, number];
}

/**
 * Rotate (`angle` degrees clockwise), translate ([x, y] pixels), scale and shear
 * (degrees, [x, y]) about the centre, as torchvision's `affine` on tensors.
 *
 * @example
 * ```ts
 * TF.affine(image, 15, [2, -3], 1.1, [5, 0], { interpolation: 'bilinear' });
 * ```
 */
export function affine<I extends Image>(image: I, angle: number, translate: readonly [number, number], scale: number, shear: number | readonly number[], options: AffineOptions = {}): I {
  checkOptions('affine', options, ['interpolation', 'fill', 'center']);
  checkNumber('affine', 'angle', angle);
  if (!Array.isArray(translate) || translate.length !== 2 || !translate.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`affine: translate must be [x, y], got ${describe(translate)}`);
  }
  if (typeof scale !== 'number' || !(scale > 0)) throw new RangeError(`affine: scale must be positive, got ${describe(scale)}`);
  const sh = typeof shear === 'number' ? [shear, 0] : Array.isArray(shear) && shear.length === 1 ? [shear[0], shear[0]] : shear;
  if (!Array.isArray(sh) || sh.length !== 2 || !sh.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`affine: shear must be a number or [x, y] degrees, got ${describe(shear)}`);
  }
  const mode = checkGridInterpolation('affine', options.interpolation);
  const { channels, height, width } = dimsOf('affine', image);
  const center = centerOffset('affine', options.center, height, width);
  const fill = options.fill === undefined ? null : fillValues('affine', options.fill, channels);
  const matrix = inverseAffineMatrix(center, angle, [translate[0], translate[1]], scale, [sh[0], sh[1]]);
  return sampleGrid(image, affineGrid(matrix, width, height, width, height, mode), fill);
}

/**
 * Blur with a Gaussian kernel (`kernelSize` odd, one or [x, y]; `sigma` one or [x, y],
 * default from the kernel size), reflecting at the edges, as torchvision's `gaussian_blur`.
 *
 * @example
 * ```ts
 * TF.gaussianBlur(image, 5, 1.2);
 * ```
 */
export function gaussianBlur<I extends Image>(image: I, kernelSize: number | readonly number[], sigma?: number | readonly number[]): I {
  const ks = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : Array.isArray(kernelSize) && kernelSize.length === 1 ? [kernelSize[0], kernelSize[0]] : kernelSize;
  if (!Array.isArray(ks) || ks.length !== 2 || !ks.every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) {
    throw new TypeError(`gaussianBlur: kernelSize must be an odd positive integer or two of them, got ${describe(kernelSize)}`);
  }
  let s: number[];
  if (sigma === undefined) s = ks.map((k) => 0.3 * ((k - 1) * 0.5 - 1) + 0.8);
  else s = typeof sigma === 'number' ? [sigma, sigma] : Array.isArray(sigma) && sigma.length === 1 ? [sigma[0], sigma[0]] : [...(sigma as number[])];
  if (s.length !== 2 || !s.every((v) => typeof v === 'number' && v > 0)) throw new TypeError(`gaussianBlur: sigma must be positive, one or [x, y], got ${describe(sigma)}`);
  const { height, width } = dimsOf('gaussianBlur', image);
  const kernel = (k: number, sd: number) => {
    const half = (k - 1) * 0.5;
    const pdf = Float32Array.from({ length: k }, (_, i) => {
      const x = f(k === 1 ? -half : -half + (i * (2 * half)) / (k - 1));
      return f(Math.exp(f(-0.5 * f(f(x / f(sd)) ** 2))));
    });
    let total = 0;
    for (const v of pdf) total = f(total + v);
    return pdf.map((v) => f(v / total));
  };
  // kernelSize and sigma are [x, y] as in torchvision.
  return separable(image, convolveTaps(height, kernel(ks[1], s[1])), convolveTaps(width, kernel(ks[0], s[0])));
}

// ---- colour ---------------------------------------------------------------------------------

function checkFactor(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${name}: ${what} (${describe(v)}) must be a non-negative number`);
  return v;
}

/**
 * Multiply brightness by `factor` (0 black, 1 unchanged), as torchvision's `adjust_brightness`.
 *
 * @example
 * ```ts
 * TF.adjustBrightness(image, 1.2);
 * ```
 */
export function adjustBrightness<I extends Image>(image: I, factor: number): I {
  checkFactor('adjustBrightness', 'brightness factor', factor);
  checkChannels('adjustBrightness', dimsOf('adjustBrightness', image, 3), [1, 3]);
  return blend(image, 0, factor);
}

/**
 * Blend with the mean gray level by `factor` (0 gray, 1 unchanged), as torchvision's
 * `adjust_contrast`.
 *
 * @example
 * ```ts
 * TF.adjustContrast(image, 0.8);
 * ```
 */
export function adjustContrast<I extends Image>(image: I, factor: number): I {
  checkFactor('adjustContrast', 'contrast factor', factor);
  checkChannels('adjustContrast', dimsOf('adjustContrast', image, 3), [1, 3]);
  const mean = grayMean(image);
  if (typeof mean === 'number') return blend(image, mean, factor);
  const out = blend(image as Tensor, mean, factor);
  mean.dispose();
  return out as I;
}

/**
 * Blend with the grayscale image by `factor` (0 gray, 1 unchanged, 2 doubly saturated), as
 * torchvision's `adjust_saturation`; 1-channel images are returned as they are.
 *
 * @example
 * ```ts
 * TF.adjustSaturation(image, 1.5);
 * ```
 */
export function adjustSaturation<I extends Image>(image: I, factor: number): I {
  checkFactor('adjustSaturation', 'saturation factor', factor);
  const dims = dimsOf('adjustSaturation', image, 3);
  checkChannels('adjustSaturation', dims, [1, 3]);
  if (dims.channels === 1) return image;
  const gray = grayscale(image, 1);
  if (!(gray instanceof tl.Tensor)) {
    // Broadcast the one gray plane over the three channels.
    const g = (gray as ImageArray).data;
    const wide = new Float32Array(g.length * 3);
    wide.set(g, 0);
    wide.set(g, g.length);
    wide.set(g, 2 * g.length);
    return blend(image, { ...(gray as ImageArray), data: wide, channels: 3 } as I, factor);
  }
  const out = blend(image as Tensor, gray as Tensor, factor);
  (gray as Tensor).dispose();
  return out as I;
}

/**
 * Rotate the hue by `factor` in [-0.5, 0.5] turns, as torchvision's `adjust_hue`; 1-channel
 * images are returned as they are.
 *
 * @example
 * ```ts
 * TF.adjustHue(image, 0.1);
 * ```
 */
export function adjustHue<I extends Image>(image: I, factor: number): I {
  if (typeof factor !== 'number' || !(factor >= -0.5 && factor <= 0.5)) throw new RangeError(`adjustHue: hue factor (${describe(factor)}) is not in [-0.5, 0.5]`);
  const dims = dimsOf('adjustHue', image, 3);
  checkChannels('adjustHue', dims, [1, 3]);
  if (dims.channels === 1) return image;
  return shiftHue(image, factor);
}

/**
 * Luma (`0.2989 R + 0.587 G + 0.114 B`) as 1 or 3 channels, as torchvision's `rgb_to_grayscale`.
 *
 * @example
 * ```ts
 * TF.rgbToGrayscale(image, 3);
 * ```
 */
export function rgbToGrayscale<I extends Image>(image: I, numOutputChannels: 1 | 3 = 1): I {
  if (numOutputChannels !== 1 && numOutputChannels !== 3) throw new TypeError(`rgbToGrayscale: numOutputChannels should be either 1 or 3, got ${describe(numOutputChannels)}`);
  return grayscale(image, numOutputChannels);
}

/** Per-channel values: one number for all, or one per channel. */
function perChannel(name: string, what: string, value: number | readonly number[], channels: number): number[] {
  const values = typeof value === 'number' ? [value] : Array.isArray(value) ? [...value] : null;
  if (!values || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new TypeError(`${name}: ${what} must be a number or a list of numbers, got ${describe(value)}`);
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) throw new Error(`${name}: ${what} has ${values.length} values but the image has ${channels} channels`);
  return values;
}

/**
 * `(x - mean) / std` per channel, as torchvision's `normalize`.
 *
 * @example
 * ```ts
 * TF.normalize(image, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
 * ```
 */
export function normalize<I extends Image>(image: I, mean: number | readonly number[], std: number | readonly number[]): I {
  const stds = typeof std === 'number' ? [std] : Array.isArray(std) ? [...std] : [NaN];
  if (stds.some((s) => s === 0 || !Number.isFinite(s))) throw new Error(`normalize: std must be finite and non-zero, got ${JSON.stringify(std)}`);
  const { channels, height, width } = dimsOf('normalize', image, image instanceof tl.Tensor ? 3 : 2);
  const m = perChannel('normalize', 'mean', mean, channels);
  const s = perChannel('normalize', 'std', std, channels);
  if (!(image instanceof tl.Tensor)) {
    const src = (image as ImageArray).data;
    const plane = height * width;
    const out = new Float32Array(src.length);
    for (let c = 0; c < channels; c++) {
      const mc = f(m[c]);
      const sc = f(s[c]);
      const base = c * plane;
      for (let i = base; i < base + plane; i++) out[i] = f(src[i] - mc) / sc;
    }
    return { ...(image as ImageArray), data: out } as I;
  }
  return tl.tidy(() => (image as Tensor).sub(tl.tensor(m).reshape([channels, 1, 1])).div(tl.tensor(s).reshape([channels, 1, 1]))) as I;
}

/**
 * Set the `h x w` window at (`i`, `j`) to `value` (one number, one per channel, or `C*h*w`
 * values), as torchvision's `erase`. Returns a new image.
 *
 * @example
 * ```ts
 * TF.erase(image, 8, 8, 16, 16, 0);
 * ```
 */
export function erase<I extends Image>(image: I, i: number, j: number, h: number, w: number, value: number | readonly number[] | Float32Array): I {
  const { channels, height, width } = dimsOf('erase', image);
  [i, j, h, w].forEach((v, k) => checkInt('erase', ['i', 'j', 'h', 'w'][k], v, 0));
  const y1 = Math.min(height, i + h);
  const x1 = Math.min(width, j + w);
  const eh = Math.max(0, y1 - i);
  const ew = Math.max(0, x1 - j);
  let values: Float32Array;
  if (value instanceof Float32Array) {
    if (value.length !== channels * h * w) throw new Error(`erase: value has ${value.length} values; expected ${channels * h * w} (C x h x w)`);
    values = value;
  } else {
    const per = perChannel('erase', 'value', value as number | number[], channels);
    values = new Float32Array(channels * h * w);
    for (let c = 0; c < channels; c++) values.fill(per[c], c * h * w, (c + 1) * h * w);
  }
  if (!(image instanceof tl.Tensor)) {
    const out = (image as ImageArray).data.slice();
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < eh; y++) for (let x = 0; x < ew; x++) out[(c * height + i + y) * width + j + x] = values[(c * h + y) * w + x];
    }
    return { ...(image as ImageArray), data: out } as I;
  }
  return tl.tidy(() => {
    const t = image as Tensor;
    const mask = new Uint8Array(height * width);
    const full = new Float32Array(channels * height * width);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < eh; y++) {
        for (let x = 0; x < ew; x++) {
          mask[(i + y) * width + j + x] = 1;
          full[(c * height + i + y) * width + j + x] = values[(c * h + y) * w + x];
        }
      }
    }
    const m = tl.tensor(mask, { dtype: 'bool' }).reshape([height, width]);
    const v = tl.tensor(full).reshape(t.rank >= 3 ? [channels, height, width] : [height, width]);
    return tl.where(m, v, t);
  }) as I;
}

// ---- conversion -----------------------------------------------------------------------------

/** Pixels as bytes in height x width x channels order: a browser `ImageData` (RGBA), a decoded image. */
export interface PixelArray {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Channels per pixel; default `data.length / (width * height)` (4 for ImageData). */
  channels?: number;
}

/**
 * A float32 tensor [C, H, W] in [0, 1] from an image array, or from bytes in H x W x C order
 * (ImageData, a decoded PNG) divided by 255, as torchvision's `to_tensor`.
 *
 * @example
 * ```ts
 * const x = TF.toTensor(ctx.getImageData(0, 0, 32, 32)); // [4, 32, 32]
 * ```
 */
export function toTensor(image: ImageArray | PixelArray | Tensor): Tensor {
  if (image instanceof tl.Tensor) return image;
  if (isImageArray(image)) {
    const { channels, height, width } = dimsOf('toTensor', image);
    return tl.tidy(() => tl.tensor(image.data).reshape([channels, height, width]));
  }
  const p = image as Partial<PixelArray> | null;
  if (!p || !(p.data instanceof Uint8Array || p.data instanceof Uint8ClampedArray) || !Number.isInteger(p.width) || !Number.isInteger(p.height)) {
    throw new TypeError(`toTensor: expected an ImageArray, or bytes { data: Uint8Array, width, height, channels? } in H x W x C order, got ${describe(image)}`);
  }
  const plane = p.width! * p.height!;
  const channels = p.channels ?? (plane ? p.data.length / plane : 0);
  if (!Number.isInteger(channels) || channels * plane !== p.data.length) {
    throw new Error(`toTensor: ${p.data.length} bytes do not make a ${p.height} x ${p.width} image${p.channels ? ` of ${p.channels} channels` : ''}`);
  }
  return tl.tidy(() => tl.tensor(toImageArray(image as PixelArray).data).reshape([channels, p.height!, p.width!]));
}

/**
 * An image array (float32 [C, H, W] in [0, 1]) from bytes in H x W x C order, the form the
 * dataset transforms work on.
 *
 * @example
 * ```ts
 * const img = TF.toImageArray({ data: rgbBytes, width: 32, height: 32, channels: 3 });
 * ```
 */
export function toImageArray(pixels: PixelArray): ImageArray {
  const plane = pixels.width * pixels.height;
  const channels = pixels.channels ?? (plane ? pixels.data.length / plane : 0);
  if (!Number.isInteger(channels) || channels * plane !== pixels.data.length) {
    throw new Error(`toImageArray: ${pixels.data.length} bytes do not make a ${pixels.height} x ${pixels.width} image`);
  }
  const out = new Float32Array(channels * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < channels; c++) out[c * plane + i] = pixels.data[i * channels + c] / 255;
  return { data: out, channels, height: pixels.height, width: pixels.width };
}
