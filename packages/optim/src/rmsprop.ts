import type { Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** RMSprop's hyper-parameters (PyTorch's names in camelCase). */
export interface RMSpropOptions {
  /** Learning rate; default 1e-2. */
  lr: number;
  /** Smoothing constant of the squared-gradient average; default 0.99. */
  alpha: number;
  /** Added to the denominator for stability; default 1e-8. */
  eps: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Momentum factor; default 0. */
  momentum: number;
  /** Normalise by an estimate of the gradient's variance; default false. */
  centered: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

const RMSPROP_DEFAULTS: RMSpropOptions = {
  lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false,
};

/**
 * RMSprop (Hinton), optionally centred and with momentum; PyTorch 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  g += weightDecay * p
 * v = alpha * v + (1 - alpha) * g * g
 * centered: gAvg = alpha * gAvg + (1 - alpha) * g;  avg = sqrt(v - gAvg * gAvg) + eps
 * otherwise: avg = sqrt(v) + eps
 * momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
 * otherwise: p -= lr * g / avg
 * ```
 *
 * @example
 * ```ts
 * const opt = new RMSprop(params, { lr: 0.01, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: OptimizerParams<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, RMSPROP_DEFAULTS, options, 'RMSprop');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<RMSpropOptions>): void {
    const { lr, alpha, eps, momentum, centered } = group;
    this.nextStep(state);
    const g = this.l2Gradient(p, grad, group);
    const squareAvg = this.updateSquareAverage(state, 'squareAvg', p, alpha, g);
    let avg: Tensor;
    if (centered) {
      const gradAvg = this.updateAverage(state, 'gradAvg', p, alpha, g);
      avg = squareAvg.add(gradAvg.neg().mul(gradAvg)).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(eps);
    if (momentum > 0) {
      const buf = this.stateTensor(state, 'momentumBuffer', p).mul(momentum).add(g.div(avg));
      this.setState(state, 'momentumBuffer', buf);
      p.assign(p.add(buf, -lr));
    } else {
      p.assign(p.add(g.mul(-lr).div(avg)));
    }
  }
}
