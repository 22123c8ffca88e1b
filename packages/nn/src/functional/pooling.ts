/**
 * Pooling beyond core's `maxPool2d`/`avgPool2d`: the 1-D pools, adaptive average and max
 * pooling, max unpooling, `fold`/`unfold`, and the pixel and channel shuffles. All are
 * compositions of core ops (the pool and conv kernels, gather, scatterAdd, views).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkOptions, checkPositiveInt } from '../options.js';
import { alias, checkFloat, int32, shape, tuple } from './common.js';

/** Options of `maxPool1d`. */
export interface MaxPool1dOptions {
  kernelSize: number;
  /** Default: the kernel size. */
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
  /** Also return the index of each maximum within its input row (int32); the call then returns `{ values, indices }`. */
  returnIndices?: boolean;
}

/** Options of `avgPool1d`. */
export interface AvgPool1dOptions {
  kernelSize: number;
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** Values and the flat indices of their maxima, as `maxPool2d`'s `returnIndices` gives them. */
export interface PoolWithIndices {
  values: Tensor;
  indices: Tensor;
}

function scalarOption(op: string, name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw new Error(`${op}: ${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** A 1-D pool's options checked against `allowed`, and its kernel size and stride (default: the kernel size). */
function window1d(op: string, options: { kernelSize: number; stride?: number }, allowed: readonly string[]): [number, number] {
  checkOptions(op, options, allowed);
  const k = scalarOption(op, 'kernelSize', options?.kernelSize);
  if (k === undefined) throw new Error(`${op}: options.kernelSize is required`);
  return [k, scalarOption(op, 'stride', options.stride) ?? k];
}

/** Run a 2-D pool on `[N, C, L]` (or `[C, L]`) as `[N, C, 1, L]`. */
function as2d<T extends Tensor | PoolWithIndices>(op: string, x: Tensor, fn: (x4: Tensor) => T): T {
  if (x.rank !== 2 && x.rank !== 3) throw new Error(`${op}: input must be [N, C, L] or [C, L], got ${shape(x.shape)}`);
  return tl.tidy(() => {
    const y = fn(x.unsqueeze(-2));
    if (y instanceof tl.Tensor) return y.squeeze(-2) as T;
    return { values: y.values.squeeze(-2), indices: y.indices.squeeze(-2) } as T;
  });
}

/**
 * Max over 1-D windows of `x` `[N, C, L]` (or `[C, L]`), with PyTorch's `ceilMode` and
 * `returnIndices`.
 *
 * @example
 * ```ts
 * F.maxPool1d(x, { kernelSize: 3, stride: 2 });
 * ```
 */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions & { returnIndices: true }): PoolWithIndices;
export function maxPool1d(x: Tensor, options: MaxPool1dOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor | PoolWithIndices;
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor | PoolWithIndices {
  const op = 'maxPool1d';
  const [k, s] = window1d(op, options, ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  return as2d(op, x, (x4) =>
    tl.maxPool2d(x4, {
      kernelSize: [1, k],
      stride: [1, s],
      padding: [0, scalarOption(op, 'padding', options.padding) ?? 0],
      dilation: [1, scalarOption(op, 'dilation', options.dilation) ?? 1],
      ceilMode: options.ceilMode,
      returnIndices: options.returnIndices,
    }),
  );
}

/**
 * Mean over 1-D windows of `x` `[N, C, L]` (or `[C, L]`).
 *
 * @example
 * ```ts
 * F.avgPool1d(x, { kernelSize: 4 });
 * ```
 */
export function avgPool1d(x: Tensor, options: AvgPool1dOptions): Tensor {
  const op = 'avgPool1d';
  const [k, s] = window1d(op, options, ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad']);
  return as2d(op, x, (x4) =>
    tl.avgPool2d(x4, {
      kernelSize: [1, k],
      stride: [1, s],
      padding: [0, scalarOption(op, 'padding', options.padding) ?? 0],
      ceilMode: options.ceilMode,
      countIncludePad: options.countIncludePad,
    }),
  );
}

/** PyTorch's adaptive windows: `floor(i·size/out)` to `ceil((i+1)·size/out)`. */
function adaptiveWindows(size: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
}

function adaptiveSizes(op: string, spatial: readonly number[], outputSize: number | readonly (number | null)[]): number[] {
  const requested = typeof outputSize === 'number' ? spatial.map(() => outputSize) : [...outputSize];
  if (requested.length !== spatial.length) throw new Error(`${op}: outputSize must be a number or ${spatial.length} numbers, got ${JSON.stringify(outputSize)}`);
  const sizes = requested.map((o, i) => o ?? spatial[i]);
  if (!sizes.every((o) => Number.isInteger(o) && o >= 1)) {
    throw new Error(`${op}: outputSize must be positive integers (or null to keep a size), got ${JSON.stringify(outputSize)}`);
  }
  return sizes;
}

/**
 * Average pooling to a fixed output size `[oh, ow]` (a number for both; `null` keeps that
 * input size). Window `i` spans `floor(i·H/oh)` to `ceil((i+1)·H/oh)`, as PyTorch; when the
 * sizes divide evenly this is plain `avgPool2d`.
 *
 * @example
 * ```ts
 * F.adaptiveAvgPool2d(features, 1); // global average pooling: [N, C, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  if (!(x instanceof tl.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new Error(`adaptiveAvgPool2d: input must be [N, C, H, W] or [C, H, W], got ${x instanceof tl.Tensor ? shape(x.shape) : typeof x}`);
  }
  checkFloat('adaptiveAvgPool2d', 'input', x);
  const [h, w] = x.shape.slice(-2);
  const [oh, ow] = adaptiveSizes('adaptiveAvgPool2d', [h, w], outputSize);
  if (h % oh === 0 && w % ow === 0) {
    return tl.avgPool2d(x, { kernelSize: [h / oh, w / ow], stride: [h / oh, w / ow] });
  }
  // Averaging over a rectangle is averaging its rows, then its columns.
  const pool = (t: Tensor, dim: number, size: number, out: number): Tensor => {
    if (size === out) return alias(t);
    return tl.cat(adaptiveWindows(size, out).map(([start, end]) => t.narrow(dim, start, end - start).mean(dim, true)), dim);
  };
  return tl.tidy(() => pool(pool(x, x.rank - 2, h, oh), x.rank - 1, w, ow));
}

/**
 * Average pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` positions.
 *
 * @example
 * ```ts
 * F.adaptiveAvgPool1d(x, 1); // [N, C, 1]
 * ```
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  if (typeof outputSize !== 'number') throw new Error(`adaptiveAvgPool1d: outputSize must be a number, got ${JSON.stringify(outputSize)}`);
  return as2d('adaptiveAvgPool1d', x, (x4) => adaptiveAvgPool2d(x4, [1, outputSize]));
}

/**
 * Gather every window of a 2-D pooling: `[N, C, oh·ow, K]` values (windows shorter than K
 * repeat their first tap, which changes neither the max nor the first argmax) and the flat
 * input index of each tap.
 */
function gatherWindows(x: Tensor, rows: [number, number][], cols: [number, number][]): { windows: Tensor; table: Tensor } {
  const [n, c, h, w] = x.shape;
  const kh = Math.max(...rows.map(([a, b]) => b - a));
  const kw = Math.max(...cols.map(([a, b]) => b - a));
  const k = kh * kw;
  const count = rows.length * cols.length * k;
  const flat = new Int32Array(count);
  let at = 0;
  for (const [r0, r1] of rows) {
    for (const [c0, c1] of cols) {
      const first = r0 * w + c0;
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++, at++) flat[at] = r0 + a < r1 && c0 + b < c1 ? (r0 + a) * w + c0 + b : first;
      }
    }
  }
  const table = int32(flat, x.device);
  const index = table.reshape([1, 1, count]).expand([n, c, count]);
  const windows = x.reshape([n, c, h * w]).gather(2, index).reshape([n, c, rows.length * cols.length, k]);
  return { windows, table: table.reshape([rows.length * cols.length, k]) };
}

