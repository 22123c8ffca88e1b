/**
 * The image primitives the transforms are built from, each for both image forms: host image
 * arrays (`ImageArray`, float32 [C, H, W], the form the vision datasets transform before they
 * make one tensor per batch) and tensors (`[..., C, H, W]` float32, on any backend, composed
 * from core ops). Host arithmetic follows float32 (`Math.fround`) in the order torchvision's
 * tensor kernels use, so results match torchvision 0.14 to the last bit or two.
 *
 * - `remap`: each output row/column copies an input row/column, or a fill value (crop, pad,
 *   flip).
 * - `separable`: each output row/column is a weighted sum of input rows/columns (resize,
 *   blur): sparse taps on the host, two matmuls for tensors.
 * - `sampleGrid`: each output pixel is a weighted sum of up to four input pixels (rotate,
 *   affine), with torchvision's fill handling.
 * - colour: grayscale, blend, and hue through HSV.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { describe } from './sampler.js';

/** One image: `data` holds channels x height x width float32 values, row-major. */
export interface ImageArray {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** An image a transform accepts: an image array, or a float32 tensor `[..., C, H, W]`. */
export type Image = ImageArray | Tensor;

const f = Math.fround;

export interface Dims {
  channels: number;
  height: number;
  width: number;
}

export function isImageArray(value: unknown): value is ImageArray {
  const v = value as Partial<ImageArray> | null;
  return v !== null && typeof v === 'object' && v.data instanceof Float32Array && typeof v.channels === 'number' && typeof v.height === 'number' && typeof v.width === 'number';
}

/** The channel count and spatial size of `image`, or an error naming `name`. */
export function dimsOf(name: string, image: unknown, minRank = 2): Dims {
  if (image instanceof tl.Tensor) {
    if (image.rank < minRank) throw new Error(`${name}: expected a tensor image [..., C, H, W] with at least ${minRank} dims, got shape [${image.shape.join(', ')}]`);
    if (image.dtype !== 'float32') throw new TypeError(`${name}: expected a float32 tensor image, got ${image.dtype}; convert with t.float() (and divide bytes by 255)`);
    const s = image.shape;
    return { channels: image.rank >= 3 ? s[s.length - 3] : 1, height: s[s.length - 2], width: s[s.length - 1] };
  }
  if (isImageArray(image)) {
    const { channels, height, width } = image;
    if (![channels, height, width].every((d) => Number.isInteger(d) && d >= 0) || image.data.length !== channels * height * width) {
      throw new Error(`${name}: the image array's ${image.data.length} values do not make [${channels}, ${height}, ${width}]`);
    }
    return { channels, height, width };
  }
  throw new TypeError(
    `${name}: expected an image (an ImageArray { data: Float32Array, channels, height, width } or a float32 tensor [..., C, H, W]), got ${describe(image)}`,
  );
}

export function checkChannels(name: string, dims: Dims, allowed: readonly number[]): void {
  if (!allowed.includes(dims.channels)) throw new Error(`${name}: expected an image with ${allowed.join(' or ')} channels, got ${dims.channels}`);
}

/** Per-channel fill values: one number for all, or one per channel. */
export function fillValues(name: string, fill: number | readonly number[], channels: number): number[] {
  const values = typeof fill === 'number' ? [fill] : [...fill];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new TypeError(`${name}: fill must be a number or a list of numbers, got ${JSON.stringify(fill)}`);
  if (values.length === 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels) throw new Error(`${name}: fill has ${values.length} values but the image has ${channels} channels`);
  return values;
}

function fillTensor(fill: readonly number[]): number | Tensor {
  if (fill.every((v) => v === fill[0])) return fill[0];
  return tl.tidy(() => tl.tensor(fill).reshape([fill.length, 1, 1]));
}

function constantTensor(values: ArrayLike<number>, shape: number[]): Tensor {
  return tl.tidy(() => tl.tensor(Float32Array.from(values)).reshape(shape));
}

function indexTensor(values: ArrayLike<number>): Tensor {
  return tl.tensor(Int32Array.from(values), { dtype: 'int32' });
}

// ---- remap ----------------------------------------------------------------------------------

/**
 * Output row `y` copies input row `rows[y]` (and column `x` input column `cols[x]`); -1 means
 * the fill value of the channel.
 */
export function remap<I extends Image>(image: I, rows: Int32Array, cols: Int32Array, fill: readonly number[]): I {
  const { channels, height, width } = dimsOf('remap', image);
  const outH = rows.length;
  const outW = cols.length;
  if (!(image instanceof tl.Tensor)) {
    const src = (image as ImageArray).data;
    const out = new Float32Array(channels * outH * outW);
    for (let c = 0; c < channels; c++) {
      const fc = f(fill[c] ?? 0);
      for (let y = 0; y < outH; y++) {
        const sy = rows[y];
        const dst = (c * outH + y) * outW;
        if (sy < 0) {
          out.fill(fc, dst, dst + outW);
          continue;
        }
        const base = (c * height + sy) * width;
        for (let x = 0; x < outW; x++) out[dst + x] = cols[x] < 0 ? fc : src[base + cols[x]];
      }
    }
    return { data: out, channels, height: outH, width: outW } as I;
  }
  return tl.tidy(() => {
    let t = image as Tensor;
    t = selectAxis(t, -2, rows, height);
    t = selectAxis(t, -1, cols, width);
    const rowsOut = rows.some((v) => v < 0);
    const colsOut = cols.some((v) => v < 0);
    if (!rowsOut && !colsOut) return t === image ? t.clone() : t;
    const mask = new Uint8Array(outH * outW);
    for (let y = 0; y < outH; y++) for (let x = 0; x < outW; x++) mask[y * outW + x] = rows[y] >= 0 && cols[x] >= 0 ? 1 : 0;
    const m = tl.tensor(mask, { dtype: 'bool' }).reshape([outH, outW]);
    return tl.where(m, t, fillTensor(fill.slice(0, image.rank >= 3 ? channels : 1)));
  }) as I;
}

/** Pick positions `index` (-1: any, filled later) along `dim` of a tensor. */
function selectAxis(t: Tensor, dim: number, index: Int32Array, size: number): Tensor {
  const n = index.length;
  const clamped = Int32Array.from(index, (v) => (v < 0 ? 0 : v));
  let identity = n === size;
  let run = true;
  for (let i = 0; i < n; i++) {
    if (clamped[i] !== i) identity = false;
    if (clamped[i] !== clamped[0] + i) run = false;
  }
  if (identity) return t;
  if (run && n > 0) return t.narrow(dim, clamped[0], n);
  return t.indexSelect(dim, indexTensor(clamped));
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** Where output position `i` (from -before) of a padded axis reads, for each padding mode. */
export function padIndex(n: number, before: number, after: number, mode: PaddingMode, name: string): Int32Array {
  if (mode === 'reflect' && (before >= n || after >= n)) {
    throw new Error(`${name}: reflect padding of ${Math.max(before, after)} needs a larger image side than ${n} (padding must be less than the side)`);
  }
  if (mode === 'symmetric' && (before > n || after > n)) {
    throw new Error(`${name}: symmetric padding of ${Math.max(before, after)} needs an image side of at least that, got ${n}`);
  }
  const out = new Int32Array(n + before + after);
  for (let k = 0; k < out.length; k++) {
    const i = k - before;
    if (i >= 0 && i < n) out[k] = i;
    else if (mode === 'constant') out[k] = -1;
    else if (mode === 'edge') out[k] = i < 0 ? 0 : n - 1;
    else if (mode === 'reflect') out[k] = i < 0 ? -i : 2 * (n - 1) - i;
    else out[k] = i < 0 ? -i - 1 : 2 * n - 1 - i;
  }
  return out;
}

/** Rows/columns `start .. start + length` of an axis of size `n`, -1 outside. */
export function cropIndex(n: number, start: number, length: number): Int32Array {
  return Int32Array.from({ length }, (_, k) => (start + k >= 0 && start + k < n ? start + k : -1));
}

// ---- separable resampling -------------------------------------------------------------------

/** For each output position, `k` (input index, weight) pairs; indices are in range. */
export interface Taps {
  outSize: number;
  inSize: number;
  k: number;
  index: Int32Array;
  weight: Float32Array;
}

/** Output rows from `rows` taps and columns from `cols` taps (null: that axis is kept). */
export function separable<I extends Image>(image: I, rows: Taps | null, cols: Taps | null): I {
  const { channels, height, width } = dimsOf('resize', image);
  if (!(image instanceof tl.Tensor)) {
    let data = (image as ImageArray).data;
    let w = width;
    if (cols) {
      const next = new Float32Array(channels * height * cols.outSize);
      for (let row = 0; row < channels * height; row++) {
        const src = row * w;
        const dst = row * cols.outSize;
        for (let x = 0; x < cols.outSize; x++) {
          let acc = 0;
          for (let j = 0; j < cols.k; j++) {
            const wt = cols.weight[x * cols.k + j];
            acc = j === 0 ? f(data[src + cols.index[x * cols.k]] * wt) : f(acc + f(data[src + cols.index[x * cols.k + j]] * wt));
          }
          next[dst + x] = acc;
        }
      }
      data = next;
      w = cols.outSize;
    }
    let h = height;
    if (rows) {
      const next = new Float32Array(channels * rows.outSize * w);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < rows.outSize; y++) {
          const dst = (c * rows.outSize + y) * w;
          for (let j = 0; j < rows.k; j++) {
            const wt = rows.weight[y * rows.k + j];
            const src = (c * h + rows.index[y * rows.k + j]) * w;
            if (j === 0) for (let x = 0; x < w; x++) next[dst + x] = f(data[src + x] * wt);
            else for (let x = 0; x < w; x++) next[dst + x] = f(next[dst + x] + f(data[src + x] * wt));
          }
        }
      }
      data = next;
      h = rows.outSize;
    }
    return { data: data === (image as ImageArray).data ? data.slice() : data, channels, height: h, width: w } as I;
  }
  return tl.tidy(() => {
    let t = image as Tensor;
    if (cols) t = t.matmul(denseTaps(cols, true));
    if (rows) t = denseTaps(rows, false).matmul(t);
    return t === image ? t.clone() : t;
  }) as I;
}

