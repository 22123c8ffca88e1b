/** Max and average pooling over 2-D windows. */
import { recordOp } from '../autograd/engine.js';
import { noGrad } from '../autograd/grad-mode.js';
import { owned } from '../memory.js';
import type { Pool2dParams, PoolOp } from '../backend/contract.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { full, tensor } from './creation.js';
import { cat, pad } from './shape.js';
import { checkOptionKeys, empty, isTensor, pair } from './util.js';
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
  // PyTorch's pooling_output_shape.
  const size = (len: number, i: 0 | 1): number => {
    const span = len + 2 * p.padding[i] - p.dilation[i] * (p.kernelSize[i] - 1) - 1;
    let n = Math.floor((span + (ceil ? p.stride[i] - 1 : 0)) / p.stride[i]) + 1;
    if (ceil && (n - 1) * p.stride[i] >= len + p.padding[i]) n--;
    return n;
  };
  const out: [number, number] = [size(h, 0), size(w, 1)];
  if (out[0] < 1 || out[1] < 1) throw new Error(`${op}: window ${formatShape(p.kernelSize)} does not fit the input ${formatShape(x.shape)}`);
  const reach = (i: 0 | 1, len: number) =>
    Math.max(0, (out[i] - 1) * p.stride[i] + p.dilation[i] * (p.kernelSize[i] - 1) + 1 - (len + 2 * p.padding[i]));
  return { params: p, out, extra: [reach(0, h), reach(1, w)] };
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
  if (x.rank === 4) return fn(x);
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
  return noGrad(() =>
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
    const factor = own(noGrad(() => own(tensor(scale, { device: x.device, dtype: x.dtype })).reshape(pl.out)));
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
    return { values, indices: maxIndices(x4, pl) };
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
