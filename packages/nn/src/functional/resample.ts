/**
 * Resampling: `interpolate` (PyTorch's index and weight arithmetic, one spatial dim at a
 * time as its CPU kernels do), `gridSample` and `affineGrid`. Written with gather-style
 * core ops, so gradients reach the input (and the grid) on every backend.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkChoice, checkOptions } from '../options.js';
import { checkFloat, checkFloats, constantLike, int32, shape } from './common.js';
import { adaptiveAvgPool2d } from './pooling.js';

const f32 = Math.fround;

/** The modes of `interpolate`. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

/** Options of `interpolate` (PyTorch's keyword arguments). */
export interface InterpolateOptions {
  /** The output's spatial size: a number for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Multiply each spatial size by this (one number, or one per dim); the output size is `floor(in · scale)`. */
  scaleFactor?: number | readonly number[];
  /** Default `'nearest'`. `'linear'` takes 3-D input, `'bilinear'`/`'bicubic'` 4-D, `'trilinear'` 5-D. */
  mode?: InterpolateMode;
  /**
   * Linear and cubic modes: align the corner pixels' centres of input and output (default
   * false). Not allowed with the other modes, as in PyTorch.
   */
  alignCorners?: boolean | null;
  /** With `scaleFactor`: compute the sampling scale from the sizes rather than use the factor (default false). */
  recomputeScaleFactor?: boolean | null;
  /** Anti-aliasing when downsampling: not supported (an error when true). */
  antialias?: boolean;
}

const MODE_RANK: Record<InterpolateMode, number[]> = {
  nearest: [3, 4, 5],
  'nearest-exact': [3, 4, 5],
  area: [3, 4, 5],
  linear: [3],
  bilinear: [4],
  bicubic: [4],
  trilinear: [5],
};

/** PyTorch's `compute_scales_value` in float32: `1 / scale` when given, else `in / out`. */
function scalesValue(scale: number | undefined, inSize: number, outSize: number): number {
  return scale !== undefined && scale > 0 ? f32(1 / scale) : f32(inSize / outSize);
}

/** PyTorch's `area_pixel_compute_scale`. */
function areaScale(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): number {
  if (alignCorners) return outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : 0;
  return scalesValue(scale, inSize, outSize);
}

/** PyTorch's `area_pixel_compute_source_index`. */
function sourceIndex(scale: number, dst: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return f32(scale * dst);
  const src = f32(scale * (dst + 0.5) - 0.5);
  return !cubic && src < 0 ? 0 : src;
}

/** Taps and weights of one output position along one dim. */
interface Taps {
  index: number[][];
  weight: number[][] | null;
}

function nearestTaps(inSize: number, outSize: number, scale: number | undefined, exact: boolean): Taps {
  const index = Array.from({ length: outSize }, (_, o) => {
    if (!exact) {
      if (outSize === inSize) return o;
      if (outSize === 2 * inSize) return o >> 1;
      return Math.min(Math.floor(f32(o * scalesValue(scale, inSize, outSize))), inSize - 1);
    }
    return Math.min(Math.floor(f32((o + 0.5) * scalesValue(scale, inSize, outSize))), inSize - 1);
  });
  return { index: [index], weight: null };
}

function linearTaps(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): Taps {
  const s = areaScale(inSize, outSize, alignCorners, scale);
  const i0: number[] = [];
  const i1: number[] = [];
  const w0: number[] = [];
  const w1: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const real = sourceIndex(s, o, alignCorners, false);
    const a = Math.trunc(real);
    const offset = a < inSize - 1 ? 1 : 0;
    const lambda = f32(Math.min(Math.max(f32(real - a), 0), 1));
    i0.push(a);
    i1.push(a + offset);
    w0.push(f32(1 - lambda));
    w1.push(lambda);
  }
  return { index: [i0, i1], weight: [w0, w1] };
}

/** PyTorch's cubic convolution coefficients (A = -0.75). */
function cubicCoefficients(t: number): number[] {
  const A = -0.75;
  const conv1 = (x: number) => f32(f32(f32(f32(A + 2) * x - (A + 3)) * x) * x + 1);
  const conv2 = (x: number) => f32(f32(f32(f32(A * x - 5 * A) * x + 8 * A) * x) - 4 * A);
  return [conv2(f32(t + 1)), conv1(t), conv1(f32(1 - t)), conv2(f32(f32(1 - t) + 1))];
}