/** Taps as a dense [out, in] matrix (or its transpose), duplicated indices summed. */
function denseTaps(taps: Taps, transpose: boolean): Tensor {
  const m = new Float32Array(taps.outSize * taps.inSize);
  for (let o = 0; o < taps.outSize; o++) {
    for (let j = 0; j < taps.k; j++) {
      const i = taps.index[o * taps.k + j];
      const at = transpose ? i * taps.outSize + o : o * taps.inSize + i;
      m[at] = f(m[at] + taps.weight[o * taps.k + j]);
    }
  }
  return constantTensor(m, transpose ? [taps.inSize, taps.outSize] : [taps.outSize, taps.inSize]);
}

export type Interpolation = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic';

/** The 1-D taps of torch's `interpolate` (align_corners false) from `inSize` to `outSize`. */
export function resizeTaps(inSize: number, outSize: number, mode: Interpolation, antialias: boolean): Taps | null {
  if (inSize === outSize) return null;
  if (antialias && (mode === 'bilinear' || mode === 'bicubic')) return antialiasTaps(inSize, outSize, mode);
  const scale = f(inSize / outSize);
  if (mode === 'nearest' || mode === 'nearest-exact') {
    const index = new Int32Array(outSize);
    for (let o = 0; o < outSize; o++) {
      let i: number;
      if (mode === 'nearest') i = outSize === 2 * inSize ? o >> 1 : Math.floor(f(o * scale));
      else i = Math.floor(f((o + 0.5) * scale));
      index[o] = Math.min(i, inSize - 1);
    }
    return { outSize, inSize, k: 1, index, weight: new Float32Array(outSize).fill(1) };
  }
  if (mode === 'bilinear') {
    const index = new Int32Array(outSize * 2);
    const weight = new Float32Array(outSize * 2);
    for (let o = 0; o < outSize; o++) {
      const real = Math.max(f(f(scale * f(o + 0.5)) - 0.5), 0);
      const i0 = Math.min(Math.floor(real), inSize - 1);
      const lambda = Math.min(Math.max(f(real - i0), 0), 1);
      index[2 * o] = i0;
      index[2 * o + 1] = i0 + (i0 < inSize - 1 ? 1 : 0);
      weight[2 * o] = f(1 - lambda);
      weight[2 * o + 1] = lambda;
    }
    return { outSize, inSize, k: 2, index, weight };
  }
  // bicubic, A = -0.75, edge samples repeated.
  const A = -0.75;
  const cc1 = (x: number) => f(f(f(f(f(f(A + 2) * x) - f(A + 3)) * x) * x) + 1);
  const cc2 = (x: number) => f(f(f(f(f(f(A * x) - f(5 * A)) * x) + f(8 * A)) * x) - f(4 * A));
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const real = f(f(scale * f(o + 0.5)) - 0.5);
    const i0 = Math.floor(real);
    const t = f(real - i0);
    const coeffs = [cc2(f(t + 1)), cc1(t), cc1(f(1 - t)), cc2(f(f(1 - t) + 1))];
    for (let j = 0; j < 4; j++) {
      index[4 * o + j] = Math.min(Math.max(i0 - 1 + j, 0), inSize - 1);
      weight[4 * o + j] = coeffs[j];
    }
  }
  return { outSize, inSize, k: 4, index, weight };
}

