/**
 * Losses beyond the classification and regression basics: margin, embedding and ranking
 * losses, Poisson and Gaussian likelihoods, smooth L1 and CTC. Tensors are positional and
 * every hyper-parameter is an option, as for the other losses.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkNumber, checkOptions } from '../options.js';
import { logsigmoid } from './activations.js';
import { checkFloat, checkFloats, checkSameShape, reduce, reductionOf, shape, type Reduction } from './common.js';
import { pairwiseDistance } from './normalization.js';

/** Options of the losses that take a margin. */
export interface MarginLossOptions {
  margin?: number;
  reduction?: Reduction;
}

function checkTarget(op: string, target: Tensor, expected: readonly number[]): void {
  if (!(target instanceof tl.Tensor)) throw new TypeError(`${op}: target must be a tensor`);
  if (!tl.shapesEqual(target.shape, expected)) throw new Error(`${op}: target ${shape(target.shape)} must be ${shape(expected)}`);
}

/** Labels (±1, or 0 and 1) in the input's dtype: int32 and the other float dtype hold them exactly. */
function labelsLike(t: Tensor, input: Tensor): Tensor {
  return t.cast(input.dtype);
}

/** The checks of a loss over two same-shaped inputs with a margin; its margin (default 0) and reduction. */
function checkPairLoss(op: string, x1: Tensor, x2: Tensor, options: MarginLossOptions): { margin: number; reduction: Reduction } {
  checkOptions(op, options, ['margin', 'reduction']);
  const margin = options.margin ?? 0;
  checkNumber(op, 'margin', margin);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input1: x1, input2: x2 });
  checkSameShape(op, x1, x2, 'input2');
  return { margin, reduction };
}

/**
 * Whether `x1` and `x2` (`[N, D]` or `[D]`) are similar (`target` 1) or not (-1), by their
 * cosine: `1 - cos` for similar pairs, `max(0, cos - margin)` for the others.
 *
 * @example
 * ```ts
 * F.cosineEmbeddingLoss(a, b, tl.tensor([1, -1, 1]), { margin: 0.2 });
 * ```
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('cosineEmbeddingLoss', [x1, x2, target, options], cosineEmbeddingLoss);
  const op = 'cosineEmbeddingLoss';
  const { margin, reduction } = checkPairLoss(op, x1, x2, options);
  if (x1.rank !== 1 && x1.rank !== 2) throw new Error(`${op}: inputs must be [N, D] or [D], got ${shape(x1.shape)}`);
  checkTarget(op, target, x1.rank === 2 ? [x1.shape[0]] : []);
  const dim = x1.rank - 1;
  return tl.tidy(() => {
    const EPSILON = 1e-12;
    const prod = x1.mul(x2).sum(dim);
    const mag1 = x1.square().sum(dim).add(EPSILON);
    const mag2 = x2.square().sum(dim).add(EPSILON);
    const cos = prod.div(mag1.mul(mag2).sqrt());
    const t = labelsLike(target, x1);
    const pos = cos.neg().add(1).where(tl.noGrad(() => t.eq(1)), 0);
    const neg = cos.sub(margin).clamp(0, null).where(tl.noGrad(() => t.eq(-1)), 0);
    return reduce(op, pos.add(neg), reduction);
  });
}

/**
 * `max(0, -target·(x1 - x2) + margin)`: `target` 1 means `x1` should rank higher, -1 lower.
 *
 * @example
 * ```ts
 * F.marginRankingLoss(scoresA, scoresB, tl.tensor([1, -1]), { margin: 0.5 });
 * ```
 */
export function marginRankingLoss(x1: Tensor, x2: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('marginRankingLoss', [x1, x2, target, options], marginRankingLoss);
  const op = 'marginRankingLoss';
  const { margin, reduction } = checkPairLoss(op, x1, x2, options);
  checkTarget(op, target, x1.shape);
  return tl.tidy(() => reduce(op, labelsLike(target, x1).neg().mul(x1.sub(x2)).add(margin).clamp(0, null), reduction));
}

