/** Max and average pooling over 2-D windows, and over 3-D windows as composites of them. */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';

import { owned } from '../memory.js';
import type { Pool2dParams, PoolOp } from '../backend/contract.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { full, tensor } from './creation.js';
import { gather } from './indexing.js';
import { cat, pad, slice, stack } from './shape.js';
import { checkOptionKeys, empty, isTensor, pair, triple } from './util.js';
import { isFloating } from '../dtype.js';

export interface MaxPool2dOptions {
  kernelSize: number | [number, number];
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  /** Round the output size up, so windows may start in the bottom/right padding's reach (default false). */
  ceilMode?: boolean;
  /**
   * Also return, for each output, the flat index `h·W + w` of its maximum within the input
   * plane (int32; PyTorch gives int64): the call then returns `{ values, indices }`.
   */
  returnIndices?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Round the output size up, as `maxPool2d`'s `ceilMode` (default false). */
  ceilMode?: boolean;
  /** Count zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number;
}

const MAX_OPTIONS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'] as const;
const AVG_OPTIONS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;
const POOL_HINTS: Record<string, string> = {
  kernel_size: 'options are camelCase (kernelSize)',
  ceil_mode: 'options are camelCase (ceilMode)',
  return_indices: 'options are camelCase (returnIndices)',
  count_include_pad: 'options are camelCase (countIncludePad)',
  divisor_override: 'options are camelCase (divisorOverride)',
  dilation: 'average pooling has no dilation (as PyTorch)',
};

interface PoolPlan {
  /** The kernel's geometry. */
  params: Pool2dParams;
  /** Output [oh, ow] (after ceilMode). */
  out: [number, number];
  /** Extra bottom/right cells that ceilMode's last windows reach beyond the padding. */
  extra: [number, number];
}