function adaptiveMax(op: string, x: Tensor, oh: number, ow: number, returnIndices: boolean): Tensor | PoolWithIndices {
  const [n, c, h, w] = x.shape;
  const { windows, table } = gatherWindows(x, adaptiveWindows(h, oh), adaptiveWindows(w, ow));
  const values = windows.max(-1).reshape([n, c, oh, ow]);
  if (!returnIndices) return values;
  const indices = tl.noGrad(() => {
    const best = windows.argmax(-1).unsqueeze(-1);
    return table.unsqueeze(0).unsqueeze(0).expand([n, c, oh * ow, table.shape[1]]).gather(3, best).reshape([n, c, oh, ow]);
  });
  void op;
  return { values, indices };
}

/**
 * Max pooling to a fixed output size, with PyTorch's adaptive windows; with `returnIndices`
 * it returns `{ values, indices }` (int32 flat indices `h·W + w` in each input plane).
 *
 * @example
 * ```ts
 * F.adaptiveMaxPool2d(features, [7, 7]);
 * ```
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null], returnIndices: true): PoolWithIndices;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null], returnIndices?: false): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null], returnIndices?: boolean): Tensor | PoolWithIndices;
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null], returnIndices = false): Tensor | PoolWithIndices {
  const op = 'adaptiveMaxPool2d';
  if (!(x instanceof tl.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new Error(`${op}: input must be [N, C, H, W] or [C, H, W], got ${x instanceof tl.Tensor ? shape(x.shape) : typeof x}`);
  }
  checkFloat(op, 'input', x);
  checkBoolean(op, 'returnIndices', returnIndices);
  const [h, w] = x.shape.slice(-2);
  const [oh, ow] = adaptiveSizes(op, [h, w], outputSize);
  return tl.tidy(() => {
    const x4 = x.rank === 4 ? x : x.unsqueeze(0);
    const y = adaptiveMax(op, x4, oh, ow, returnIndices);
    if (x.rank === 4) return y;
    if (y instanceof tl.Tensor) return y.squeeze(0);
    return { values: y.values.squeeze(0), indices: y.indices.squeeze(0) };
  });
}

/**
 * Max pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` positions.
 *
 * @example
 * ```ts
 * F.adaptiveMaxPool1d(x, 4);
 * ```
 */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number, returnIndices: true): PoolWithIndices;
