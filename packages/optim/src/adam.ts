import type { Tensor } from '@tensile/core';
import { maximum } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** Adam's hyper-parameters (PyTorch's names in camelCase). */
export interface AdamOptions {
  /** Learning rate; default 1e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages; default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator for stability; default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient (Adam) or decoupled decay (AdamW). */
  weightDecay: number;
  /** Use the AMSGrad variant (the running maximum of the second moment); default false. */
  amsgrad: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

/** Adam's defaults (AdamW's differ only in `weightDecay`). */
export const ADAM_DEFAULTS: AdamOptions = {
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false,
};

/** Shared by Adam and AdamW: the moment update. */
export abstract class AdamBase extends Optimizer<AdamOptions> {
  /** The moment updates and the parameter step shared by Adam and AdamW; `g` already includes L2 decay. */
  protected adamUpdate(p: Tensor, start: Tensor, g: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    const { lr, eps, amsgrad } = group;
    const [beta1, beta2] = group.betas;
    const step = this.nextStep(state);
    const expAvg = this.updateAverage(state, 'expAvg', p, beta1, g);
    const expAvgSq = this.updateSquareAverage(state, 'expAvgSq', p, beta2, g);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    let second = expAvgSq;
    if (amsgrad) {
      second = maximum(this.stateTensor(state, 'maxExpAvgSq', p), expAvgSq);
      this.setState(state, 'maxExpAvgSq', second);
    }
    const denom = second.sqrt().div(biasCorrection2Sqrt).add(eps);
    p.assign(start.add(expAvg.mul(-stepSize).div(denom)));
  }
}

/**
 * Adam (Kingma & Ba), with optional L2 weight decay, AMSGrad and maximise; PyTorch 1.13's
 * update:
 *
 * ```text
 * g = maximize ? -grad : grad;  g += weightDecay * p;  t += 1
 * m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
 * vMax = max(vMax, v)                                       (amsgrad)
 * p -= lr / (1 - beta1^t) * m / (sqrt(v or vMax) / sqrt(1 - beta2^t) + eps)
 * ```
 *
 * @example
 * ```ts
 * const opt = new Adam(params, { lr: 1e-3, betas: [0.9, 0.999] });
 * ```
 */
export class Adam extends AdamBase {
  constructor(params: OptimizerParams<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, ADAM_DEFAULTS, options, 'Adam');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    this.adamUpdate(p, p, this.l2Gradient(p, grad, group), state, group);
  }
}