function plan(op: string, x: Tensor, o: MaxPool2dOptions & AvgPool2dOptions, allowed: readonly string[]): PoolPlan {
  checkOptionKeys(op, o, allowed, POOL_HINTS);
  if (o?.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  const kernelSize = pair(op, 'kernelSize', o.kernelSize, 1);
  const stride = pair(op, 'stride', o.stride, 0);
  const p: Pool2dParams = {
    kernelSize,
    stride: o.stride === undefined ? kernelSize : stride,
    padding: pair(op, 'padding', o.padding, 0),
    dilation: pair(op, 'dilation', o.dilation, 1),
    countIncludePad: o.countIncludePad ?? true,
  };
  for (const i of [0, 1] as const) {
    if (p.kernelSize[i] < 1 || p.stride[i] < 1 || p.dilation[i] < 1) {
      throw new Error(`${op}: kernelSize, stride and dilation must be positive, got ${JSON.stringify(o)}`);
    }
    if (p.padding[i] < 0 || p.padding[i] * 2 > p.kernelSize[i]) {
      throw new Error(`${op}: padding ${formatShape(p.padding)} must be at most half the kernel size ${formatShape(p.kernelSize)}`);
    }
  }
  for (const flag of ['ceilMode', 'returnIndices', 'countIncludePad'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new TypeError(`${op}: ${flag} must be a boolean, got ${JSON.stringify(o[flag])}`);
  }
  const d = o.divisorOverride;
  if (d !== undefined && d !== null && (!Number.isFinite(d) || d === 0)) throw new Error(`${op}: divisorOverride must be a non-zero number, got ${d}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating input, got ${x.dtype}`);
  const [h, w] = x.shape.slice(-2);
  const ceil = o.ceilMode ?? false;
  const along = (len: number, i: 0 | 1) => pooledLength(len, p.kernelSize[i], p.stride[i], p.padding[i], p.dilation[i], ceil);
  const [rows, cols] = [along(h, 0), along(w, 1)];
  const out: [number, number] = [rows.out, cols.out];
  if (out[0] < 1 || out[1] < 1) throw new Error(`${op}: window ${formatShape(p.kernelSize)} does not fit the input ${formatShape(x.shape)}`);
  return { params: p, out, extra: [rows.extra, cols.extra] };
}

/**
 * A pooled dim's output length (PyTorch's pooling_output_shape) and how far ceilMode's last
 * window reaches past the padded input.
 */
function pooledLength(len: number, k: number, s: number, p: number, d: number, ceil: boolean): { out: number; extra: number } {
  const span = len + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= len + p) out--;
  return { out, extra: Math.max(0, (out - 1) * s + d * (k - 1) + 1 - (len + 2 * p)) };
}

function outputShape(op: string, x: Tensor, p: Pool2dParams): number[] {
  const [n, c, h, w] = x.shape;
  const size = (len: number, i: 0 | 1) =>
    Math.floor((len + 2 * p.padding[i] - p.dilation[i] * (p.kernelSize[i] - 1) - 1) / p.stride[i]) + 1;
  const oh = size(h, 0);
  const ow = size(w, 1);
  if (oh < 1 || ow < 1) throw new Error(`${op}: window ${formatShape(p.kernelSize)} does not fit the input ${formatShape(x.shape)}`);
  return [n, c, oh, ow];
}

function poolBackward(op: PoolOp, x: Tensor, dy: Tensor, p: Pool2dParams): Tensor {
  const out = empty(x.backend, x.shape, x.dtype, `${op}Pool2d backward`);
  x.backend.pool2dBackward(op, x.kernelView, dy.kernelView, out.kernelView, p);
  if (op === 'avg') {
    // Average pooling is linear in dy: its adjoint's adjoint is the pooling itself.
    return recordOp('avgPool2dBackward', [dy], out, [], (g) => [poolCore('avg', g, p)]);
  }
  return recordOp('maxPool2dBackward', [dy], out, [], () => {
    throw new Error('maxPool2d: second derivatives through max pooling are not supported');
  });
}

function poolCore(op: PoolOp, x: Tensor, p: Pool2dParams): Tensor {
  const out = empty(x.backend, outputShape(`${op}Pool2d`, x, p), x.dtype, `${op}Pool2d`);
  x.backend.pool2d(op, x.kernelView, out.kernelView, p);
  return recordOp(`${op}Pool2d`, [x], out, [x], (g, [sx]) => [poolBackward(op, sx, g, p)], { attrs: { ...p } });
}

/** Run `fn` on a 4-D view of `x` (`[C, H, W]` gets a batch of one), dropping it again. */
function batched<T extends Tensor | { values: Tensor; indices: Tensor }>(name: string, x: Tensor, fn: (x4: Tensor) => T): T {
  if (x.rank !== 4 && x.rank !== 3) throw new Error(`${name}: input must be [N, C, H, W] or [C, H, W], got ${formatShape(x.shape)}`);
  return withBatch(x, 4, fn);
}

/** Run `fn` on `x` with a batch of one added unless it has `rank` dims, dropping it again from the result(s). */
function withBatch<T extends Tensor | { values: Tensor; indices: Tensor }>(x: Tensor, rank: number, fn: (batchedX: Tensor) => T): T {
  if (x.rank === rank) return fn(x);
  return owned((own) => {
    const y = fn(own(x.unsqueeze(0)));
    if (!isTensor(y)) {
      own(y.values);
      own(y.indices);
      return { values: own(y.values.squeeze(0)), indices: own(y.indices.squeeze(0)) } as T;
    }
    return own(y as Tensor).squeeze(0) as T;
  });
}

/** Max pooling on 4-D `x`: the kernel, after -inf padding for ceilMode's overhang. */
function maxValues(x: Tensor, pl: PoolPlan): Tensor {
  if (pl.extra[0] === 0 && pl.extra[1] === 0) return poolCore('max', x, pl.params);
  return owned((own) => poolCore('max', own(pad(x, [0, pl.extra[1], 0, pl.extra[0]], -Infinity)), pl.params));
}

/**
 * For each output of a max pooling, the flat index (`h·W + w`) of the first maximum of its
 * window in row-major order, as PyTorch: every window's taps gathered (padding as -inf),
 * then argmax. Untracked, int32 `[N, C, oh, ow]`.
 */
function maxIndices(x: Tensor, pl: PoolPlan): Tensor {
  const [n, c, h, w] = x.shape;
  const { kernelSize: k, stride: s, padding: p, dilation: d } = pl.params;
  const [oh, ow] = pl.out;
  const taps = k[0] * k[1];
  const count = oh * ow * taps;
  const source = new Int32Array(count); // where each tap reads (h·W + w, or H·W for padding)
  const flat = new Int32Array(count); // what index each tap reports
  let at = 0;
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let a = 0; a < k[0]; a++) {
        for (let b = 0; b < k[1]; b++, at++) {
          const r = i * s[0] - p[0] + a * d[0];
          const q = j * s[1] - p[1] + b * d[1];
          const inside = r >= 0 && r < h && q >= 0 && q < w;
          source[at] = inside ? r * w + q : h * w;
          flat[at] = inside ? r * w + q : -1;
        }
      }
    }
  }
  return withinOp(() =>
    owned((t) => {
      const device = x.device;
      const planes = t(x.reshape([n, c, h * w]));
      const withPad = t(cat([planes, t(full([n, c, 1], -Infinity, { device, dtype: x.dtype }))], 2));
      const where = t(t(t(tensor(source, { dtype: 'int32', device })).reshape([1, 1, count])).expand([n, c, count]));
      const windows = t(t(withPad.gather(2, where)).reshape([n, c, oh * ow, taps]));
      const best = t(t(windows.argmax(-1)).unsqueeze(-1));
      const table = t(t(t(tensor(flat, { dtype: 'int32', device })).reshape([1, 1, oh * ow, taps])).expand([n, c, oh * ow, taps]));
      return t(table.gather(3, best)).reshape([n, c, oh, ow]);
    }),
  );
}