/** PIL-style antialiased taps (torch's `_upsample_bilinear2d_aa` / `_bicubic2d_aa`). */
function antialiasTaps(inSize: number, outSize: number, mode: 'bilinear' | 'bicubic'): Taps {
  const scale = inSize / outSize;
  const interp = mode === 'bilinear' ? 2 : 4;
  const support = scale >= 1 ? (interp * 0.5) * scale : interp * 0.5;
  const filter =
    mode === 'bilinear'
      ? (x: number) => {
          const a = Math.abs(x);
          return a < 1 ? 1 - a : 0;
        }
      : (x: number) => {
          const a = Math.abs(x);
          const c = -0.5;
          if (a < 1) return ((c + 2) * a - (c + 3)) * a * a + 1;
          if (a < 2) return (((a - 5) * a + 8) * a - 4) * c;
          return 0;
        };
  const invscale = scale >= 1 ? 1 / scale : 1;
  const k = Math.ceil(support) * 2 + 1;
  const index = new Int32Array(outSize * k);
  const weight = new Float32Array(outSize * k);
  for (let o = 0; o < outSize; o++) {
    const center = scale * (o + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const ws: number[] = [];
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = filter((j + xmin - center + 0.5) * invscale);
      ws.push(w);
      total += w;
    }
    for (let j = 0; j < k; j++) {
      index[o * k + j] = j < xsize ? xmin + j : xmin;
      weight[o * k + j] = j < xsize ? (total !== 0 ? ws[j] / total : ws[j]) : 0;
    }
  }
  return { outSize, inSize, k, index, weight };
}