function cubicTaps(inSize: number, outSize: number, scale: number | undefined, alignCorners: boolean): Taps {
  const s = areaScale(inSize, outSize, alignCorners, scale);
  const index: number[][] = [[], [], [], []];
  const weight: number[][] = [[], [], [], []];
  for (let o = 0; o < outSize; o++) {
    const real = sourceIndex(s, o, alignCorners, true);
    const base = Math.floor(real);
    const coefficients = cubicCoefficients(f32(real - base));
    for (let k = 0; k < 4; k++) {
      index[k].push(Math.min(Math.max(base - 1 + k, 0), inSize - 1));
      weight[k].push(coefficients[k]);
    }
  }
  return { index, weight };
}

/** Resample dim `dim` of `x` with `taps`: Σ_k x[index_k] · weight_k, in tap order. */
function resampleDim(x: Tensor, dim: number, taps: Taps): Tensor {
  const bshape = x.shape.map((d, i) => (i === dim ? taps.index[0].length : 1));
  let out: Tensor | null = null;
  taps.index.forEach((index, k) => {
    const picked = x.indexSelect(dim, int32(index, x.device));
    const term = taps.weight ? picked.mul(constantLike(taps.weight[k], x).reshape(bshape)) : picked;
    out = out ? out.add(term) : term;
  });
  return out!;
}