/**
 * Average pooling with ceilMode or divisorOverride, PyTorch's semantics exactly: the kernel
 * averages whole windows of the zero-padded input, then each output is rescaled from the
 * window size to its divisor (the window clipped to the padded input, or to the input when
 * countIncludePad is false, or divisorOverride).
 */
function avgRescaled(x: Tensor, pl: PoolPlan, divisorOverride: number | undefined): Tensor {
  const [, , h, w] = x.shape;
  const { kernelSize: k, stride: s, padding: p, countIncludePad } = pl.params;
  const divisors = (i: 0 | 1, len: number): number[] =>
    Array.from({ length: pl.out[i] }, (_, o) => {
      const start = o * s[i] - p[i];
      const end = Math.min(start + k[i], len + p[i]);
      return countIncludePad ? end - start : Math.min(end, len) - Math.max(start, 0);
    });
  const rows = divisors(0, h);
  const cols = divisors(1, w);
  const scale = new Float32Array(pl.out[0] * pl.out[1]);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < cols.length; j++) scale[i * cols.length + j] = (k[0] * k[1]) / (divisorOverride ?? rows[i] * cols[j]);
  }
  return owned((own) => {
    const padded = own(pad(x, [p[1], p[1] + pl.extra[1], p[0], p[0] + pl.extra[0]]));
    const whole = own(poolCore('avg', padded, { ...pl.params, padding: [0, 0], countIncludePad: true }));
    const factor = own(withinOp(() => own(tensor(scale, { device: x.device, dtype: x.dtype })).reshape(pl.out)));
    return whole.mul(factor);
  });
}