/** The taps of a 1-D convolution with `kernel` over an axis padded by reflection (gaussian blur). */
export function convolveTaps(n: number, kernel: Float32Array): Taps {
  const k = kernel.length;
  const half = (k - 1) >> 1;
  const reflect = padIndex(n, half, half, 'reflect', 'gaussianBlur');
  const index = new Int32Array(n * k);
  const weight = new Float32Array(n * k);
  for (let o = 0; o < n; o++) {
    for (let j = 0; j < k; j++) {
      index[o * k + j] = reflect[o + j];
      weight[o * k + j] = kernel[j];
    }
  }
  return { outSize: n, inSize: n, k, index, weight };
}

// ---- grid sampling --------------------------------------------------------------------------

export interface Grid {
  outH: number;
  outW: number;
  /** Taps per output pixel: 1 (nearest) or 4 (bilinear); out-of-range taps have weight 0. */
  k: number;
  index: Int32Array;
  weight: Float32Array;
  /** The sampled value of an all-ones image: 1 inside, 0 outside, in between at the edges. */
  mask: Float32Array;
}

/**
 * torchvision's affine grid for the inverse `matrix` (2 x 3, in pixels about the image
 * centre), sampled as `grid_sample(..., padding_mode='zeros', align_corners=False)`.
 */
