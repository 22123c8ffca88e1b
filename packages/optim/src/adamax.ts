import { maximum, type Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** Adamax's hyper-parameters (PyTorch's names in camelCase). */
export interface AdamaxOptions {
  /** Learning rate; default 2e-3. */
  lr: number;
  /** Decay rates of the first moment and of the infinity norm; default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the infinity norm for stability; default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

const ADAMAX_DEFAULTS: AdamaxOptions = { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false };

/**
 * Adamax (Kingma & Ba): Adam with the infinity norm in place of the second moment; PyTorch
 * 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  g += weightDecay * p;  t += 1
 * m = β1 m + (1 - β1) g;   u = max(β2 u, |g| + eps)
 * p -= lr / (1 - β1^t) · m / u
 * ```
 *
 * @example
 * ```ts
 * const opt = new Adamax(model.parameters(), { lr: 2e-3, betas: [0.9, 0.999] });
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: OptimizerParams<AdamaxOptions>, options: Partial<AdamaxOptions> = {}) {
    super(params, ADAMAX_DEFAULTS, options, 'Adamax');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdamaxOptions>): void {
    const { lr, eps } = group;
    const [beta1, beta2] = group.betas;
    const step = this.nextStep(state);
    const g = this.l2Gradient(p, grad, group);
    const expAvg = this.updateAverage(state, 'expAvg', p, beta1, g);
    const expInf = this.setState(state, 'expInf', maximum(this.stateTensor(state, 'expInf', p).mul(beta2), g.abs().add(eps)));
    const clr = lr / (1 - beta1 ** step);
    p.assign(p.add(expAvg.mul(-clr).div(expInf)));
  }
}