/**
 * Max over each window of `x` `[N, C, H, W]`; padding counts as -inf. With `returnIndices`
 * it returns `{ values, indices }`, the indices int32 flat positions `h·W + w` within each
 * input plane (what `maxUnpool2d` takes).
 *
 * @example
 * ```ts
 * tl.maxPool2d(x, { kernelSize: 2 });
 * tl.maxPool2d(x, { kernelSize: 3, stride: 2, ceilMode: true });
 * const { values, indices } = tl.maxPool2d(x, { kernelSize: 2, returnIndices: true });
 * ```
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices: true }): { values: Tensor; indices: Tensor };
export function maxPool2d(x: Tensor, options: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | { values: Tensor; indices: Tensor };
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor | { values: Tensor; indices: Tensor } {
  return batched('maxPool2d', x, (x4) => {
    const pl = plan('maxPool2d', x4, options, MAX_OPTIONS);
    const values = maxValues(x4, pl);
    if (!options.returnIndices) return values;
    const indices = maxIndices(x4, pl);
    traceOp('maxPool2dIndices', [x4], [indices], { ...pl.params }); // no gradient, but a trace follows the indices
    return { values, indices };
  });
}

/**
 * Mean over each window of `x` `[N, C, H, W]`, with PyTorch's `ceilMode`,
 * `countIncludePad` and `divisorOverride`.
 *
 * @example
 * ```ts
 * tl.avgPool2d(x, { kernelSize: 2, stride: 2 });
 * tl.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
 * ```
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return batched('avgPool2d', x, (x4) => {
    const pl = plan('avgPool2d', x4, options as MaxPool2dOptions & AvgPool2dOptions, AVG_OPTIONS);
    const override = options.divisorOverride ?? undefined;
    if (override === undefined && pl.extra[0] === 0 && pl.extra[1] === 0) return poolCore('avg', x4, pl.params);
    return avgRescaled(x4, pl, override);
  });
}

export interface MaxPool3dOptions {
  kernelSize: number | [number, number, number];
  /** Default: the kernel size. */
  stride?: number | [number, number, number];
  padding?: number | [number, number, number];
  dilation?: number | [number, number, number];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
  /** Also return each window's argmax (see `maxPool3d`). */
  returnIndices?: boolean;
}

