/**
 * `nn.functional`: stateless layers and losses, PyTorch's `torch.nn.functional`. Core's
 * functional ops (activations, convolutions, pooling) are re-exported; the rest are
 * compositions of core ops, so every backend gets them, gradients included.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkNumber, checkOptions } from './options.js';
import { channelAffine, channelShape, checkFloats, checkNormFloats, checkTensor, checkSameShape, updateRunning, reduce, reductionOf, shape, type Reduction } from './functional/common.js';

export {
  relu,
  leakyRelu,
  silu,
  sigmoid,
  tanh,
  softmax,
  logSoftmax,
  conv1d,
  conv2d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  maxPool2d,
  avgPool2d,
  maxPool3d,
  avgPool3d,
  type Conv1dOptions,
  type Conv2dOptions,
  type Conv3dOptions,
  type ConvTranspose1dOptions,
  type ConvTranspose2dOptions,
  type ConvTranspose3dOptions,
  type MaxPool2dOptions,
  type AvgPool2dOptions,
  type MaxPool3dOptions,
  type AvgPool3dOptions,
} from '@tensile/core';
export type { Reduction } from './functional/common.js';
export * from './functional/activations.js';
export * from './functional/padding.js';
export * from './functional/pooling.js';
export * from './functional/normalization.js';
export * from './functional/resample.js';
export * from './functional/attention.js';
export * from './functional/dropout.js';
export * from './functional/embedding.js';
export * from './functional/losses.js';

// ---- layers ---------------------------------------------------------------------------

/**
 * `x · weightᵀ + bias`, with `weight` `[out, in]` and `x` `[..., in]`.
 *
 * @example
 * ```ts
 * F.linear(tl.randn([5, 3]), tl.randn([2, 3]), tl.zeros([2])); // [5, 2]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (tl.autocastActive()) return tl.autocasting('linear', [x, weight, bias], linear);
  if (weight.rank !== 2) throw new Error(`linear: weight must be [out, in], got ${shape(weight.shape)}`);
  if (x.rank === 0 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${shape(x.shape)} does not end in in_features=${weight.shape[1]} of weight ${shape(weight.shape)}`);
  }
  return tl.tidy(() => {
    const y = x.matmul(weight.t());
    return bias ? y.add(bias) : y;
  });
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Use the batch's statistics (and update the running ones) rather than the running ones. */
  training?: boolean;
  /** Weight of the new batch in the running update (default 0.1). */
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation of `x` `[N, C, ...]` over every dim but 1, as PyTorch's
 * `F.batch_norm`. While training it normalises with the batch's biased variance and, when
 * running statistics are given, updates them in place (with `assign`) from the batch mean
 * and unbiased variance: `running = (1 - momentum) · running + momentum · batch`.
 *
 * @example
 * ```ts
 * F.batchNorm(x, runningMean, runningVar, { weight, bias, training: true });
 * ```
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  checkOptions('batchNorm', options, ['weight', 'bias', 'training', 'momentum', 'eps']);
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (x.rank < 2) throw new Error(`batchNorm: input must be [N, C, ...], got ${shape(x.shape)}`);
  checkNormFloats('batchNorm', x, { runningMean, runningVar, weight, bias });
  const c = x.shape[1];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new Error(`batchNorm: ${name} ${shape(t.shape)} must be [${c}] for input ${shape(x.shape)}`);
    }
  }
  const axes = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== 1);
  const count = x.size / c;
  const bshape = channelShape(x.rank, c);
  if (training && count <= 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${shape(x.shape)}`);
  if (!training && (!runningMean || !runningVar)) throw new Error('batchNorm: runningMean and runningVar are required when not training');
  return tl.inFloat32([x, weight, bias], ([x, weight, bias]) => tl.tidy(() => {
    let mean: Tensor;
    let variance: Tensor;
    if (training) {
      mean = x.mean(axes, true);
      variance = x.var(axes, true, 0);
      tl.noGrad(() => {
        if (runningMean) updateRunning(runningMean, mean.reshape([c]), momentum);
        if (runningVar) updateRunning(runningVar, variance.reshape([c]), momentum, (momentum * count) / (count - 1));
      });
    } else {
      mean = runningMean!.cast(x.dtype).reshape(bshape);
      variance = runningVar!.cast(x.dtype).reshape(bshape);
    }
    return channelAffine(x.sub(mean).mul(variance.add(eps).rsqrt()), weight, bias, bshape);
  }));
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims (biased variance), then
 * `· weight + bias` when given.
 *
 * @example
 * ```ts
 * F.layerNorm(x, [512], weight, bias);
 * ```
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (tl.autocastActive()) return tl.autocasting('layerNorm', [x, normalizedShape, weight, bias, eps], layerNorm);
  const dims = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  checkFloats('layerNorm', { input: x }, { weight, bias });
  checkNumber('layerNorm', 'eps', eps);
  const tail = x.shape.slice(x.rank - dims.length);
  if (dims.length === 0 || dims.length > x.rank || !tl.shapesEqual(tail, dims)) {
    throw new Error(`layerNorm: input ${shape(x.shape)} does not end in normalizedShape ${shape(dims)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t && !tl.shapesEqual(t.shape, dims)) throw new Error(`layerNorm: ${name} ${shape(t.shape)} must be ${shape(dims)}`);
  }
  const axes = dims.map((_, i) => x.rank - dims.length + i);
  return tl.inFloat32([x, weight, bias], ([x, weight, bias]) => tl.tidy(() => {
    const mean = x.mean(axes, true);
    const variance = x.var(axes, true, 0);
    let y = x.sub(mean).mul(variance.add(eps).rsqrt());
    if (weight) y = y.mul(weight);
    if (bias) y = y.add(bias);
    return y;
  }));
}

