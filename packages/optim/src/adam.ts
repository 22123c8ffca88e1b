import type { Tensor } from '@tensile/core';
import { maximum } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type ParamGroup, type ParamState } from './optimizer.js';

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

/** Shared by Adam and AdamW: validation and the moment update. */
export abstract class AdamBase extends Optimizer<AdamOptions> {
  protected validateGroup(group: OptimizerGroup<AdamOptions>): void {
    this.checkNumber(group, 'lr');
    this.checkNumber(group, 'eps');
    this.checkBetas(group);
    this.checkNumber(group, 'weightDecay');
    this.checkBoolean(group, 'amsgrad');
    this.checkBoolean(group, 'maximize');
  }

  /** The moment updates and the parameter step shared by Adam and AdamW; `g` already includes L2 decay. */
  protected adamUpdate(p: Tensor, start: Tensor, g: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    const { lr, eps, amsgrad } = group;
    const [beta1, beta2] = group.betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const expAvg = this.stateTensor(state, 'expAvg', p).mul(beta1).add(g, 1 - beta1);
    const expAvgSq = this.stateTensor(state, 'expAvgSq', p).mul(beta2).add(g.mul(1 - beta2).mul(g));
    this.setState(state, 'expAvg', expAvg);
    this.setState(state, 'expAvgSq', expAvgSq);
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
  constructor(params: Iterable<Tensor> | Iterable<ParamGroup<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    }, options);
  }

  override get name(): string {
    return 'Adam';
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    let g = group.maximize ? grad.neg() : grad;
    if (group.weightDecay !== 0) g = g.add(p, group.weightDecay);
    this.adamUpdate(p, p, g, state, group);
  }
}
