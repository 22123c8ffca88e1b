/**
 * Losses as modules: `CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `L1Loss`, `BCELoss`,
 * `BCEWithLogitsLoss`, `HuberLoss`, `SmoothL1Loss`, `KLDivLoss`, the margin and embedding
 * losses, `PoissonNLLLoss`, `GaussianNLLLoss` and `CTCLoss`. Each forwards to
 * `nn.functional` with its options; class weights are buffers (named `weight` and
 * `pos_weight`, as PyTorch's state dicts).
 */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Buffer, Module } from '../module.js';
import { checkOptions } from '../options.js';
import { reductionOf } from '../functional/common.js';

const buffer = (t: Tensor | null | undefined): Buffer | null => (t ? new Buffer(t) : null);

/**
 * What the losses with class weights share (PyTorch's `_WeightedLoss`): the `weight` buffer
 * (or null) and the reduction, which each subclass checks as it always has before `super`.
 */
abstract class WeightedLoss extends Module {
  weight: Buffer | null;
  readonly reduction: F.Reduction;

  protected constructor(weight: Buffer | null, reduction: F.Reduction) {
    super();
    this.weight = weight;
    this.reduction = reduction;
  }
}

/**
 * Cross entropy of logits against int32 class indices or class probabilities; see
 * `F.crossEntropy`.
 *
 * @example
 * ```ts
 * const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * criterion.forward(logits, labels).backward();
 * ```
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(options: F.CrossEntropyOptions = {}) {
    checkOptions('CrossEntropyLoss', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
    super(buffer(options.weight), options.reduction ?? 'mean');
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * Negative log-likelihood of int32 class indices given log-probabilities; see `F.nllLoss`.
 *
 * @example
 * ```ts
 * new NLLLoss().forward(logits.logSoftmax(1), labels);
 * ```
 */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;

  constructor(options: F.NllLossOptions = {}) {
    checkOptions('NLLLoss', options, ['weight', 'ignoreIndex', 'reduction']);
    super(buffer(options.weight), options.reduction ?? 'mean');
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `reduction` given as a string (the older form) or as `{ reduction }`. */
function reductionArg(op: string, arg: F.Reduction | F.ReductionOptions | undefined): F.Reduction {
  if (typeof arg === 'object' && arg !== null) {
    checkOptions(op, arg, ['reduction']);
    return reductionOf(op, arg.reduction);
  }
  return reductionOf(op, arg);
}

/** What `MSELoss` and `L1Loss` share: their one option, the reduction, as `{ reduction }` or the string. */
abstract class ReductionLoss extends Module {
  readonly reduction: F.Reduction;

  protected constructor(op: string, options: F.Reduction | F.ReductionOptions) {
    super();
    this.reduction = reductionArg(op, options);
  }
}

/**
 * Mean squared error; see `F.mseLoss`. The reduction is `{ reduction }` (or the string).
 *
 * @example
 * ```ts
 * new MSELoss().forward(prediction, target);
 * new MSELoss({ reduction: 'sum' });
 * ```
 */
export class MSELoss extends ReductionLoss {
  constructor(options: F.Reduction | F.ReductionOptions = {}) {
    super('MSELoss', options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error; see `F.l1Loss`. The reduction is `{ reduction }` (or the string).
 *
 * @example
 * ```ts
 * new L1Loss({ reduction: 'sum' }).forward(prediction, target);
 * ```
 */
export class L1Loss extends ReductionLoss {
  constructor(options: F.Reduction | F.ReductionOptions = {}) {
    super('L1Loss', options);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Binary cross entropy of probabilities; see `F.binaryCrossEntropy`.
 *
 * @example
 * ```ts
 * new BCELoss().forward(logits.sigmoid(), labels);
 * ```
 */
export class BCELoss extends WeightedLoss {
  constructor(options: F.BinaryCrossEntropyOptions = {}) {
    checkOptions('BCELoss', options, ['weight', 'reduction']);
    super(buffer(options.weight), options.reduction ?? 'mean');
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Sigmoid and binary cross entropy in one stable step; see `F.binaryCrossEntropyWithLogits`.
 *
 * @example
 * ```ts
 * new BCEWithLogitsLoss({ posWeight: tl.tensor([2]) }).forward(logits, labels);
 * ```
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  posWeight: Buffer | null;

  constructor(options: F.BinaryCrossEntropyWithLogitsOptions = {}) {
    checkOptions('BCEWithLogitsLoss', options, ['weight', 'posWeight', 'reduction']);
    super(buffer(options.weight), options.reduction ?? 'mean');
    this.posWeight = buffer(options.posWeight);
  }

  protected override stateName(field: string): string {
    return field === 'posWeight' ? 'pos_weight' : field;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}

/**
 * Huber loss; see `F.huberLoss`.
 *
 * @example
 * ```ts
 * new HuberLoss({ delta: 0.5 }).forward(prediction, target);
 * ```
 */
export class HuberLoss extends Module {
  readonly reduction: F.Reduction;
  readonly delta: number;

  constructor(options: F.HuberLossOptions = {}) {
    super();
    checkOptions('HuberLoss', options, ['delta', 'reduction']);
    this.reduction = options.reduction ?? 'mean';
    this.delta = options.delta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Kullback-Leibler divergence; see `F.klDiv`.
 *
 * @example
 * ```ts
 * new KLDivLoss({ reduction: 'batchmean' }).forward(logProbs, targetProbs);
 * ```
 */
export class KLDivLoss extends Module {
  readonly reduction: F.Reduction | 'batchmean';
  readonly logTarget: boolean;

  constructor(options: F.KlDivOptions = {}) {
    super();
    checkOptions('KLDivLoss', options, ['reduction', 'logTarget']);
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}


/**
 * Smooth L1 loss; see `F.smoothL1Loss`.
 *
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 0.5 }).forward(prediction, target);
 * ```
 */
export class SmoothL1Loss extends Module {
  readonly reduction: F.Reduction;
  readonly beta: number;

  constructor(options: F.SmoothL1LossOptions = {}) {
    super();
    checkOptions('SmoothL1Loss', options, ['beta', 'reduction']);
    this.reduction = reductionOf('SmoothL1Loss', options.reduction);
    this.beta = options.beta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { beta: this.beta, reduction: this.reduction });
  }
}

/** What the margin losses share: a `margin` (whose default each names) and a reduction. */
export abstract class MarginLoss extends Module {
  readonly margin: number;
  readonly reduction: F.Reduction;

  protected constructor(name: string, options: F.MarginLossOptions, defaultMargin: number) {
    super();
    checkOptions(name, options, ['margin', 'reduction']);
    this.margin = options.margin ?? defaultMargin;
    this.reduction = reductionOf(name, options.reduction);
  }

  /** The options the functional form takes. */
  protected get functionalOptions(): F.MarginLossOptions {
    return { margin: this.margin, reduction: this.reduction };
  }
}

/**
 * Cosine embedding loss of two inputs and ±1 targets; see `F.cosineEmbeddingLoss`.
 *
 * @example
 * ```ts
 * new CosineEmbeddingLoss({ margin: 0.5 }).forward(a, b, labels);
 * ```
 */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(options: F.MarginLossOptions = {}) {
    super('CosineEmbeddingLoss', options, 0);
  }

  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(x1, x2, target, this.functionalOptions);
  }
}

/**
 * Margin ranking loss; see `F.marginRankingLoss`.
 *
 * @example
 * ```ts
 * new MarginRankingLoss({ margin: 1 }).forward(a, b, labels);
 * ```
 */
export class MarginRankingLoss extends MarginLoss {
  constructor(options: F.MarginLossOptions = {}) {
    super('MarginRankingLoss', options, 0);
  }

  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(x1, x2, target, this.functionalOptions);
  }
}

/**
 * Hinge embedding loss; see `F.hingeEmbeddingLoss`.
 *
 * @example
 * ```ts
 * new HingeEmbeddingLoss({ margin: 2 }).forward(distances, labels);
 * ```
 */
export class HingeEmbeddingLoss extends MarginLoss {
  constructor(options: F.MarginLossOptions = {}) {
    super('HingeEmbeddingLoss', options, 1);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, this.functionalOptions);
  }
}

/**
 * Two-class logistic loss with ±1 targets; see `F.softMarginLoss`.
 *
 * @example
 * ```ts
 * new SoftMarginLoss().forward(scores, labels);
 * ```
 */
export class SoftMarginLoss extends Module {
  readonly reduction: F.Reduction;

  constructor(options: F.ReductionOptions = {}) {
    super();
    checkOptions('SoftMarginLoss', options, ['reduction']);
    this.reduction = reductionOf('SoftMarginLoss', options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Multi-label one-versus-all logistic loss; see `F.multilabelSoftMarginLoss`.
 *
 * @example
 * ```ts
 * new MultiLabelSoftMarginLoss().forward(logits, labels);
 * ```
 */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(options: F.MultilabelSoftMarginLossOptions = {}) {
    checkOptions('MultiLabelSoftMarginLoss', options, ['weight', 'reduction']);
    super(buffer(options.weight), reductionOf('MultiLabelSoftMarginLoss', options.reduction));
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Multi-class hinge loss; see `F.multiMarginLoss`.
 *
 * @example
 * ```ts
 * new MultiMarginLoss({ p: 2, margin: 0.5 }).forward(scores, labels);
 * ```
 */
export class MultiMarginLoss extends WeightedLoss {
  readonly p: number;
  readonly margin: number;

  constructor(options: F.MultiMarginLossOptions = {}) {
    checkOptions('MultiMarginLoss', options, ['p', 'margin', 'weight', 'reduction']);
    const p = options.p ?? 1;
    if (p !== 1 && p !== 2) throw new Error(`MultiMarginLoss: only p == 1 and p == 2 supported, got ${p}`);
    super(buffer(options.weight), reductionOf('MultiMarginLoss', options.reduction));
    this.p = p;
    this.margin = options.margin ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, { p: this.p, margin: this.margin, weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Triplet margin loss; see `F.tripletMarginLoss`.
 *
 * @example
 * ```ts
 * new TripletMarginLoss({ margin: 1, p: 2 }).forward(anchor, positive, negative);
 * ```
 */
export class TripletMarginLoss extends Module {
  readonly margin: number;
  readonly norm: number;
  readonly eps: number;
  readonly swap: boolean;
  readonly reduction: F.Reduction;

  constructor(options: F.TripletMarginLossOptions = {}) {
    super();
    checkOptions('TripletMarginLoss', options, ['margin', 'p', 'eps', 'swap', 'reduction']);
    this.margin = options.margin ?? 1;
    this.norm = options.p ?? 2;
    this.eps = options.eps ?? 1e-6;
    this.swap = options.swap ?? false;
    this.reduction = reductionOf('TripletMarginLoss', options.reduction);
  }

  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, { margin: this.margin, p: this.norm, eps: this.eps, swap: this.swap, reduction: this.reduction });
  }
}

/**
 * Poisson negative log-likelihood; see `F.poissonNllLoss`.
 *
 * @example
 * ```ts
 * new PoissonNLLLoss({ logInput: true }).forward(logRates, counts);
 * ```
 */
export class PoissonNLLLoss extends Module {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  readonly reduction: F.Reduction;

  constructor(options: F.PoissonNllLossOptions = {}) {
    super();
    checkOptions('PoissonNLLLoss', options, ['logInput', 'full', 'eps', 'reduction']);
    this.logInput = options.logInput ?? true;
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-8;
    this.reduction = reductionOf('PoissonNLLLoss', options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(input, target, { logInput: this.logInput, full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/**
 * Gaussian negative log-likelihood; see `F.gaussianNllLoss`.
 *
 * @example
 * ```ts
 * new GaussianNLLLoss().forward(mean, target, variance);
 * ```
 */
export class GaussianNLLLoss extends Module {
  readonly full: boolean;
  readonly eps: number;
  readonly reduction: F.Reduction;

  constructor(options: F.GaussianNllLossOptions = {}) {
    super();
    checkOptions('GaussianNLLLoss', options, ['full', 'eps', 'reduction']);
    this.full = options.full ?? false;
    this.eps = options.eps ?? 1e-6;
    this.reduction = reductionOf('GaussianNLLLoss', options.reduction);
  }

  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

/**
 * Connectionist temporal classification loss; see `F.ctcLoss`.
 *
 * @example
 * ```ts
 * const ctc = new CTCLoss({ blank: 0, zeroInfinity: true });
 * ctc.forward(logProbs, targets, inputLengths, targetLengths);
 * ```
 */
export class CTCLoss extends Module {
  readonly blank: number;
  readonly reduction: F.Reduction;
  readonly zeroInfinity: boolean;

  constructor(options: F.CtcLossOptions = {}) {
    super();
    checkOptions('CTCLoss', options, ['blank', 'reduction', 'zeroInfinity']);
    this.blank = options.blank ?? 0;
    this.reduction = reductionOf('CTCLoss', options.reduction);
    this.zeroInfinity = options.zeroInfinity ?? false;
  }

  forward(logProbs: Tensor, targets: Tensor, inputLengths: Tensor | readonly number[], targetLengths: Tensor | readonly number[]): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity });
  }
}