/**
 * `x` where `target` is 1 and `max(0, margin - x)` where it is -1 (x is typically a
 * distance).
 *
 * @example
 * ```ts
 * F.hingeEmbeddingLoss(distances, labels, { margin: 1 });
 * ```
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: MarginLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('hingeEmbeddingLoss', [input, target, options], hingeEmbeddingLoss);
  const op = 'hingeEmbeddingLoss';
  checkOptions(op, options, ['margin', 'reduction']);
  const margin = options.margin ?? 1;
  checkNumber(op, 'margin', margin);
  const reduction = reductionOf(op, options.reduction);
  checkFloat(op, 'input', input);
  checkTarget(op, target, input.shape);
  return tl.tidy(() => {
    const t = labelsLike(target, input);
    const marginPart = input.neg().add(margin).clamp(0, null).where(tl.noGrad(() => t.ne(1)), 0);
    const selfPart = input.where(tl.noGrad(() => t.ne(-1)), 0);
    return reduce(op, marginPart.add(selfPart), reduction);
  });
}

/**
 * `log(1 + exp(-target · input))`, a two-class logistic loss with targets ±1.
 *
 * @example
 * ```ts
 * F.softMarginLoss(scores, labels);
 * ```
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('softMarginLoss', [input, target, options], softMarginLoss);
  const op = 'softMarginLoss';
  checkOptions(op, options, ['reduction']);
  const reduction = reductionOf(op, options.reduction);
  checkFloat(op, 'input', input);
  checkTarget(op, target, input.shape);
  return tl.tidy(() => reduce(op, labelsLike(target, input).neg().mul(input).exp().log1p(), reduction));
}

/** Options of `multilabelSoftMarginLoss`. */
export interface MultilabelSoftMarginLossOptions {
  /** A weight per class `[C]`. */
  weight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * One-versus-all logistic loss for multi-label targets (0 or 1 per class): the mean over
 * classes of `-(t·logσ(x) + (1 - t)·logσ(-x))`, per sample.
 *
 * @example
 * ```ts
 * F.multilabelSoftMarginLoss(logits, labels); // logits, labels: [N, C]
 * ```
 */
export function multilabelSoftMarginLoss(input: Tensor, target: Tensor, options: MultilabelSoftMarginLossOptions = {}): Tensor {
  const op = 'multilabelSoftMarginLoss';
  checkOptions(op, options, ['weight', 'reduction']);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input }, { weight: options.weight });
  checkTarget(op, target, input.shape);
  if (input.rank < 1) throw new Error(`${op}: input must be [N, C] or [C], got ${shape(input.shape)}`);
  const classDim = input.rank - 1;
  const c = input.shape[classDim];
  const weight = options.weight ?? null;
  return tl.tidy(() => {
    const t = labelsLike(target, input);
    let loss = t.mul(logsigmoid(input)).add(t.neg().add(1).mul(logsigmoid(input.neg()))).neg();
    if (weight) loss = loss.mul(weight);
    return reduce(op, loss.sum(classDim).div(c), reduction);
  });
}

/** Options of `multiMarginLoss`. */
export interface MultiMarginLossOptions {
  /** 1 (default) or 2. */
  p?: number;
  margin?: number;
  /** A weight per class `[C]`, scaling the terms of samples of that class. */
  weight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Multi-class hinge loss of scores `input` `[N, C]` (or `[C]`) and int32 class `target`
 * `[N]` (or `[]`): `Σ_{i≠y} max(0, margin - x[y] + x[i])^p / C`, times `weight[y]`.
 *
 * @example
 * ```ts
 * F.multiMarginLoss(scores, labels, { margin: 1 });
 * ```
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('multiMarginLoss', [input, target, options], multiMarginLoss);
  const op = 'multiMarginLoss';
  checkOptions(op, options, ['p', 'margin', 'weight', 'reduction']);
  const p = options.p ?? 1;
  const margin = options.margin ?? 1;
  if (p !== 1 && p !== 2) throw new Error(`${op}: only p == 1 and p == 2 supported, got ${p}`);
  checkNumber(op, 'margin', margin);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input }, { weight: options.weight });
  if (input.rank !== 1 && input.rank !== 2) throw new Error(`${op}: input must be [N, C] or [C], got ${shape(input.shape)}`);
  if (!(target instanceof tl.Tensor) || target.dtype !== 'int32') throw new TypeError(`${op}: target must be int32 class indices`);
  checkTarget(op, target, input.rank === 2 ? [input.shape[0]] : []);
  const c = input.shape[input.rank - 1];
  const weight = options.weight ?? null;
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c)) throw new Error(`${op}: weight must be [${c}], got ${shape(weight.shape)}`);
  return tl.tidy(() => {
    const x = input.rank === 1 ? input.unsqueeze(0) : input;
    const y = target.reshape([-1, 1]);
    const picked = x.gather(1, y);
    let z = x.sub(picked).add(margin).clamp(0, null);
    if (p === 2) z = z.square();
    if (weight) z = z.mul(weight.gather(0, y.reshape([-1])).unsqueeze(1));
    const notTarget = tl.noGrad(() => tl.arange(0, c, 1, { device: x.device }).unsqueeze(0).ne(y));
    const loss = z.where(notTarget, 0).sum(1).div(c);
    return reduce(op, input.rank === 1 ? loss.squeeze(0) : loss, reduction);
  });
}

