/**
 * Losses as modules: `CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `L1Loss`, `BCELoss`,
 * `BCEWithLogitsLoss`, `HuberLoss`, `KLDivLoss`. Each forwards to `nn.functional`; class
 * weights are buffers (named `weight` and `pos_weight`, as PyTorch's state dicts).
 */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Buffer, Module } from '../module.js';
import { pyFloat } from './util.js';

const buffer = (t: Tensor | null | undefined): Buffer | null => (t ? new Buffer(t) : null);

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
export class CrossEntropyLoss extends Module {
  weight: Buffer | null;
  readonly ignoreIndex: number;
  readonly reduction: F.Reduction;
  readonly labelSmoothing: number;

  constructor(options: F.CrossEntropyOptions = {}) {
    super();
    this.weight = buffer(options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.reduction = options.reduction ?? 'mean';
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
export class NLLLoss extends Module {
  weight: Buffer | null;
  readonly ignoreIndex: number;
  readonly reduction: F.Reduction;

  constructor(options: F.NllLossOptions = {}) {
    super();
    this.weight = buffer(options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.reduction = options.reduction ?? 'mean';
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/**
 * Mean squared error; see `F.mseLoss`.
 *
 * @example
 * ```ts
 * new MSELoss().forward(prediction, target);
 * ```
 */
export class MSELoss extends Module {
  constructor(readonly reduction: F.Reduction = 'mean') {
    super();
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error; see `F.l1Loss`.
 *
 * @example
 * ```ts
 * new L1Loss('sum').forward(prediction, target);
 * ```
 */
export class L1Loss extends Module {
  constructor(readonly reduction: F.Reduction = 'mean') {
    super();
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
export class BCELoss extends Module {
  weight: Buffer | null;
  readonly reduction: F.Reduction;

  constructor(options: F.BinaryCrossEntropyOptions = {}) {
    super();
    this.weight = buffer(options.weight);
    this.reduction = options.reduction ?? 'mean';
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
export class BCEWithLogitsLoss extends Module {
  weight: Buffer | null;
  posWeight: Buffer | null;
  readonly reduction: F.Reduction;

  constructor(options: F.BinaryCrossEntropyWithLogitsOptions = {}) {
    super();
    this.weight = buffer(options.weight);
    this.posWeight = buffer(options.posWeight);
    this.reduction = options.reduction ?? 'mean';
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
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

