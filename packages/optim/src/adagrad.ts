import { fullLike, type Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** Adagrad's hyper-parameters (PyTorch's names in camelCase). */
export interface AdagradOptions {
  /** Learning rate; default 1e-2. */
  lr: number;
  /** Learning-rate decay: step t uses `lr / (1 + (t - 1) * lrDecay)`; default 0. */
  lrDecay: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients; default 0. */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability; default 1e-10. */
  eps: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

const ADAGRAD_DEFAULTS: AdagradOptions = {
  lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false,
};

/**
 * Adagrad (Duchi et al.); PyTorch 1.13's update:
 *
 * ```text
 * t += 1;  g = maximize ? -grad : grad;  g += weightDecay * p
 * clr = lr / (1 + (t - 1) * lrDecay)
 * sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
 * ```
 *
 * As in PyTorch, each parameter's state (`sum` filled with `initialAccumulatorValue`,
 * `step` 0) is made when its group is added.
 *
 * @example
 * ```ts
 * const opt = new Adagrad(params, { lr: 0.1, lrDecay: 1e-4 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: OptimizerParams<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, ADAGRAD_DEFAULTS, options, 'Adagrad');
  }

  protected override initParamState(p: Tensor, state: ParamState, group: OptimizerGroup<AdagradOptions>): void {
    state.step = 0;
    this.setState(state, 'sum', fullLike(p, group.initialAccumulatorValue));
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdagradOptions>): void {
    const { lr, lrDecay, eps } = group;
    const step = this.nextStep(state);
    const g = this.l2Gradient(p, grad, group);
    const clr = lr / (1 + (step - 1) * lrDecay);
    const sum = this.stateTensor(state, 'sum', p, group.initialAccumulatorValue).add(g.mul(g));
    this.setState(state, 'sum', sum);
    const std = sum.sqrt().add(eps);
    p.assign(p.add(g.mul(-clr).div(std)));
  }
}