/** Options of `tripletMarginLoss`. */
export interface TripletMarginLossOptions {
  margin?: number;
  /** The norm of the distances (default 2). */
  p?: number;
  /** Added to the differences before the norm (default 1e-6). */
  eps?: number;
  /** Use the smaller of the anchor-negative and positive-negative distances (default false). */
  swap?: boolean;
  reduction?: Reduction;
}

/**
 * `max(0, d(a, p) - d(a, n) + margin)` with `d` the pairwise `p`-norm distance, for
 * anchors, positives and negatives `[N, D]` (or `[D]`).
 *
 * @example
 * ```ts
 * F.tripletMarginLoss(anchor, positive, negative, { margin: 1 });
 * ```
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletMarginLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('tripletMarginLoss', [anchor, positive, negative, options], tripletMarginLoss);
  const op = 'tripletMarginLoss';
  checkOptions(op, options, ['margin', 'p', 'eps', 'swap', 'reduction']);
  const { margin = 1, p = 2, eps = 1e-6, swap = false } = options;
  checkNumber(op, 'margin', margin);
  checkBoolean(op, 'swap', swap);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { anchor, positive, negative });
  for (const [name, t] of [['anchor', anchor], ['positive', positive], ['negative', negative]] as const) {
    if (t.rank !== 1 && t.rank !== 2) throw new Error(`${op}: ${name} must be [N, D] or [D], got ${shape(t.shape)}`);
  }
  if (!(anchor.rank === positive.rank && anchor.rank === negative.rank)) {
    throw new Error(`${op}: the anchor, positive and negative must all be 1-D or all 2-D, got ${shape(anchor.shape)}, ${shape(positive.shape)} and ${shape(negative.shape)}`);
  }
  return tl.tidy(() => {
    const dPos = pairwiseDistance(anchor, positive, p, eps);
    let dNeg = pairwiseDistance(anchor, negative, p, eps);
    if (swap) dNeg = tl.minimum(dNeg, pairwiseDistance(positive, negative, p, eps));
    return reduce(op, dPos.sub(dNeg).add(margin).clamp(0, null), reduction);
  });
}

/** Options of `poissonNllLoss`. */
export interface PoissonNllLossOptions {
  /** The input is the log of the rate (default true): loss `exp(x) - t·x`; otherwise `x - t·log(x + eps)`. */
  logInput?: boolean;
  /** Add Stirling's approximation of `log(t!)` (for targets above 1; default false). */
  full?: boolean;
  /** Keeps the log finite when `logInput` is false (default 1e-8). */
  eps?: number;
  reduction?: Reduction;
}