export function affineGrid(matrix: readonly number[], w: number, h: number, outW: number, outH: number, mode: 'nearest' | 'bilinear'): Grid {
  // theta^T / [0.5 w, 0.5 h], in float32.
  const hw = f(0.5 * w);
  const hh = f(0.5 * h);
  const t = matrix.map((v) => f(v));
  const r00 = f(t[0] / hw), r10 = f(t[1] / hw), r20 = f(t[2] / hw);
  const r01 = f(t[3] / hh), r11 = f(t[4] / hh), r21 = f(t[5] / hh);
  const k = mode === 'nearest' ? 1 : 4;
  const P = outH * outW;
  const index = new Int32Array(P * k);
  const weight = new Float32Array(P * k);
  const mask = new Float32Array(P);
  const xStart = f(-outW * 0.5 + 0.5);
  const yStart = f(-outH * 0.5 + 0.5);
  for (let oy = 0; oy < outH; oy++) {
    const by = f(yStart + oy);
    for (let ox = 0; ox < outW; ox++) {
      const bx = f(xStart + ox);
      const gx = f(f(f(bx * r00) + f(by * r10)) + r20);
      const gy = f(f(f(bx * r01) + f(by * r11)) + r21);
      // Unnormalise (align_corners = false).
      const ix = f(f(f(f(gx + 1) * w) - 1) / 2);
      const iy = f(f(f(f(gy + 1) * h) - 1) / 2);
      const p = oy * outW + ox;
      if (mode === 'nearest') {
        const nx = roundHalfEven(ix);
        const ny = roundHalfEven(iy);
        const inside = nx >= 0 && nx < w && ny >= 0 && ny < h;
        index[p] = inside ? ny * w + nx : 0;
        weight[p] = inside ? 1 : 0;
        mask[p] = weight[p];
        continue;
      }
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const x1 = x0 + 1;
      const y1 = y0 + 1;
      const wx1 = f(ix - x0);
      const wx0 = f(x1 - ix);
      const wy1 = f(iy - y0);
      const wy0 = f(y1 - iy);
      const corners: [number, number, number][] = [
        [x0, y0, f(wx0 * wy0)],
        [x1, y0, f(wx1 * wy0)],
        [x0, y1, f(wx0 * wy1)],
        [x1, y1, f(wx1 * wy1)],
      ];
      let m = 0;
      corners.forEach(([x, y, wt], j) => {
        const inside = x >= 0 && x < w && y >= 0 && y < h;
        index[p * 4 + j] = inside ? y * w + x : 0;
        weight[p * 4 + j] = inside ? wt : 0;
        if (inside) m = j === 0 ? wt : f(m + wt);
      });
      mask[p] = m;
    }
  }
  return { outH, outW, k, index, weight, mask };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Sample `image` on `grid`; with `fill` (per channel), pixels outside the image take it as
 * torchvision does (nearest: where the mask is below 0.5; bilinear: blended by the mask).
 */
export function sampleGrid<I extends Image>(image: I, grid: Grid, fill: readonly number[] | null): I {
  const { channels, height, width } = dimsOf('affine', image);
  const { outH, outW, k } = grid;
  const P = outH * outW;
  if (!(image instanceof tl.Tensor)) {
    const src = (image as ImageArray).data;
    const out = new Float32Array(channels * P);
    const plane = height * width;
    for (let c = 0; c < channels; c++) {
      const base = c * plane;
      const fc = fill ? f(fill[c]) : 0;
      for (let p = 0; p < P; p++) {
        let v = 0;
        for (let j = 0; j < k; j++) {
          const wt = grid.weight[p * k + j];
          if (wt !== 0 || j === 0) v = j === 0 ? f(src[base + grid.index[p * k]] * wt) : f(v + f(src[base + grid.index[p * k + j]] * wt));
        }
        if (fill) {
          const m = grid.mask[p];
          v = k === 1 ? (m < 0.5 ? fc : v) : f(f(v * m) + f(f(1 - m) * fc));
        }
        out[c * P + p] = v;
      }
    }
    return { data: out, channels, height: outH, width: outW } as I;
  }
  return tl.tidy(() => {
    const t = image as Tensor;
    const lead = t.shape.slice(0, -2);
    const flat = t.reshape([...lead, height * width]);
    let sum: Tensor | null = null;
    for (let j = 0; j < k; j++) {
      const idx = indexTensor(Int32Array.from({ length: P }, (_, p) => grid.index[p * k + j]));
      const wts = constantTensor(Float32Array.from({ length: P }, (_, p) => grid.weight[p * k + j]), [P]);
      const term = flat.indexSelect(-1, idx).mul(wts);
      sum = sum ? sum.add(term) : term;
    }
    let out = sum!.reshape([...lead, outH, outW]);
    if (fill) {
      const fv = fillTensor(fill.slice(0, t.rank >= 3 ? channels : 1));
      if (k === 1) {
        const outside = tl.tensor(Uint8Array.from(grid.mask, (m) => (m < 0.5 ? 1 : 0)), { dtype: 'bool' }).reshape([outH, outW]);
        out = tl.where(outside, fv, out);
      } else {
        const m = constantTensor(grid.mask, [outH, outW]);
        out = out.mul(m).add(tl.sub(1, m).mul(fv));
      }
    }
    return out;
  }) as I;
}

// ---- colour ---------------------------------------------------------------------------------

const GRAY = [f(0.2989), f(0.587), f(0.114)];

/** Luma `0.2989 r + 0.587 g + 0.114 b` as 1 or 3 channels (1-channel images are copied). */
export function grayscale<I extends Image>(image: I, outChannels: 1 | 3): I {
  const { channels, height, width } = dimsOf('rgbToGrayscale', image, 3);
  checkChannels('rgbToGrayscale', { channels, height, width }, [1, 3]);
  const plane = height * width;
  if (!(image instanceof tl.Tensor)) {
    const src = (image as ImageArray).data;
    const out = new Float32Array(outChannels * plane);
    for (let i = 0; i < plane; i++) {
      const v = channels === 1 ? src[i] : f(f(f(GRAY[0] * src[i]) + f(GRAY[1] * src[plane + i])) + f(GRAY[2] * src[2 * plane + i]));
      for (let c = 0; c < outChannels; c++) out[c * plane + i] = v;
    }
    return { data: out, channels: outChannels, height, width } as I;
  }
  return tl.tidy(() => {
    const t = image as Tensor;
    let l: Tensor;
    if (channels === 1) l = t.clone();
    else {
      l = t.select(-3, 0).mul(0.2989).add(t.select(-3, 1).mul(0.587)).add(t.select(-3, 2).mul(0.114)).unsqueeze(-3);
    }
    return outChannels === 3 ? tl.cat([l, l, l], -3) : l;
  }) as I;
}

/** `clamp(ratio * a + (1 - ratio) * b, 0, 1)`, b an image or a per-image constant. */
export function blend<I extends Image>(a: I, b: I | number, ratio: number): I {
  const r = f(ratio);
  const q = f(1 - ratio);
  if (!(a instanceof tl.Tensor)) {
    const src = (a as ImageArray).data;
    const other = typeof b === 'number' ? null : (b as ImageArray).data;
    const bc = typeof b === 'number' ? f(b) : 0;
    const per = other ? other.length : 0;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = f(f(r * src[i]) + f(q * (other ? other[per === src.length ? i : i % per] : bc)));
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return { ...(a as ImageArray), data: out } as I;
  }
  return tl.tidy(() => {
    const other = typeof b === 'number' ? b : (b as Tensor);
    return (a as Tensor).mul(ratio).add(typeof other === 'number' ? f(q * other) : other.mul(q)).clamp(0, 1);
  }) as I;
}

/** The mean of each image's grayscale, one value per image (tensor: shape [..., 1, 1, 1]). */
export function grayMean<I extends Image>(image: I): I extends Tensor ? Tensor : number {
  const { channels } = dimsOf('adjustContrast', image, 3);
  const gray = channels === 3 ? grayscale(image, 1) : image;
  if (!(image instanceof tl.Tensor)) {
    const d = (gray as ImageArray).data;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i];
    return f(s / d.length) as never;
  }
  return tl.tidy(() => {
    const g = gray as Tensor;
    const out = g.mean([-3, -2, -1], true);
    if (gray !== image) g.dispose();
    return out;
  }) as never;
}