/**
 * One-hot encoding of int32 class indices: `[...indices.shape, numClasses]`, int32 (PyTorch
 * gives int64). With `numClasses` -1 it is `max(indices) + 1`.
 *
 * @example
 * ```ts
 * F.oneHot(tl.tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (indices.dtype !== 'int32') throw new TypeError(`oneHot: indices must be int32, got ${indices.dtype} ${shape(indices.shape)}`);
  return tl.tidy(() => {
    let n = numClasses;
    if (n === -1) n = indices.size === 0 ? 0 : Number(indices.max().itemSync()) + 1;
    if (!Number.isInteger(n) || n < 0) throw new Error(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
    const read = indices.size > 0 ? indices.min().itemSync() : 0;
    if (Number(read) < 0) throw new RangeError(`oneHot: class values must be non-negative, got ${read}`);
    if (indices.size > 0 && Number(indices.max().itemSync()) >= n) {
      throw new RangeError(`oneHot: class values must be smaller than numClasses=${n}, got ${indices.max().itemSync()}`);
    }
    return indices.unsqueeze(-1).eq(tl.arange(n, undefined, 1, { device: indices.device })).cast('int32');
  });
}

// ---- losses ---------------------------------------------------------------------------

/** Options of `nllLoss`. */
export interface NllLossOptions {
  /** Per-class weights `[C]`. */
  weight?: Tensor | null;
  /** Target value that contributes neither loss nor gradient (default -100). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the targets with the uniform distribution by this amount, in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/** Validate class-index targets against `input` `[N, C, d1, ...]` or `[C]`; return C. */
function checkClassTargets(op: string, input: Tensor, target: Tensor, ignoreIndex: number): number {
  const classDim = input.rank === 1 ? 0 : 1;
  const expected = input.shape.filter((_, i) => i !== classDim);
  const c = input.shape[classDim];
  if (target.dtype !== 'int32') {
    throw new TypeError(
      `${op}: class-index target must be int32, got ${target.dtype} ${shape(target.shape)} for input ${shape(input.shape)}` +
        (tl.isFloating(target.dtype) ? '; cast with target.int(), or pass probabilities shaped like the input' : ''),
    );
  }
  if (!tl.shapesEqual(target.shape, expected)) {
    throw new Error(
      `${op}: target ${shape(target.shape)} does not match input ${shape(input.shape)}; class indices must be ` +
        `${shape(expected)} (the input without its class dim ${classDim})`,
    );
  }
  if (target.backend.readSync && target.size > 0) {
    const values = target.dataSync();
    for (const v of values) {
      if (v !== ignoreIndex && (v < 0 || v >= c)) {
        throw new RangeError(`${op}: target ${v} is out of bounds for ${c} classes (ignoreIndex is ${ignoreIndex})`);
      }
    }
  }
  return c;
}

function checkWeight(op: string, weight: Tensor | null | undefined, c: number): void {
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c)) {
    throw new Error(`${op}: weight ${shape(weight.shape)} must hold one value per class, [${c}]`);
  }
}

