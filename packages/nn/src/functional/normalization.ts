/**
 * Normalisation and distances: `groupNorm`, `instanceNorm`, `rmsNorm`,
 * `localResponseNorm`, `normalize`, `cosineSimilarity`, `pairwiseDistance`, `pdist`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkNumber, checkOptions, checkPositiveInt } from '../options.js';
import { channelAffine, channelShape, checkFloat, checkFloats, checkNormFloats, int32, normDim, pNorm, shape, updateRunning } from './common.js';

/** float32's machine epsilon, `torch.finfo(torch.float32).eps`: RMSNorm's default eps. */
export const FLOAT32_EPS = 1.1920928955078125e-7;

/**
 * Group normalisation (Wu & He) of `x` `[N, C, *]`: the channels split into `numGroups`
 * groups, each normalised over its channels and every spatial position (biased variance),
 * then `· weight + bias` per channel when given.
 *
 * @example
 * ```ts
 * F.groupNorm(x, 8, weight, bias); // x: [N, 32, H, W]
 * ```
 */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (tl.autocastActive()) return tl.autocasting('groupNorm', [x, numGroups, weight, bias, eps], groupNorm);
  const op = 'groupNorm';
  checkFloats(op, { input: x }, { weight, bias });
  checkPositiveInt(op, 'numGroups', numGroups);
  checkNumber(op, 'eps', eps);
  if (x.rank < 2) throw new Error(`${op}: input must be [N, C, *], got ${shape(x.shape)}`);
  const [n, c] = x.shape;
  if (c % numGroups !== 0) throw new Error(`${op}: expected number of channels in input ${shape(x.shape)} (${c}) to be divisible by numGroups ${numGroups}`);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) throw new Error(`${op}: ${name} ${shape(t.shape)} must be [${c}] for input ${shape(x.shape)}`);
  }
  return tl.inFloat32([x, weight, bias], ([x, weight, bias]) => tl.tidy(() => {
    const grouped = x.reshape([n, numGroups, -1]);
    const mean = grouped.mean(2, true);
    const variance = grouped.var(2, true, 0);
    return channelAffine(grouped.sub(mean).mul(variance.add(eps).rsqrt()).reshape(x.shape), weight, bias, channelShape(x.rank, c));
  }));
}

/** Options of `instanceNorm`. */
export interface InstanceNormOptions {
  /** Per-channel running mean `[C]`, updated in place while using input statistics. */
  runningMean?: Tensor | null;
  /** Per-channel running variance `[C]`, updated with the unbiased variance. */
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with each instance's own statistics (default true); otherwise with the running ones. */
  useInputStats?: boolean;
  /** Weight of the new statistics in the running update (default 0.1). */
  momentum?: number;
  eps?: number;
}