export function adaptiveMaxPool1d(x: Tensor, outputSize: number, returnIndices?: false): Tensor;
export function adaptiveMaxPool1d(x: Tensor, outputSize: number, returnIndices?: boolean): Tensor | PoolWithIndices;
export function adaptiveMaxPool1d(x: Tensor, outputSize: number, returnIndices = false): Tensor | PoolWithIndices {
  if (typeof outputSize !== 'number') throw new Error(`adaptiveMaxPool1d: outputSize must be a number, got ${JSON.stringify(outputSize)}`);
  return as2d('adaptiveMaxPool1d', x, (x4) => adaptiveMaxPool2d(x4, [1, outputSize], returnIndices));
}

/** Options of `maxUnpool2d`. */
export interface MaxUnpool2dOptions {
  kernelSize: number | [number, number];
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** The output's spatial size `[H, W]` (or the full shape); default `(in - 1)·stride - 2·padding + kernelSize`. */
  outputSize?: readonly number[];
}

/** Options of `maxUnpool3d`. */
export interface MaxUnpool3dOptions {
  kernelSize: number | [number, number, number];
  /** Default: the kernel size. */
  stride?: number | [number, number, number];
  padding?: number | [number, number, number];
  /** The output's spatial size `[D, H, W]` (or the full shape); default `(in - 1)·stride - 2·padding + kernelSize`. */
  outputSize?: readonly number[];
}