export interface AvgPool3dOptions {
  kernelSize: number | [number, number, number];
  stride?: number | [number, number, number];
  padding?: number | [number, number, number];
  ceilMode?: boolean;
  /** Count zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number;
}

/** The depth geometry of a 3-D pooling, and the [h, w] options for the 2-D pooling of each depth tap. */
interface Pool3dPlan {
  depth: { k: number; s: number; p: number; d: number; out: number; extra: number };
  planes: { kernelSize: [number, number]; stride: [number, number]; padding: [number, number]; ceilMode: boolean };
}

function plan3d(op: string, x: Tensor, o: MaxPool3dOptions & AvgPool3dOptions, allowed: readonly string[]): Pool3dPlan {
  checkOptionKeys(op, o, allowed, POOL_HINTS);
  if (o?.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  if (x.rank !== 5 && x.rank !== 4) throw new Error(`${op}: input must be [N, C, D, H, W] or [C, D, H, W], got ${formatShape(x.shape)}`);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating input, got ${x.dtype}`);
  const k = triple(op, 'kernelSize', o.kernelSize, 1);
  const s = o.stride === undefined ? k : triple(op, 'stride', o.stride, 0);
  const p = triple(op, 'padding', o.padding, 0);
  const d = triple(op, 'dilation', o.dilation, 1);
  for (let i = 0; i < 3; i++) {
    if (k[i] < 1 || s[i] < 1 || d[i] < 1) throw new Error(`${op}: kernelSize, stride and dilation must be positive, got ${JSON.stringify(o)}`);
    if (p[i] < 0 || p[i] * 2 > k[i]) throw new Error(`${op}: padding ${formatShape(p)} must be at most half the kernel size ${formatShape(k)}`);
  }
  for (const flag of ['ceilMode', 'countIncludePad', 'returnIndices'] as const) {
    if (o[flag] !== undefined && typeof o[flag] !== 'boolean') throw new TypeError(`${op}: ${flag} must be a boolean, got ${JSON.stringify(o[flag])}`);
  }
  const ceil = o.ceilMode ?? false;
  const { out, extra } = pooledLength(x.shape[x.rank - 3], k[0], s[0], p[0], d[0], ceil);
  if (out < 1) throw new Error(`${op}: window ${formatShape(k)} does not fit the input ${formatShape(x.shape)}`);
  return {
    depth: { k: k[0], s: s[0], p: p[0], d: d[0], out, extra },
    planes: { kernelSize: [k[1], k[2]], stride: [s[1], s[2]], padding: [p[1], p[2]], ceilMode: ceil },
  };
}

/**
 * `pool` (a 2-D pooling of `[N, C·Do, H, W]`, with one or more outputs) on each depth tap's
 * slices of `x` `[N, C, D, H, W]`, depth-padded with `fill`: per tap, its outputs as
 * `[N, C, Do, oh, ow]`.
 */
function depthTaps(x: Tensor, pl: Pool3dPlan, fill: number, pool: (planes: Tensor) => Tensor[], own: <T extends Tensor>(t: T) => T): Tensor[][] {
  const { k, s, p, d, out, extra } = pl.depth;
  const padded = p || extra ? own(pad(x, [0, 0, 0, 0, p, p + extra], fill)) : x;
  const [n, c, , h, w] = padded.shape;
  const taps: Tensor[][] = [];
  for (let tap = 0; tap < k; tap++) {
    const start = tap * d;
    const slices = own(slice(padded, 2, start, start + (out - 1) * s + 1, s));
    const pooled = pool(own(slices.reshape([n, c * out, h, w]))).map(own);
    taps.push(pooled.map((t) => own(t.reshape([n, c, out, t.shape[2], t.shape[3]]))));
  }
  return taps;
}

/**
 * Max over each 3-D window of `x` `[N, C, D, H, W]` (torch.nn.functional.max_pool3d); padding
 * counts as -inf. A composite of `maxPool2d` per depth tap and a max over the taps, whose
 * gradient goes to each window's first maximum in (d, h, w) order, as PyTorch's. With
 * `returnIndices` it returns `{ values, indices }`, the indices int32 flat positions
 * `d·H·W + h·W + w` within each input volume (what `maxUnpool3d` takes).
 *
 * @example
 * ```ts
 * tl.maxPool3d(volume, { kernelSize: 2 }); // halves D, H and W
 * const { values, indices } = tl.maxPool3d(volume, { kernelSize: 2, returnIndices: true });
 * ```
 */
export function maxPool3d(x: Tensor, options: MaxPool3dOptions & { returnIndices: true }): { values: Tensor; indices: Tensor };
export function maxPool3d(x: Tensor, options: MaxPool3dOptions & { returnIndices?: false }): Tensor;
export function maxPool3d(x: Tensor, options: MaxPool3dOptions): Tensor | { values: Tensor; indices: Tensor };
export function maxPool3d(x: Tensor, options: MaxPool3dOptions): Tensor | { values: Tensor; indices: Tensor } {
  const pl = plan3d('maxPool3d', x, options, ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  const dilation = triple('maxPool3d', 'dilation', options.dilation, 1);
  const planes = { ...pl.planes, dilation: [dilation[1], dilation[2]] as [number, number] };
  return withBatch(x, 5, (x5) => owned((own) => {
    if (!options.returnIndices) {
      const taps = depthTaps(x5, pl, -Infinity, (p) => [maxPool2d(p, planes)], own).map(([values]) => values);
      if (taps.length === 1) return taps[0].clone();
      // The first tap holding the maximum (argmax picks the first): one winner per window, as PyTorch.
      const all = own(stack(taps, 0));
      return own(gather(all, 0, own(all.argmax(0, true)))).squeeze(0);
    }
    const [, , , h, w] = x5.shape;
    const { s, p, d, out } = pl.depth;
    const taps = depthTaps(x5, pl, -Infinity, (planesIn) => {
      const { values, indices } = maxPool2d(planesIn, { ...planes, returnIndices: true });
      return [values, indices];
    }, own);
    // A tap's plane indices h·W + w, moved to the input depth it read: o·stride - padding + tap·dilation.
    const volumeIndices = taps.map(([, planeIndices], tap) => {
      const depths = Array.from({ length: out }, (_, o) => (o * s - p + tap * d) * h * w);
      const offsets = own(own(tensor(depths, { dtype: 'int32', device: x5.device })).reshape([1, 1, out, 1, 1]));
      return own(planeIndices.add(offsets));
    });
    if (taps.length === 1) return { values: taps[0][0].clone(), indices: volumeIndices[0].clone() };
    const all = own(stack(taps.map(([values]) => values), 0));
    const winner = own(all.argmax(0, true));
    return {
      values: own(gather(all, 0, winner)).squeeze(0),
      indices: own(gather(own(stack(volumeIndices, 0)), 0, winner)).squeeze(0),
    };
  }));
}

/**
 * Mean over each 3-D window of `x` `[N, C, D, H, W]` (torch.nn.functional.avg_pool3d), with
 * PyTorch's `ceilMode`, `countIncludePad` and `divisorOverride`: each depth tap's window sums
 * (`avgPool2d` with a divisor of 1), added and divided by the window's count.
 *
 * @example
 * ```ts
 * tl.avgPool3d(volume, { kernelSize: 3, stride: 2, padding: 1 });
 * ```
 */
export function avgPool3d(x: Tensor, options: AvgPool3dOptions): Tensor {
  const op = 'avgPool3d';
  const pl = plan3d(op, x, options as MaxPool3dOptions & AvgPool3dOptions, ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  const override = options.divisorOverride ?? undefined;
  if (override !== undefined && (!Number.isFinite(override) || override === 0)) throw new Error(`${op}: divisorOverride must be a non-zero number, got ${override}`);
  const includePad = options.countIncludePad ?? true;
  return withBatch(x, 5, (x5) => owned((own) => {
    const taps = depthTaps(x5, pl, 0, (planes) => [avgPool2d(planes, { ...pl.planes, divisorOverride: 1 })], own).map(([sum]) => sum);
    let sum = taps[0];
    for (const tap of taps.slice(1)) sum = own(sum.add(tap));
    if (override !== undefined) return sum.div(override);
    // Each window's count, as PyTorch: per dim, its start (padding included) to its end clipped
    // at the padded input, then clipped to the input unless the padding counts.
    const [, , d, h, w] = x5.shape;
    const [k, s, p] = [[pl.depth.k, ...pl.planes.kernelSize], [pl.depth.s, ...pl.planes.stride], [pl.depth.p, ...pl.planes.padding]];
    const lengths = [d, h, w];
    const outs = [sum.shape[2], sum.shape[3], sum.shape[4]];
    const counts = outs.map((n, i) => Array.from({ length: n }, (_, o) => {
      const start = o * s[i] - p[i];
      const end = Math.min(start + k[i], lengths[i] + p[i]);
      return includePad ? end - start : Math.min(end, lengths[i]) - Math.max(start, 0);
    }));
    const divisor = new Float32Array(outs[0] * outs[1] * outs[2]);
    for (let a = 0; a < outs[0]; a++) for (let b = 0; b < outs[1]; b++) for (let c = 0; c < outs[2]; c++) {
      divisor[(a * outs[1] + b) * outs[2] + c] = counts[0][a] * counts[1][b] * counts[2][c];
    }
    const factor = own(withinOp(() => own(tensor(divisor, { device: x5.device, dtype: x5.dtype })).reshape(outs)));
    return sum.div(factor);
  }));
}