/**
 * Negative log-likelihood of counts `target` under a Poisson distribution with rate
 * `input` (or log-rate), as PyTorch's `F.poisson_nll_loss`.
 *
 * @example
 * ```ts
 * F.poissonNllLoss(logRates, counts);
 * ```
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNllLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('poissonNllLoss', [input, target, options], poissonNllLoss);
  const op = 'poissonNllLoss';
  checkOptions(op, options, ['logInput', 'full', 'eps', 'reduction']);
  const { logInput = true, full = false, eps = 1e-8 } = options;
  checkBoolean(op, 'logInput', logInput);
  checkBoolean(op, 'full', full);
  checkNumber(op, 'eps', eps);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input, target });
  checkSameShape(op, input, target);
  return tl.tidy(() => {
    let loss = logInput ? input.exp().sub(target.mul(input)) : input.sub(target.mul(input.add(eps).log()));
    if (full) {
      const t = target;
      const stirling = tl.noGrad(() => {
        const safe = t.where(t.gt(1), 1);
        return safe.mul(safe.log()).sub(safe).add(safe.mul(2 * Math.PI).log().mul(0.5)).where(t.gt(1), 0);
      });
      loss = loss.add(stirling);
    }
    return reduce(op, loss, reduction);
  });
}

/** Options of `gaussianNllLoss`. */
export interface GaussianNllLossOptions {
  /** Add the constant `0.5·log(2π)` (default false). */
  full?: boolean;
  /** The variance is clamped at this for stability, without a gradient through the clamp (default 1e-6). */
  eps?: number;
  reduction?: Reduction;
}

/**
 * Negative log-likelihood of `target` under Gaussians with mean `input` and variance `var`:
 * `0.5·(log(max(var, eps)) + (input - target)² / max(var, eps))`. `var` has the input's
 * shape, or lacks its last dim, or has 1 there (one variance for all).
 *
 * @example
 * ```ts
 * F.gaussianNllLoss(mean, target, variance);
 * ```
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNllLossOptions = {}): Tensor {
  const op = 'gaussianNllLoss';
  checkOptions(op, options, ['full', 'eps', 'reduction']);
  const { full = false, eps = 1e-6 } = options;
  checkBoolean(op, 'full', full);
  checkNumber(op, 'eps', eps);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input, target, var: variance });
  checkSameShape(op, input, target);
  let v = variance;
  return tl.tidy(() => {
    if (!tl.shapesEqual(v.shape, input.shape)) {
      if (tl.shapesEqual(input.shape.slice(0, -1), v.shape)) v = v.unsqueeze(-1);
      else if (!(tl.shapesEqual(input.shape.slice(0, -1), v.shape.slice(0, -1)) && v.shape[v.rank - 1] === 1)) {
        throw new Error(`${op}: var ${shape(variance.shape)} must be the input's shape ${shape(input.shape)}, that without its last dim, or that with 1 as its last dim`);
      }
    }
    if (v.backend.readSync && Number(tl.noGrad(() => v.lt(0).cast('float32').sum().itemSync())) > 0) throw new Error(`${op}: var has negative entry/entries`);
    // Clamp the value; the gradient passes through unchanged, as PyTorch's no_grad clamp_.
    const clamped = v.add(tl.noGrad(() => v.clamp(eps, null).sub(v)));
    let loss = clamped.log().add(input.sub(target).square().div(clamped)).mul(0.5);
    if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
    return reduce(op, loss, reduction);
  });
}

/** Options of `smoothL1Loss`. */
export interface SmoothL1LossOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives L1). */
  beta?: number;
  reduction?: Reduction;
}

/**
 * Smooth L1: `0.5·d²/beta` where `|d| < beta`, `|d| - 0.5·beta` elsewhere (Huber loss
 * divided by beta).
 *
 * @example
 * ```ts
 * F.smoothL1Loss(boxes, targets, { beta: 1 / 9 });
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('smoothL1Loss', [input, target, options], smoothL1Loss);
  const op = 'smoothL1Loss';
  checkOptions(op, options, ['beta', 'reduction']);
  const beta = options.beta ?? 1;
  checkNumber(op, 'beta', beta);
  if (beta < 0) throw new Error(`${op}: beta must be non-negative, got ${beta}`);
  const reduction = reductionOf(op, options.reduction);
  checkFloats(op, { input, target });
  checkSameShape(op, input, target);
  return tl.tidy(() => {
    const d = input.sub(target);
    const absD = d.abs();
    if (beta === 0) return reduce(op, absD, reduction);
    const small = tl.noGrad(() => absD.lt(beta));
    return reduce(op, d.square().mul(0.5 / beta).where(small, absD.sub(0.5 * beta)), reduction);
  });
}

/** Options of `ctcLoss`. */
export interface CtcLossOptions {
  /** The blank label (default 0). */
  blank?: number;
  /** `'mean'` (default: each loss divided by its target length, then the batch mean), `'sum'` or `'none'`. */
  reduction?: Reduction;
  /** Replace infinite losses (impossible alignments) and their gradients by zero (default false). */
  zeroInfinity?: boolean;
}