/** Options of `maxUnpool1d`. */
export interface MaxUnpool1dOptions {
  kernelSize: number;
  stride?: number;
  padding?: number;
  outputSize?: readonly number[];
}

function unpool(op: string, x: Tensor, indices: Tensor, spatial: number[], batched: boolean): Tensor {
  if (!(indices instanceof tl.Tensor) || indices.dtype !== 'int32') throw new TypeError(`${op}: indices must be an int32 tensor, as maxPool returns them`);
  if (!tl.shapesEqual(indices.shape, x.shape)) throw new Error(`${op}: indices ${shape(indices.shape)} must have the shape of the input ${shape(x.shape)}`);
  const plane = spatial.reduce((a, b) => a * b, 1);
  if (indices.backend.readSync && indices.size > 0) {
    const lo = Number(indices.min().itemSync());
    const hi = Number(indices.max().itemSync());
    if (lo < 0 || hi >= plane) throw new RangeError(`${op}: found an invalid max index ${lo < 0 ? lo : hi} (output volumes are of size ${spatial.join('x')})`);
  }
  const lead = batched ? x.shape.slice(0, 2) : x.shape.slice(0, 1);
  const dim = lead.length;
  return tl.tidy(() => {
    const where = indices.reshape([...lead, -1]);
    // Overlapping windows can name one position several times (with the same value): write
    // it once, as PyTorch's assignment does, and send each input the full gradient there.
    const place = tl.customOp({
      name: op,
      forward: (values: Tensor, at: Tensor) =>
        tl.tidy(() => {
          const zeros = tl.zeros([...lead, plane], { device: x.device, dtype: x.dtype });
          const sums = zeros.scatterAdd(dim, at, values);
          const counts = zeros.scatterAdd(dim, at, tl.onesLike(values)).clamp(1, null);
          return sums.div(counts);
        }),
      backward: (g: Tensor, { inputs: [, at] }) => [g.gather(dim, at), null],
    });
    return place(x.reshape([...lead, -1]), where).reshape([...lead, ...spatial]);
  });
}

function unpoolSize(op: string, input: readonly number[], k: number[], s: number[], p: number[], outputSize: readonly number[] | undefined): number[] {
  const defaults = input.map((len, i) => (len - 1) * s[i] - 2 * p[i] + k[i]);
  if (outputSize === undefined) return defaults;
  const size = outputSize.slice(outputSize.length - input.length);
  if (outputSize.length !== input.length && outputSize.length !== input.length + 1 && outputSize.length !== input.length + 2) {
    throw new Error(`${op}: outputSize must have ${input.length} (or ${input.length + 2}) elements, got ${JSON.stringify(outputSize)}`);
  }
  size.forEach((o, i) => {
    if (o < defaults[i] - s[i] || o > defaults[i] + s[i]) {
      throw new Error(`${op}: invalid outputSize ${JSON.stringify(outputSize)} (dim ${i} must be between ${defaults[i] - s[i]} and ${defaults[i] + s[i]})`);
    }
  });
  return size;
}