/**
 * Per-element negative log-likelihood and the per-element weights, zero where ignored.
 * `logProbs` is `[N, C, d...]` or `[C]`, `target` int32 `[N, d...]` or `[]`.
 */
function nllParts(logProbs: Tensor, target: Tensor, weight: Tensor | null, ignoreIndex: number): { loss: Tensor; weights: Tensor; valid: Tensor } {
  const classDim = logProbs.rank === 1 ? 0 : 1;
  const valid = tl.noGrad(() => target.ne(ignoreIndex));
  const safe = tl.noGrad(() => target.where(valid, 0));
  const picked = logProbs.gather(classDim, safe.unsqueeze(classDim)).squeeze(classDim);
  const validF = valid.cast(logProbs.dtype);
  const weights = weight ? weight.gather(0, safe.reshape([-1])).reshape(target.shape).mul(validF) : validF;
  return { loss: picked.mul(weights).neg(), weights, valid };
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities `input`
 * (`[N, C]`, `[N, C, d1, ...]` or `[C]`), as PyTorch's `F.nll_loss`: `-weight[t] · input[t]`,
 * and `'mean'` divides by the summed weights of the targets that are not `ignoreIndex`.
 *
 * @example
 * ```ts
 * F.nllLoss(logProbs, targets); // targets: int32 [N]
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('nllLoss', [input, target, options], nllLoss);
  checkOptions('nllLoss', options, ['weight', 'ignoreIndex', 'reduction']);
  const { weight = null, ignoreIndex = -100 } = options;
  const reduction = reductionOf('nllLoss', options.reduction);
  checkFloats('nllLoss', { input }, { weight });
  checkTensor('nllLoss', 'target', target);
  if (input.rank === 0) throw new Error(`nllLoss: input must be [N, C, ...] or [C], got ${shape(input.shape)}`);
  const c = checkClassTargets('nllLoss', input, target, ignoreIndex);
  checkWeight('nllLoss', weight, c);
  return tl.tidy(() => {
    const { loss, weights } = nllParts(input, target, weight, ignoreIndex);
    if (reduction === 'mean') return loss.sum().div(weights.sum());
    return reduce('nllLoss', loss, reduction);
  });
}

/**
 * Cross entropy between logits `input` (`[N, C]`, `[N, C, d1, ...]` or unbatched `[C]`) and
 * either int32 class indices (`[N]`, `[N, d1, ...]`, `[]`) or class probabilities shaped
 * like the input, with PyTorch's semantics for `weight`, `ignoreIndex` (default -100),
 * `labelSmoothing` and `reduction` (with class indices, `'mean'` divides by the summed
 * weights of the non-ignored targets).
 *
 * @example
 * ```ts
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * loss.backward();
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('crossEntropy', [input, target, options], crossEntropy);
  checkOptions('crossEntropy', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  checkFloats('crossEntropy', { input }, { weight });
  checkTensor('crossEntropy', 'target', target);
  if (input.rank === 0) throw new Error(`crossEntropy: input must be [N, C, ...] or [C], got ${shape(input.shape)}`);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`crossEntropy: labelSmoothing must be between 0.0 and 1.0, got ${labelSmoothing}`);
  }
  if (!['mean', 'sum', 'none'].includes(reduction)) {
    throw new Error(`crossEntropy: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
  const classDim = input.rank === 1 ? 0 : 1;
  const c = input.shape[classDim];
  checkWeight('crossEntropy', weight, c);
  const weightShape = channelShape(input.rank, c, classDim);

  if (tl.isFloating(target.dtype) && tl.shapesEqual(target.shape, input.shape)) {
    // Probability targets.
    checkFloats('crossEntropy', { input, target });
    return tl.tidy(() => {
      const logProbs = input.logSoftmax(classDim);
      const t = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / c) : target;
      let terms = logProbs.mul(t);
      if (weight) terms = terms.mul(weight.reshape(weightShape));
      return reduce('crossEntropy', terms.sum(classDim).neg(), reduction);
    });
  }
  checkClassTargets('crossEntropy', input, target, ignoreIndex);
  return tl.tidy(() => {
    const logProbs = input.logSoftmax(classDim);
    const { loss, weights, valid } = nllParts(logProbs, target, weight, ignoreIndex);
    const nll = reduction === 'mean' ? loss.sum().div(weights.sum()) : reduce('crossEntropy', loss, reduction);
    if (labelSmoothing === 0) return nll;
    const weighted = weight ? logProbs.mul(weight.reshape(weightShape)) : logProbs;
    const validF = valid.cast(input.dtype);
    const smooth = weighted.sum(classDim).neg().mul(validF);
    let smoothReduced: Tensor;
    if (reduction === 'mean') smoothReduced = smooth.sum().div(weight ? weights.sum() : validF.sum());
    else smoothReduced = reduce('crossEntropy', smooth, reduction);
    return nll.mul(1 - labelSmoothing).add(smoothReduced.mul(labelSmoothing / c));
  });
}

/** Options of the elementwise regression losses. */
export interface ReductionOptions {
  reduction?: Reduction;
}

/**
 * Mean squared error `(input - target)²`. Shapes must match.
 *
 * @example
 * ```ts
 * F.mseLoss(prediction, target);
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('mseLoss', [input, target, options], mseLoss);
  return elementwiseLoss('mseLoss', input, target, options, (difference) => difference.square());
}

/**
 * Mean absolute error `|input - target|`. Shapes must match.
 *
 * @example
 * ```ts
 * F.l1Loss(prediction, target, { reduction: 'sum' });
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('l1Loss', [input, target, options], l1Loss);
  return elementwiseLoss('l1Loss', input, target, options, (difference) => difference.abs());
}

/** A loss of `input - target` (same shapes, floating point), reduced as `options.reduction` says. */
function elementwiseLoss(op: string, input: Tensor, target: Tensor, options: ReductionOptions, loss: (difference: Tensor) => Tensor): Tensor {
  checkOptions(op, options, ['reduction']);
  checkFloats(op, { input, target });
  checkSameShape(op, input, target);
  const reduction = reductionOf(op, options.reduction);
  return tl.tidy(() => reduce(op, loss(input.sub(target)), reduction));
}

/** Options of the binary cross-entropy losses. */
export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcasts against the input. */
  weight?: Tensor | null;
}