/**
 * Instance normalisation of `x` `[N, C, *]`: each sample's channels normalised over their
 * spatial positions (biased variance), as PyTorch's `F.instance_norm`. With running
 * statistics and `useInputStats` they are updated (in place, with `assign`) from the
 * batch average of the instance means and unbiased variances.
 *
 * @example
 * ```ts
 * F.instanceNorm(x, { weight, bias });
 * ```
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): Tensor {
  const op = 'instanceNorm';
  checkOptions(op, options, ['runningMean', 'runningVar', 'weight', 'bias', 'useInputStats', 'momentum', 'eps']);
  const { runningMean = null, runningVar = null, weight = null, bias = null, useInputStats = true, momentum = 0.1, eps = 1e-5 } = options;
  checkNormFloats(op, x, { runningMean, runningVar, weight, bias });
  checkBoolean(op, 'useInputStats', useInputStats);
  if (x.rank < 3) throw new Error(`${op}: input must be [N, C, *] with at least one spatial dim, got ${shape(x.shape)}`);
  const [n, c] = x.shape;
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) throw new Error(`${op}: ${name} ${shape(t.shape)} must be [${c}] for input ${shape(x.shape)}`);
  }
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
  const count = x.size / (n * c);
  const bshape = channelShape(x.rank, c);
  if (useInputStats && count <= 1) throw new Error(`${op}: expected more than 1 spatial element when training, got input ${shape(x.shape)}`);
  if (!useInputStats && (!runningMean || !runningVar)) throw new Error(`${op}: runningMean and runningVar are required when useInputStats is false`);
  return tl.inFloat32([x, weight, bias], ([x, weight, bias]) => tl.tidy(() => {
    let mean: Tensor;
    let variance: Tensor;
    if (useInputStats) {
      mean = x.mean(axes, true);
      variance = x.var(axes, true, 0);
      tl.noGrad(() => {
        if (runningMean) updateRunning(runningMean, mean.reshape([n, c]).mean(0), momentum);
        if (runningVar) updateRunning(runningVar, variance.reshape([n, c]).mean(0), momentum, (momentum * count) / (count - 1));
      });
    } else {
      mean = runningMean!.cast(x.dtype).reshape(bshape);
      variance = runningVar!.cast(x.dtype).reshape(bshape);
    }
    return channelAffine(x.sub(mean).mul(variance.add(eps).rsqrt()), weight, bias, bshape);
  }));
}

/**
 * Root-mean-square normalisation over the trailing `normalizedShape` dims:
 * `x / sqrt(mean(x²) + eps) · weight`, as PyTorch 2.4's `F.rms_norm` (eps defaults to
 * float32's machine epsilon).
 *
 * @example
 * ```ts
 * F.rmsNorm(x, [512], weight, 1e-6);
 * ```
 */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, eps?: number | null): Tensor {
  const op = 'rmsNorm';
  checkFloats(op, { input: x }, { weight });
  const dims = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const tail = x.shape.slice(x.rank - dims.length);
  if (dims.length === 0 || dims.length > x.rank || !tl.shapesEqual(tail, dims)) {
    throw new Error(`${op}: input ${shape(x.shape)} does not end in normalizedShape ${shape(dims)}`);
  }
  if (weight && !tl.shapesEqual(weight.shape, dims)) throw new Error(`${op}: weight ${shape(weight.shape)} must be ${shape(dims)}`);
  const e = eps ?? FLOAT32_EPS;
  checkNumber(op, 'eps', e);
  const axes = dims.map((_, i) => x.rank - dims.length + i);
  // In float32 for float16, as PyTorch's rms_norm upcasts: the mean of squares overflows half.
  return tl.inFloat32([x, weight], ([x, weight]) => tl.tidy(() => {
    const y = x.mul(x.square().mean(axes, true).add(e).rsqrt());
    return weight ? y.mul(weight) : y;
  }));
}

/**
 * Local response normalisation across channels (AlexNet): `x / (k + alpha/size ·
 * Σ x²)^beta`, the sum over `size` neighbouring channels (zero-padded), as PyTorch.
 *
 * @example
 * ```ts
 * F.localResponseNorm(x, 5, 1e-4, 0.75, 2);
 * ```
 */
export function localResponseNorm(x: Tensor, size: number, alpha = 1e-4, beta = 0.75, k = 1): Tensor {
  const op = 'localResponseNorm';
  checkFloat(op, 'input', x);
  checkPositiveInt(op, 'size', size);
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['k', k]] as const) checkNumber(op, name, v);
  if (x.rank < 3) throw new Error(`${op}: expected 3D or higher dimensionality input (got ${shape(x.shape)})`);
  const [n, c] = x.shape;
  return tl.tidy(() => {
    // Sum of squares over a window of channels: an average pool over [C, rest] with a [size, 1] kernel.
    const sq = x.square().reshape([n, 1, c, -1]);
    const padded = tl.pad(sq, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
    const div = tl.avgPool2d(padded, { kernelSize: [size, 1], stride: 1 }).reshape(x.shape);
    return x.div(div.mul(alpha).add(k).pow(beta));
  });
}