/** `maxUnpool1d`/`maxUnpool2d` over the last `dims` dims of `x` (`shapes`: the inputs it takes, for the message). */
function maxUnpool(op: string, dims: number, shapes: string, x: Tensor, indices: Tensor, options: MaxUnpool3dOptions | MaxUnpool2dOptions | MaxUnpool1dOptions): Tensor {
  checkOptions(op, options, ['kernelSize', 'stride', 'padding', 'outputSize']);
  if (options?.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  if (!(x instanceof tl.Tensor) || (x.rank !== dims + 1 && x.rank !== dims + 2)) throw new Error(`${op}: input must be ${shapes}`);
  checkFloat(op, 'input', x);
  const k = tuple(op, 'kernelSize', options.kernelSize, dims);
  const s = options.stride === undefined ? k : tuple(op, 'stride', options.stride, dims);
  const p = tuple(op, 'padding', options.padding ?? 0, dims);
  const size = unpoolSize(op, x.shape.slice(-dims), k, s, p, options.outputSize);
  return unpool(op, x, indices, size, x.rank === dims + 2);
}

/**
 * The partial inverse of `maxPool2d`: each value of `x` `[N, C, h, w]` goes to the flat
 * position `indices` names in a zero `[N, C, H, W]` output.
 *
 * @example
 * ```ts
 * const { values, indices } = tl.maxPool2d(x, { kernelSize: 2, returnIndices: true });
 * F.maxUnpool2d(values, indices, { kernelSize: 2 }); // x's shape, zeros except the maxima
 * ```
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, options: MaxUnpool2dOptions): Tensor {
  return maxUnpool('maxUnpool2d', 2, '[N, C, H, W] or [C, H, W]', x, indices, options);
}

/**
 * The partial inverse of `maxPool3d`: each value of `x` `[N, C, d, h, w]` goes to the flat
 * position `indices` names in a zero `[N, C, D, H, W]` output.
 *
 * @example
 * ```ts
 * const { values, indices } = tl.maxPool3d(volume, { kernelSize: 2, returnIndices: true });
 * F.maxUnpool3d(values, indices, { kernelSize: 2 }); // the volume's shape, zeros except the maxima
 * ```
 */
export function maxUnpool3d(x: Tensor, indices: Tensor, options: MaxUnpool3dOptions): Tensor {
  return maxUnpool('maxUnpool3d', 3, '[N, C, D, H, W] or [C, D, H, W]', x, indices, options);
}

/**
 * The partial inverse of `maxPool1d`.
 *
 * @example
 * ```ts
 * F.maxUnpool1d(values, indices, { kernelSize: 2 });
 * ```
 */
export function maxUnpool1d(x: Tensor, indices: Tensor, options: MaxUnpool1dOptions): Tensor {
  return maxUnpool('maxUnpool1d', 1, '[N, C, L] or [C, L]', x, indices, options);
}

/** Options of `unfold` and `fold`. */
export interface UnfoldOptions {
  kernelSize: number | [number, number];
  dilation?: number | [number, number];
  padding?: number | [number, number];
  stride?: number | [number, number];
}

/** Options of `fold`. */
export interface FoldOptions extends UnfoldOptions {
  /** The spatial size `[H, W]` of the output. */
  outputSize: number | [number, number];
}

/** `[C·kh·kw, 1, kh, kw]`: one-hot filters in `like`'s dtype, tap t of channel c writing output channel c·kh·kw + t. */
function tapFilters(channels: number, kh: number, kw: number, like: Tensor): Tensor {
  const k = kh * kw;
  const eye = tl.eye(k, undefined, { device: like.device, dtype: like.dtype });
  return eye.reshape([1, k, k]).expand([channels, k, k]).reshape([channels * k, 1, kh, kw]);
}

function unfoldGeometry(op: string, options: UnfoldOptions) {
  if (options?.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  const k = tuple(op, 'kernelSize', options.kernelSize, 2) as [number, number];
  const d = tuple(op, 'dilation', options.dilation ?? 1, 2) as [number, number];
  const p = tuple(op, 'padding', options.padding ?? 0, 2) as [number, number];
  const s = tuple(op, 'stride', options.stride ?? 1, 2) as [number, number];
  if (![...k, ...d, ...s].every((v) => Number.isInteger(v) && v >= 1) || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${op}: kernelSize, dilation and stride must be positive integers and padding non-negative, got ${JSON.stringify(options)}`);
  }
  return { k, d, p, s };
}

/**
 * Extract sliding local blocks (im2col), PyTorch's `F.unfold`: `x` `[N, C, H, W]` (or
 * `[C, H, W]`) to `[N, C·kh·kw, L]`, L the number of blocks. Written as a grouped
 * convolution with one-hot filters, so it is exact and its gradient is `fold`.
 *
 * @example
 * ```ts
 * F.unfold(tl.randn([1, 3, 5, 5]), { kernelSize: 3 }); // [1, 27, 9]
 * ```
 */
export function unfold(x: Tensor, options: UnfoldOptions): Tensor {
  const op = 'unfold';
  checkOptions(op, options, ['kernelSize', 'dilation', 'padding', 'stride']);
  if (!(x instanceof tl.Tensor) || (x.rank !== 3 && x.rank !== 4)) throw new Error(`${op}: input must be [N, C, H, W] or [C, H, W] (only 4-D input tensors are supported as in PyTorch, plus unbatched 3-D)`);
  checkFloat(op, 'input', x);
  const { k, d, p, s } = unfoldGeometry(op, options);
  return tl.tidy(() => {
    const x4 = x.rank === 4 ? x : x.unsqueeze(0);
    const c = x4.shape[1];
    const cols = tl.conv2d(x4, tapFilters(c, k[0], k[1], x), null, { stride: s, padding: p, dilation: d, groups: c });
    const out = cols.reshape([x4.shape[0], c * k[0] * k[1], -1]);
    return x.rank === 4 ? out : out.squeeze(0);
  });
}

/**
 * Combine sliding local blocks into a tensor (col2im), PyTorch's `F.fold`: `x`
 * `[N, C·kh·kw, L]` (or `[C·kh·kw, L]`) to `[N, C, H, W]`, summing overlaps. Written as a
 * grouped transposed convolution with one-hot filters; its gradient is `unfold`.
 *
 * @example
 * ```ts
 * F.fold(F.unfold(x, { kernelSize: 2, stride: 2 }), { outputSize: [4, 4], kernelSize: 2, stride: 2 }); // x again
 * ```
 */
export function fold(x: Tensor, options: FoldOptions): Tensor {
  const op = 'fold';
  checkOptions(op, options, ['outputSize', 'kernelSize', 'dilation', 'padding', 'stride']);
  if (!(x instanceof tl.Tensor) || (x.rank !== 2 && x.rank !== 3)) throw new Error(`${op}: input must be [N, C·kh·kw, L] or [C·kh·kw, L]`);
  checkFloat(op, 'input', x);
  if (options?.outputSize === undefined) throw new Error(`${op}: options.outputSize is required`);
  const [h, w] = tuple(op, 'outputSize', options.outputSize, 2);
  const { k, d, p, s } = unfoldGeometry(op, options);
  const x3 = x.rank === 3 ? x.shape : [1, ...x.shape];
  const taps = k[0] * k[1];
  if (x3[1] % taps !== 0) throw new Error(`${op}: expected size of input's dimension 1 to be divisible by the product of kernelSize, but got input.size(1)=${x3[1]} and kernelSize=${JSON.stringify(options.kernelSize)}`);
  const blocks = [0, 1].map((i) => Math.floor(([h, w][i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i]) + 1);
  if (blocks[0] < 1 || blocks[1] < 1 || blocks[0] * blocks[1] !== x3[2]) {
    throw new Error(`${op}: given outputSize=${JSON.stringify(options.outputSize)}, kernelSize, dilation, padding and stride, expected size of input's dimension 2 to match the calculated number of sliding blocks ${blocks[0]} * ${blocks[1]} = ${blocks[0] * blocks[1]}, but got input.size(2)=${x3[2]}`);
  }
  const c = x3[1] / taps;
  const outputPadding = [0, 1].map((i) => [h, w][i] - ((blocks[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1)) as [number, number];
  return tl.tidy(() => {
    const cols = x.reshape([x3[0], x3[1], blocks[0], blocks[1]]);
    const out = tl.convTranspose2d(cols, tapFilters(c, k[0], k[1], x), null, { stride: s, padding: p, dilation: d, groups: c, outputPadding });
    return x.rank === 3 ? out : out.squeeze(0);
  });
}

/** The checks `pixelShuffle` and `pixelUnshuffle` share, and the last three dims of `x` with what leads them. */
function pixelShuffleDims(op: string, factorName: string, factor: number, x: Tensor): { c: number; h: number; w: number; lead: number[] } {
  checkPositiveInt(op, factorName, factor);
  if (!(x instanceof tl.Tensor) || x.rank < 3) throw new Error(`${op}: input must have at least 3 dims [*, C, H, W], got ${x instanceof tl.Tensor ? shape(x.shape) : typeof x}`);
  const [c, h, w] = x.shape.slice(-3);
  return { c, h, w, lead: x.shape.slice(0, -3) };
}

/** `x` with its last three dims split into `split` (five dims), reordered by `order` (of those five), merged into `merged`. */
function regroupLastDims(x: Tensor, lead: readonly number[], split: number[], order: number[], merged: number[]): Tensor {
  const b = lead.length;
  return tl.tidy(() =>
    x
      .reshape([...lead, ...split])
      .permute([...lead.map((_, i) => i), ...order.map((i) => b + i)])
      .reshape([...lead, ...merged]),
  );
}

/**
 * Rearrange `[*, C·r², H, W]` into `[*, C, H·r, W·r]` (sub-pixel convolution).
 *
 * @example
 * ```ts
 * F.pixelShuffle(tl.randn([1, 8, 3, 3]), 2); // [1, 2, 6, 6]
 * ```
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  const { c, h, w, lead } = pixelShuffleDims(op, 'upscaleFactor', upscaleFactor, x);
  const r = upscaleFactor;
  if (c % (r * r) !== 0) throw new Error(`${op}: channels ${c} of ${shape(x.shape)} must be divisible by upscaleFactor squared (${r * r})`);
  return regroupLastDims(x, lead, [c / (r * r), r, r, h, w], [0, 3, 1, 4, 2], [c / (r * r), h * r, w * r]);
}

/**
 * The inverse of `pixelShuffle`: `[*, C, H·r, W·r]` into `[*, C·r², H, W]`.
 *
 * @example
 * ```ts
 * F.pixelUnshuffle(tl.randn([1, 2, 6, 6]), 2); // [1, 8, 3, 3]
 * ```
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  const { c, h, w, lead } = pixelShuffleDims(op, 'downscaleFactor', downscaleFactor, x);
  const r = downscaleFactor;
  if (h % r !== 0 || w % r !== 0) throw new Error(`${op}: height ${h} and width ${w} of ${shape(x.shape)} must be divisible by downscaleFactor ${r}`);
  return regroupLastDims(x, lead, [c, h / r, r, w / r, r], [0, 2, 4, 1, 3], [c * r * r, h / r, w / r]);
}

/**
 * Interleave the channels of `[N, C, *]` from `groups` groups (ShuffleNet):
 * `[N, g, C/g, *]` transposed to `[N, C/g, g, *]`.
 *
 * @example
 * ```ts
 * F.channelShuffle(x, 2);
 * ```
 */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const op = 'channelShuffle';
  checkPositiveInt(op, 'groups', groups);
  if (!(x instanceof tl.Tensor) || x.rank < 3) throw new Error(`${op}: input must be [N, C, *] with at least 3 dims, got ${x instanceof tl.Tensor ? shape(x.shape) : typeof x}`);
  const [n, c, ...rest] = x.shape;
  if (c % groups !== 0) throw new Error(`${op}: number of channels ${c} must be divisible by groups ${groups}`);
  return tl.tidy(() => x.reshape([n, groups, c / groups, ...rest]).transpose(1, 2).reshape([n, c, ...rest]));
}