/** Log-probability standing in for -inf in the recursion, so gradients stay finite. */
const NEG = -1e30;

function lengths(op: string, name: string, v: Tensor | readonly number[], n: number): number[] {
  let values: number[];
  if (v instanceof tl.Tensor) {
    if (v.rank > 1 || v.size !== n) throw new Error(`${op}: ${name} must hold ${n} lengths, got ${shape(v.shape)}`);
    if (!v.backend.readSync) throw new Error(`${op}: ${name} must be read on this device; pass the lengths as a number array`);
    values = Array.from(v.dataSync(), Number);
  } else {
    values = [...v];
  }
  if (values.length !== n || !values.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new Error(`${op}: ${name} must be ${n} non-negative integers, got ${JSON.stringify(values)}`);
  }
  return values;
}

/**
 * Connectionist temporal classification loss, as PyTorch's `F.ctc_loss`: `logProbs`
 * `[T, N, C]` (or `[T, C]` unbatched) are log-softmaxed outputs, `targets` int32 `[N, S]`
 * (padded) or the concatenated 1-D targets, and the lengths are int32 tensors or number
 * arrays. The forward recursion runs in log space with core ops, so the gradient is
 * autograd's.
 *
 * @example
 * ```ts
 * const logProbs = tl.randn([50, 16, 20]).logSoftmax(2);
 * F.ctcLoss(logProbs, targets, new Array(16).fill(50), targetLengths);
 * ```
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | readonly number[],
  targetLengths: Tensor | readonly number[],
  options: CtcLossOptions = {},
): Tensor {
  const op = 'ctcLoss';
  checkOptions(op, options, ['blank', 'reduction', 'zeroInfinity']);
  const { blank = 0, zeroInfinity = false } = options;
  const reduction = reductionOf(op, options.reduction);
  checkBoolean(op, 'zeroInfinity', zeroInfinity);
  checkFloat(op, 'logProbs', logProbs);
  if (logProbs.rank !== 2 && logProbs.rank !== 3) throw new Error(`${op}: logProbs must be [T, N, C] or [T, C], got ${shape(logProbs.shape)}`);
  if (!(targets instanceof tl.Tensor) || targets.dtype !== 'int32') throw new TypeError(`${op}: targets must be int32 labels`);
  const unbatched = logProbs.rank === 2;
  // The unbatched view and the padded targets are owned: freed when the loss returns or a check throws.
  return tl.owned((own) => {
    const lp = unbatched ? own(logProbs.unsqueeze(1)) : logProbs;
    const [T, N, C] = lp.shape;
    if (!Number.isInteger(blank) || blank < 0 || blank >= C) throw new Error(`${op}: blank must be in label range [0, ${C}), got ${blank}`);
    const inLen = lengths(op, 'inputLengths', inputLengths, N);
    const tgLen = lengths(op, 'targetLengths', targetLengths, N);
    for (let b = 0; b < N; b++) if (inLen[b] > T) throw new Error(`${op}: input length ${inLen[b]} of sample ${b} exceeds the ${T} time steps of logProbs`);
    const S = Math.max(0, ...tgLen);
    const device = lp.device;
    // Targets as [N, S], padded with blanks.
    const padded = own(tl.tidy(() => {
      if ((unbatched && targets.rank === 1 && tgLen[0] === targets.size) || targets.rank === 2) {
        const t2 = targets.rank === 1 ? targets.unsqueeze(0) : targets;
        if (t2.shape[0] !== N || t2.shape[1] < S) throw new Error(`${op}: targets ${shape(targets.shape)} must be [${N}, >= ${S}]`);
        const cols = tl.arange(0, S, 1, { device }).unsqueeze(0);
        const lens = tl.tensor(Int32Array.from(tgLen), { dtype: 'int32', device }).unsqueeze(1);
        return t2.narrow(1, 0, S).where(cols.lt(lens), blank);
      }
      if (targets.rank !== 1) throw new Error(`${op}: targets must be [N, S] or the concatenated 1-D targets, got ${shape(targets.shape)}`);
      const total = tgLen.reduce((a, b) => a + b, 0);
      if (targets.size < total) throw new Error(`${op}: the concatenated targets hold ${targets.size} labels, but the target lengths add up to ${total}`);
      if (!targets.backend.readSync) throw new Error(`${op}: concatenated targets must be read on this device; pass them padded as [N, S]`);
      const values = targets.dataSync();
      const out = new Int32Array(N * S).fill(blank);
      let at = 0;
      for (let b = 0; b < N; b++) for (let s = 0; s < tgLen[b]; s++) out[b * S + s] = values[at++];
      return tl.tensor(out, { dtype: 'int32', device }).reshape([N, S]);
    }));
    if (padded.backend.readSync && padded.size > 0) {
      const v = padded.dataSync();
      for (const label of v) if (label < 0 || label >= C) throw new RangeError(`${op}: target label ${label} is out of range for ${C} classes`);
    }
    const L = 2 * S + 1;
    // float16 runs the recursion in float32: NEG and the sums of path probabilities need its range.
    return tl.inFloat32([lp], ([lp]) => tl.tidy(() => {
      // Extended labels l' = (blank, t1, blank, t2, ..., blank): [N, L].
      const ext = tl.stack([tl.full([N, S], blank, { dtype: 'int32', device }), padded], 2).reshape([N, 2 * S]).pad([0, 1], blank);
      // Transitions from s-2 are allowed onto a non-blank that differs from the label two back.
      const skip = tl.noGrad(() => ext.ne(blank).logicalAnd(ext.ne(ext.pad([2, 0], blank).narrow(1, 0, L))).logicalAnd(tl.arange(0, L, 1, { device }).ge(2).unsqueeze(0)));
      // log p_t(l'_s) for every t: [T, N, L].
      const emit = lp.gather(2, ext.unsqueeze(0).expand([T, N, L]));
      const lens = tl.tensor(Int32Array.from(inLen), { dtype: 'int32', device });
      const start = tl.noGrad(() => tl.arange(0, L, 1, { device }).lt(2).unsqueeze(0).expand([N, L]));
      let alpha = emit.narrow(0, 0, 1).squeeze(0).where(start, NEG);
      const neg = tl.full([N, 1], NEG, { device });
      const neg2 = tl.full([N, 2], NEG, { device });
      for (let t = 1; t < T; t++) {
        const prev1 = tl.cat([neg, alpha.narrow(1, 0, L - 1)], 1);
        const prev2 = tl.cat([neg2, alpha.narrow(1, 0, L - 2 >= 0 ? L - 2 : 0)], 1).narrow(1, 0, L).where(skip, NEG);
        const stacked = tl.stack([alpha, prev1, prev2], 2);
        const next = stacked.logsumexp(2).add(emit.narrow(0, t, 1).squeeze(0));
        const active = tl.noGrad(() => lens.gt(t).unsqueeze(1));
        alpha = next.where(active, alpha);
      }
      // The loss: -log(α_T(L'-1) + α_T(L'-2)), at each sample's own target length.
      const lastIndex = tl.tensor(Int32Array.from(tgLen.map((l) => 2 * l)), { dtype: 'int32', device }).unsqueeze(1);
      const beforeIndex = tl.tensor(Int32Array.from(tgLen.map((l) => Math.max(2 * l - 1, 0))), { dtype: 'int32', device }).unsqueeze(1);
      const last = alpha.gather(1, lastIndex);
      const before = alpha.gather(1, beforeIndex).where(tl.noGrad(() => lastIndex.gt(0)), NEG);
      let loss = tl.stack([last, before], 2).logsumexp(2).reshape([N]).neg();
      // Zero-length inputs, or alignments that cannot exist, are infinite, as PyTorch.
      const impossible = tl.noGrad(() => loss.gt(1e29).logicalOr(lens.eq(0)));
      loss = tl.where(impossible, zeroInfinity ? 0 : Infinity, loss);
      if (reduction === 'mean') {
        const divisor = tl.tensor(Float32Array.from(tgLen.map((l) => Math.max(l, 1))), { device });
        return loss.div(divisor).mean();
      }
      if (reduction === 'sum') return loss.sum();
      return unbatched ? loss.squeeze(0) : loss;
    }));
  });
}