/**
 * Divide `x` by its `p`-norm along `dim`, at least `eps`: `x / max(‖x‖_p, eps)`.
 *
 * @example
 * ```ts
 * F.normalize(embeddings, 2, -1); // unit rows
 * ```
 */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  if (tl.autocastActive()) return tl.autocasting('normalize', [x, p, dim, eps], normalize);
  const op = 'normalize';
  checkFloat(op, 'input', x);
  checkNumber(op, 'p', p);
  checkNumber(op, 'dim', dim);
  checkNumber(op, 'eps', eps);
  const d = normDim(op, dim, x.rank);
  return tl.tidy(() => x.div(pNorm(x, p, d, true).clamp(eps, null)));
}

/**
 * Cosine similarity of `x1` and `x2` along `dim` (they broadcast): `Σ x1/max(‖x1‖, eps) ·
 * x2/max(‖x2‖, eps)`, as PyTorch 1.13 (the clamp carries no gradient).
 *
 * @example
 * ```ts
 * F.cosineSimilarity(a, b, -1); // [N]
 * ```
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  if (tl.autocastActive()) return tl.autocasting('cosineSimilarity', [x1, x2, dim, eps], cosineSimilarity);
  const op = 'cosineSimilarity';
  checkFloats(op, { x1, x2 });
  checkNumber(op, 'dim', dim);
  checkNumber(op, 'eps', eps);
  const common = tl.broadcastShapes(x1.shape, x2.shape, op);
  const d = normDim(op, dim, common.length);
  return tl.tidy(() => {
    // PyTorch 1.13: each operand divided by its norm first (clamped at eps without a gradient), then the dot product.
    const unit = (t: Tensor) => {
      const e = tl.shapesEqual(t.shape, common) ? t : t.expand(common);
      const norm = pNorm(e, 2, d, true);
      return e.div(norm.add(tl.noGrad(() => norm.clamp(eps, null).sub(norm))));
    };
    return unit(x1).mul(unit(x2)).sum(d);
  });
}

/**
 * The `p`-norm distance between the rows (last dim) of `x1` and `x2`:
 * `‖x1 - x2 + eps‖_p`.
 *
 * @example
 * ```ts
 * F.pairwiseDistance(anchors, positives); // [N]
 * ```
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, p = 2, eps = 1e-6, keepdim = false): Tensor {
  const op = 'pairwiseDistance';
  checkFloats(op, { x1, x2 });
  checkNumber(op, 'p', p);
  checkNumber(op, 'eps', eps);
  checkBoolean(op, 'keepdim', keepdim);
  tl.broadcastShapes(x1.shape, x2.shape, op);
  return tl.tidy(() => {
    const diff = x1.sub(x2).add(eps);
    return pNorm(diff, p, Math.max(diff.rank - 1, 0), keepdim && diff.rank > 0);
  });
}

/**
 * The `p`-norm distances between every pair of rows of `x` `[N, M]`: the upper triangle of
 * the distance matrix, row by row, `[N·(N-1)/2]`.
 *
 * @example
 * ```ts
 * F.pdist(points); // [N·(N-1)/2]
 * ```
 */
export function pdist(x: Tensor, p = 2): Tensor {
  if (tl.autocastActive()) return tl.autocasting('pdist', [x, p], pdist);
  const op = 'pdist';
  checkFloat(op, 'input', x);
  checkNumber(op, 'p', p);
  if (x.rank !== 2) throw new Error(`${op}: only 2-D input tensors are supported, got ${shape(x.shape)}`);
  const n = x.shape[0];
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) left.push(i), right.push(j);
  return tl.tidy(() => {
    if (left.length === 0) return tl.zeros([0], { device: x.device, dtype: x.dtype });
    const a = x.indexSelect(0, int32(left, x.device));
    const b = x.indexSelect(0, int32(right, x.device));
    return pNorm(a.sub(b), p, 1);
  });
}