/**
 * Binary cross entropy between probabilities `input` in [0, 1] and `target` of the same
 * shape: `-(t·log(x) + (1 - t)·log(1 - x))`, each log clamped at -100 as PyTorch.
 *
 * @example
 * ```ts
 * F.binaryCrossEntropy(probs.sigmoid(), labels);
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('binaryCrossEntropy', [input, target, options], binaryCrossEntropy);
  checkOptions('binaryCrossEntropy', options, ['weight', 'reduction']);
  const reduction = reductionOf('binaryCrossEntropy', options.reduction);
  checkFloats('binaryCrossEntropy', { input, target }, { weight: options.weight });
  checkSameShape('binaryCrossEntropy', input, target);
  // PyTorch raises here (a device-side assert on CUDA); where values read synchronously, so do we.
  if (input.backend.readSync && input.size > 0) {
    const outside = tl.noGrad(() => tl.tidy(() => input.lt(0).logicalOr(input.gt(1)).any().itemSync()));
    if (outside) throw new RangeError('binaryCrossEntropy: all elements of input should be between 0 and 1 (these are probabilities; for logits use binaryCrossEntropyWithLogits)');
  }
  return tl.tidy(() => {
    const logX = input.log().clamp(-100, null);
    const log1mX = input.neg().add(1).log().clamp(-100, null);
    let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
    if (options.weight) loss = loss.mul(options.weight);
    return reduce('binaryCrossEntropy', loss, reduction);
  });
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of positive examples, per class (broadcast against the last dim). */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid and binary cross entropy in one stable step, on logits `input`:
 * `(1 - t)·x + (1 + (posWeight - 1)·t)·softplus(-x)`, as PyTorch.
 *
 * @example
 * ```ts
 * F.binaryCrossEntropyWithLogits(logits, labels, { posWeight: tl.tensor([3]) });
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('binaryCrossEntropyWithLogits', [input, target, options], binaryCrossEntropyWithLogits);
  checkOptions('binaryCrossEntropyWithLogits', options, ['weight', 'posWeight', 'reduction']);
  const reduction = reductionOf('binaryCrossEntropyWithLogits', options.reduction);
  checkFloats('binaryCrossEntropyWithLogits', { input, target }, { weight: options.weight, posWeight: options.posWeight });
  checkSameShape('binaryCrossEntropyWithLogits', input, target);
  return tl.tidy(() => {
    const softplusNeg = input.neg().softplus();
    const logWeight = options.posWeight ? options.posWeight.sub(1).mul(target).add(1) : null;
    let loss = target.neg().add(1).mul(input).add(logWeight ? logWeight.mul(softplusNeg) : softplusNeg);
    if (options.weight) loss = loss.mul(options.weight);
    return reduce('binaryCrossEntropyWithLogits', loss, reduction);
  });
}

/** Options of `huberLoss`. */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/**
 * Huber loss: `0.5·d²` where `|d| < delta`, `delta·(|d| - 0.5·delta)` elsewhere, with
 * `d = input - target`.
 *
 * @example
 * ```ts
 * F.huberLoss(prediction, target, { delta: 0.5 });
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('huberLoss', [input, target, options], huberLoss);
  if (options && typeof options === 'object' && 'beta' in options) {
    throw new Error("huberLoss: unknown option 'beta'; huberLoss takes delta, while beta belongs to smoothL1Loss (huberLoss = beta · smoothL1Loss with beta = delta)");
  }
  checkOptions('huberLoss', options, ['delta', 'reduction']);
  const delta = options.delta ?? 1;
  checkNumber('huberLoss', 'delta', delta);
  const reduction = reductionOf('huberLoss', options.reduction);
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be positive, got ${delta}`);
  checkFloats('huberLoss', { input, target });
  checkSameShape('huberLoss', input, target);
  return tl.tidy(() => {
    const d = input.sub(target);
    const absD = d.abs();
    const quadratic = d.square().mul(0.5);
    const linear = absD.sub(0.5 * delta).mul(delta);
    const small = tl.noGrad(() => absD.lt(delta));
    return reduce('huberLoss', quadratic.where(small, linear), reduction);
  });
}

/** Options of `klDiv`. */
export interface KlDivOptions {
  /** `'mean'` (PyTorch's default: over every element), `'batchmean'` (sum / N, the true KL divergence), `'sum'`, `'none'`. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence with log-probabilities `input` and a target of the same shape:
 * `t·(log t - input)` (zero where `t = 0`), or `exp(t)·(t - input)` with `logTarget`.
 *
 * @example
 * ```ts
 * F.klDiv(studentLogits.logSoftmax(-1), teacherProbs, { reduction: 'batchmean' });
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  if (tl.autocastActive()) return tl.autocasting('klDiv', [input, target, options], klDiv);
  checkOptions('klDiv', options, ['reduction', 'logTarget']);
  const reduction = options.reduction ?? 'mean';
  if (!['mean', 'sum', 'none', 'batchmean'].includes(reduction)) throw new Error(`klDiv: reduction must be 'mean', 'batchmean', 'sum' or 'none', got '${String(reduction)}'`);
  checkFloats('klDiv', { input, target });
  checkSameShape('klDiv', input, target);
  return tl.tidy(() => {
    let loss: Tensor;
    if (options.logTarget) {
      loss = target.exp().mul(target.sub(input));
    } else {
      const positive = tl.noGrad(() => target.gt(0));
      const safe = target.where(positive, 1);
      loss = target.mul(safe.log()).sub(target.mul(input));
    }
    if (reduction === 'batchmean') return input.rank === 0 ? loss.sum() : loss.sum().div(input.shape[0]);
    return reduce('klDiv', loss, reduction);
  });
}
