import { div, type Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** RAdam's hyper-parameters (PyTorch's names in camelCase). */
export interface RAdamOptions {
  /** Learning rate; default 1e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages; default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator for stability; default 1e-8. */
  eps: number;
  /** Weight decay: an L2 penalty added to the gradient, or decoupled (see `decoupledWeightDecay`); default 0. */
  weightDecay: number;
  /** Decay the parameter directly (`p *= 1 - lr * weightDecay`, RAdamW) instead of adding L2 to the gradient; default false. */
  decoupledWeightDecay: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

const RADAM_DEFAULTS: RAdamOptions = {
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false,
};

/**
 * RAdam (Liu et al.): Adam with the variance of the adaptive learning rate rectified, so that
 * the first steps need no warm-up; PyTorch 1.13's update (with PyTorch 2's `maximize` and
 * `decoupledWeightDecay`):
 *
 * ```text
 * g = maximize ? -grad : grad;  t += 1
 * weightDecay: decoupled ? p *= 1 - lr * weightDecay : g += weightDecay * p
 * m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²;   m̂ = m / (1 - β1^t)
 * ρ∞ = 2 / (1 - β2) - 1;   ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)
 * ρ_t > 5: r = sqrt((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t));  p -= lr · m̂ · sqrt(1 - β2^t) / (sqrt(v) + eps) · r
 * else:    p -= lr · m̂
 * ```
 *
 * @example
 * ```ts
 * const opt = new RAdam(model.parameters(), { lr: 1e-3, weightDecay: 1e-2, decoupledWeightDecay: true });
 * ```
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: OptimizerParams<RAdamOptions>, options: Partial<RAdamOptions> = {}) {
    super(params, RADAM_DEFAULTS, options, 'RAdam');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<RAdamOptions>): void {
    const { lr, eps } = group;
    const [beta1, beta2] = group.betas;
    const step = this.nextStep(state);
    const { g, start } = this.decayedGradient(p, grad, group);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const expAvg = this.updateAverage(state, 'expAvg', p, beta1, g);
    const expAvgSq = this.updateSquareAverage(state, 'expAvgSq', p, beta2, g);
    const corrected = expAvg.div(biasCorrection1);
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptiveLr = div(Math.sqrt(biasCorrection2), expAvgSq.sqrt().add(eps));
      p.assign(start.sub(corrected.mul(lr).mul(adaptiveLr).mul(rect)));
    } else {
      p.assign(start.sub(corrected.mul(lr)));
    }
  }
}