/**
 * Resize `x` `[N, C, *spatial]` (1 to 3 spatial dims) as PyTorch's `F.interpolate`, to
 * `size` or by `scaleFactor`, with the modes `'nearest'` (PyTorch's legacy rounding),
 * `'nearest-exact'`, `'linear'`, `'bilinear'`, `'bicubic'`, `'trilinear'` (with or without
 * `alignCorners`) and `'area'` (adaptive average pooling). Sampling positions and weights
 * follow PyTorch's CPU kernels in float32, so results agree to rounding.
 *
 * @example
 * ```ts
 * F.interpolate(x, { scaleFactor: 2, mode: 'nearest' });
 * F.interpolate(x, { size: [64, 64], mode: 'bilinear', alignCorners: false });
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  checkOptions(op, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias']);
  checkFloat(op, 'input', x);
  const mode = options.mode ?? 'nearest';
  checkChoice(op, 'mode', mode, Object.keys(MODE_RANK) as InterpolateMode[]);
  if (!MODE_RANK[mode].includes(x.rank)) {
    throw new Error(`${op}: mode '${mode}' needs a ${MODE_RANK[mode].map((r) => `${r}-D`).join(', ')} input [N, C, ${MODE_RANK[mode].map((r) => r - 2).join(' or ')} spatial dims], got ${shape(x.shape)}`);
  }
  const interpolating = mode === 'linear' || mode === 'bilinear' || mode === 'bicubic' || mode === 'trilinear';
  const alignCorners = options.alignCorners ?? null;
  if (alignCorners !== null) {
    checkBoolean(op, 'alignCorners', alignCorners);
    if (!interpolating) throw new Error(`${op}: alignCorners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`);
  }
  if (options.antialias) throw new Error(`${op}: antialias is not supported`);
  const spatial = x.shape.slice(2);
  const n = spatial.length;
  const { size, scaleFactor } = options;
  if ((size === undefined) === (scaleFactor === undefined)) {
    throw new Error(`${op}: ${size === undefined ? 'either size or scaleFactor should be defined' : 'only one of size or scaleFactor should be defined'}`);
  }
  let outSize: number[];
  let scales: (number | undefined)[] = spatial.map(() => undefined);
  if (size !== undefined) {
    if (options.recomputeScaleFactor) throw new Error(`${op}: recomputeScaleFactor is not meaningful with an explicit size`);
    outSize = typeof size === 'number' ? spatial.map(() => size) : [...size];
    if (outSize.length !== n) throw new Error(`${op}: size ${JSON.stringify(size)} must have ${n} elements for input ${shape(x.shape)} (one per spatial dim)`);
  } else {
    const factors = typeof scaleFactor === 'number' ? spatial.map(() => scaleFactor) : [...scaleFactor!];
    if (factors.length !== n) throw new Error(`${op}: scaleFactor ${JSON.stringify(scaleFactor)} must have ${n} elements for input ${shape(x.shape)} (one per spatial dim)`);
    if (!factors.every((f) => typeof f === 'number' && f > 0 && Number.isFinite(f))) throw new Error(`${op}: scaleFactor must be positive, got ${JSON.stringify(scaleFactor)}`);
    outSize = spatial.map((s, i) => Math.floor(s * factors[i]));
    if (!options.recomputeScaleFactor) scales = factors;
  }
  if (!outSize.every((o) => Number.isInteger(o) && o >= 1)) throw new Error(`${op}: the output size ${JSON.stringify(outSize)} must be positive integers`);
  if (mode === 'area') {
    if (n === 1) return tl.tidy(() => adaptiveAvgPool2d(x.unsqueeze(2), [1, outSize[0]]).squeeze(2));
    if (n === 2) return adaptiveAvgPool2d(x, outSize as [number, number]);
    throw new Error(`${op}: mode 'area' supports 1 or 2 spatial dims, got ${shape(x.shape)}`);
  }
  const align = alignCorners ?? false;
  return tl.tidy(() => {
    let out = x;
    // Innermost dim first, as PyTorch's kernels accumulate: Σ_h w_h (Σ_w w_w x).
    for (let i = n - 1; i >= 0; i--) {
      const dim = 2 + i;
      const inSize = spatial[i];
      const o = outSize[i];
      let taps: Taps;
      if (mode === 'nearest' || mode === 'nearest-exact') taps = nearestTaps(inSize, o, scales[i], mode === 'nearest-exact');
      else if (mode === 'bicubic') taps = cubicTaps(inSize, o, scales[i], align);
      else taps = linearTaps(inSize, o, scales[i], align);
      out = resampleDim(out, dim, taps);
    }
    return out === x ? x.cast(x.dtype) : out;
  });
}

/** Options of `gridSample`. */
export interface GridSampleOptions {
  /** `'bilinear'` (default), `'nearest'` or `'bicubic'`. */
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  /** Outside the input: `'zeros'` (default), `'border'` (the edge) or `'reflection'`. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** -1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean | null;
}

/** Grid coordinate in [-1, 1] to a pixel position. */
function unnormalize(coord: Tensor, size: number, alignCorners: boolean): Tensor {
  return alignCorners ? coord.add(1).mul((size - 1) / 2) : coord.add(1).mul(size).sub(1).div(2);
}

/** PyTorch's `reflect_coordinates`, with its gradient (sign flips on odd reflections). */
function reflect(coord: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  if (twiceLow === twiceHigh) return tl.zerosLike(coord);
  const min = twiceLow / 2;
  const span = (twiceHigh - twiceLow) / 2;
  const d = coord.sub(min).abs();
  const flips = tl.noGrad(() => d.div(span).floor());
  const extra = d.sub(flips.mul(span));
  const even = tl.noGrad(() => flips.sub(flips.div(2).floor().mul(2)).eq(0));
  return extra.add(min).where(even, extra.neg().add(span + min));
}

function clip(coord: Tensor, size: number): Tensor {
  return coord.clamp(0, size - 1);
}

/** PyTorch's `compute_coordinates`: apply the padding mode to a pixel position. */
function padCoordinates(coord: Tensor, size: number, paddingMode: string, alignCorners: boolean): Tensor {
  if (paddingMode === 'border') return clip(coord, size);
  if (paddingMode === 'reflection') {
    const reflected = alignCorners ? reflect(coord, 0, 2 * (size - 1)) : reflect(coord, -1, 2 * size - 1);
    return clip(reflected, size);
  }
  return coord;
}

/**
 * Sample `input` `[N, C, H, W]` at the positions of `grid` `[N, Ho, Wo, 2]` (x then y, in
 * [-1, 1]), as PyTorch's `F.grid_sample`: output `[N, C, Ho, Wo]`. Volumes work too:
 * `input` `[N, C, D, H, W]` and `grid` `[N, Do, Ho, Wo, 3]` (x, y, z) give
 * `[N, C, Do, Ho, Wo]`, where `'bilinear'` is trilinear; `'bicubic'` is 4-D only, as in
 * PyTorch. Gradients flow to the input and (for bilinear and bicubic) to the grid.
 *
 * @example
 * ```ts
 * F.gridSample(images, F.affineGrid(theta, [N, C, 32, 32]), { alignCorners: false });
 * F.gridSample(volumes, F.affineGrid(theta3d, [N, C, 8, 16, 16])); // 5-D, trilinear
 * ```
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('gridSample', [input, grid, options], gridSample);
  const op = 'gridSample';
  checkOptions(op, options, ['mode', 'paddingMode', 'alignCorners']);
  checkFloats(op, { input, grid });
  const mode = options.mode ?? 'bilinear';
  const paddingMode = options.paddingMode ?? 'zeros';
  checkChoice(op, 'mode', mode, ['bilinear', 'nearest', 'bicubic'] as const);
  checkChoice(op, 'paddingMode', paddingMode, ['zeros', 'border', 'reflection'] as const);
  const alignCorners = options.alignCorners ?? false;
  checkBoolean(op, 'alignCorners', alignCorners);
  if (input.rank !== 4 && input.rank !== 5) throw new Error(`${op}: input must be [N, C, H, W] (4-D) or [N, C, D, H, W] (5-D), got ${shape(input.shape)}`);
  const k = input.rank - 2; // spatial dims
  const spatial = input.shape.slice(2);
  if (grid.rank !== input.rank || grid.shape[k + 1] !== k || grid.shape[0] !== input.shape[0]) {
    const want = k === 2 ? '[N, Ho, Wo, 2]' : '[N, Do, Ho, Wo, 3]';
    throw new Error(`${op}: grid must be ${want} with N = ${input.shape[0]} for input ${shape(input.shape)}, got ${shape(grid.shape)}`);
  }
  if (spatial.some((s) => s === 0)) throw new Error(`${op}: input ${shape(input.shape)} has an empty spatial dim`);
  // PyTorch: "grid_sampler(): bicubic interpolation only supports 4D input".
  if (mode === 'bicubic' && k === 3) throw new Error(`${op}: mode 'bicubic' only supports 4-D input, got 5-D ${shape(input.shape)}`);
  const [n, c] = input.shape;
  const outSpatial = grid.shape.slice(1, 1 + k);
  const points = outSpatial.reduce((a, b) => a * b, 1);
  const volume = spatial.reduce((a, b) => a * b, 1);
  // Grid component a is x (W), y (H), z (D): sizes and flat-index strides in that order.
  const sizes = [...spatial].reverse();
  const strides = sizes.map((_, a) => sizes.slice(0, a).reduce((p, q) => p * q, 1));
  // Positions are computed in float32 even for float16 inputs: flat indices past 2048 are not
  // exact in float16.
  return tl.inFloat32([input, grid], ([input, grid]) => tl.tidy(() => {
    const flat = input.reshape([n, c, volume]);
    const g = sizes.map((s, a) => unnormalize(grid.narrow(k + 1, a, 1).reshape([n, 1, points]), s, alignCorners));
    // One tap: the input at integer positions `at` (float tensors, x first), zero outside.
    const tap = (at: Tensor[]): Tensor => {
      const [index, inside] = tl.noGrad(() => {
        let ok: Tensor | null = null;
        let flatIndex: Tensor | null = null;
        at.forEach((p, a) => {
          const inRange = p.ge(0).logicalAnd(p.le(sizes[a] - 1));
          ok = ok ? ok.logicalAnd(inRange) : inRange;
          const term = p.clamp(0, sizes[a] - 1).mul(strides[a]);
          flatIndex = flatIndex ? flatIndex.add(term) : term;
        });
        return [flatIndex!.cast('int32').expand([n, c, points]), ok!] as const;
      });
      return flat.gather(2, index).where(inside, 0);
    };
    let out: Tensor;
    if (mode === 'bicubic') {
      const [w, h] = sizes;
      const [gx, gy] = g;
      // Positions without padding; each tap then goes through the padding mode (PyTorch's get_value_bounded).
      const x0 = tl.noGrad(() => gx.floor());
      const y0 = tl.noGrad(() => gy.floor());
      const tx = gx.sub(x0);
      const ty = gy.sub(y0);
      const coefficients = (t: Tensor): Tensor[] => {
        const A = -0.75;
        const conv1 = (v: Tensor) => v.mul(A + 2).sub(A + 3).mul(v).mul(v).add(1);
        const conv2 = (v: Tensor) => v.mul(A).sub(5 * A).mul(v).add(8 * A).mul(v).sub(4 * A);
        const u = t.neg().add(1);
        return [conv2(t.add(1)), conv1(t), conv1(u), conv2(u.add(1))];
      };
      const cx = coefficients(tx);
      const cy = coefficients(ty);
      let total: Tensor | null = null;
      for (let j = 0; j < 4; j++) {
        let row: Tensor | null = null;
        for (let i = 0; i < 4; i++) {
          const px = tl.noGrad(() => padCoordinates(x0.add(i - 1), w, paddingMode, alignCorners).round());
          const py = tl.noGrad(() => padCoordinates(y0.add(j - 1), h, paddingMode, alignCorners).round());
          const term = tap([px, py]).mul(cx[i]);
          row = row ? row.add(term) : term;
        }
        const term = row!.mul(cy[j]);
        total = total ? total.add(term) : term;
      }
      out = total!;
    } else {
      const at = g.map((v, a) => padCoordinates(v, sizes[a], paddingMode, alignCorners));
      if (mode === 'nearest') {
        out = tap(at.map((v) => tl.noGrad(() => v.round())));
      } else {
        const low = at.map((v) => tl.noGrad(() => v.floor()));
        const high = low.map((v) => tl.noGrad(() => v.add(1)));
        const above = at.map((v, a) => v.sub(low[a])); // weight of the high tap
        const below = at.map((v, a) => high[a].sub(v)); // weight of the low tap
        // Bi- or trilinear: 2^k corners, x fastest, weights multiplied x·y(·z), as PyTorch's
        // kernels sum them (nw, ne, sw, se[, then the bottom face]).
        let total: Tensor | null = null;
        for (let corner = 0; corner < 1 << k; corner++) {
          const bit = (a: number) => (corner >> a) & 1;
          const weight = at.map((_, a) => (bit(a) ? above[a] : below[a])).reduce((p, q) => p.mul(q));
          const term = tap(at.map((_, a) => (bit(a) ? high[a] : low[a]))).mul(weight);
          total = total ? total.add(term) : term;
        }
        out = total!;
      }
    }
    return out.reshape([n, c, ...outSpatial]);
  }));
}

/** PyTorch's `linspace_from_neg_one`. */
function baseCoordinates(steps: number, alignCorners: boolean): number[] {
  if (steps <= 1) return [0];
  return Array.from({ length: steps }, (_, i) => {
    const v = -1 + (2 * i) / (steps - 1);
    return alignCorners ? v : (v * (steps - 1)) / steps;
  });
}

/**
 * The sampling grid of a batch of affine maps `theta` `[N, 2, 3]` for an output of `size`
 * `[N, C, H, W]` (or `theta` `[N, 3, 4]` and `[N, C, D, H, W]`), as PyTorch's
 * `F.affine_grid`: `[N, H, W, 2]` (or `[N, D, H, W, 3]`), for `gridSample`.
 *
 * @example
 * ```ts
 * const theta = tl.tensor([[[1, 0, 0], [0, 1, 0]]]); // identity
 * F.affineGrid(theta, [1, 3, 4, 4]); // [1, 4, 4, 2]
 * ```
 */
export function affineGrid(theta: Tensor, size: readonly number[], alignCorners: boolean | null = null): Tensor {
  const op = 'affineGrid';
  checkFloat(op, 'theta', theta);
  const align = alignCorners ?? false;
  checkBoolean(op, 'alignCorners', align);
  if (!Array.isArray(size) || (size.length !== 4 && size.length !== 5)) throw new Error(`${op}: size must be [N, C, H, W] or [N, C, D, H, W], got ${JSON.stringify(size)}`);
  const spatial = size.slice(2);
  const d = spatial.length;
  if (theta.rank !== 3 || theta.shape[0] !== size[0] || theta.shape[1] !== d || theta.shape[2] !== d + 1) {
    throw new Error(`${op}: expected theta of shape [${size[0]}, ${d}, ${d + 1}] for size ${JSON.stringify(size)}, got ${shape(theta.shape)}`);
  }
  // Base grid rows (x, y[, z], 1) for every output position, x fastest.
  const axes = [...spatial].reverse().map((s) => baseCoordinates(s, align)); // x (W), y (H), z (D)
  const count = spatial.reduce((a, b) => a * b, 1);
  const base = new Float32Array(count * (d + 1));
  for (let p = 0; p < count; p++) {
    let rest = p;
    for (let k = 0; k < d; k++) {
      const len = spatial[d - 1 - k];
      base[p * (d + 1) + k] = axes[k][rest % len];
      rest = Math.floor(rest / len);
    }
    base[p * (d + 1) + d] = 1;
  }
  return tl.tidy(() => {
    const b = constantLike(base, theta).reshape([1, count, d + 1]);
    return b.matmul(theta.transpose(1, 2)).reshape([size[0], ...spatial, d]);
  });
}