/** Shift the hue by `factor` turns through HSV, as torchvision's `adjust_hue`. */
export function shiftHue<I extends Image>(image: I, factor: number): I {
  const { height, width } = dimsOf('adjustHue', image, 3);
  const plane = height * width;
  const hf = f(factor);
  if (!(image instanceof tl.Tensor)) {
    const src = (image as ImageArray).data;
    const out = new Float32Array(src.length);
    for (let i = 0; i < plane; i++) {
      const r = src[i];
      const g = src[plane + i];
      const b = src[2 * plane + i];
      const maxc = Math.max(r, g, b);
      const minc = Math.min(r, g, b);
      const eqc = maxc === minc;
      const cr = f(maxc - minc);
      const s = f(cr / (eqc ? 1 : maxc));
      const div = eqc ? 1 : cr;
      const rc = f(f(maxc - r) / div);
      const gc = f(f(maxc - g) / div);
      const bc = f(f(maxc - b) / div);
      const hr = maxc === r ? f(bc - gc) : 0;
      const hg = maxc === g && maxc !== r ? f(f(2 + rc) - bc) : 0;
      const hb = maxc !== g && maxc !== r ? f(f(4 + gc) - rc) : 0;
      let h = f(f(hr + hg) + hb);
      h = f(f(h / 6) + 1);
      h = f(h - Math.trunc(h)); // fmod(h, 1), h > 0
      h = f(h + hf);
      h = f(h - Math.floor(h)); // Python's % 1.0
      // HSV back to RGB.
      const h6 = f(h * 6);
      const k = Math.floor(h6);
      const fr = f(h6 - k);
      const clamp = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
      const v = maxc;
      const p = clamp(f(v * f(1 - s)));
      const q = clamp(f(v * f(1 - f(s * fr))));
      const t = clamp(f(v * f(1 - f(s * f(1 - fr)))));
      const sector = ((k % 6) + 6) % 6;
      const rgb = [
        [v, t, p],
        [q, v, p],
        [p, v, t],
        [p, q, v],
        [t, p, v],
        [v, p, q],
      ][sector];
      out[i] = rgb[0];
      out[plane + i] = rgb[1];
      out[2 * plane + i] = rgb[2];
    }
    return { ...(image as ImageArray), data: out } as I;
  }
  return tl.tidy(() => {
    const x = image as Tensor;
    const r = x.select(-3, 0);
    const g = x.select(-3, 1);
    const b = x.select(-3, 2);
    const maxc = x.max(-3);
    const minc = x.min(-3);
    const eqc = maxc.eq(minc);
    const cr = maxc.sub(minc);
    const s = cr.div(tl.where(eqc, 1, maxc));
    const div = tl.where(eqc, 1, cr);
    const rc = maxc.sub(r).div(div);
    const gc = maxc.sub(g).div(div);
    const bc = maxc.sub(b).div(div);
    const hr = maxc.eq(r).float().mul(bc.sub(gc));
    const hg = maxc.eq(g).logicalAnd(maxc.ne(r)).float().mul(rc.add(2).sub(bc));
    const hb = maxc.ne(g).logicalAnd(maxc.ne(r)).float().mul(gc.add(4).sub(rc));
    let h = hr.add(hg).add(hb).div(6).add(1);
    h = h.sub(h.floor()).add(factor);
    h = h.sub(h.floor());
    const h6 = h.mul(6);
    const k = h6.floor();
    const fr = h6.sub(k);
    const v = maxc;
    const p = v.mul(tl.sub(1, s)).clamp(0, 1);
    const q = v.mul(tl.sub(1, s.mul(fr))).clamp(0, 1);
    const t = v.mul(tl.sub(1, s.mul(tl.sub(1, fr)))).clamp(0, 1);
    const sector = k.sub(k.div(6).floor().mul(6));
    const pick = (choices: Tensor[]) => {
      let out = choices[5];
      for (let i = 4; i >= 0; i--) out = tl.where(sector.eq(i), choices[i], out);
      return out;
    };
    return tl.stack([pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])], -3);
  }) as I;
}
