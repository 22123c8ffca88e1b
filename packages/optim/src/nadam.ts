import type { Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** NAdam's hyper-parameters (PyTorch's names in camelCase). */
export interface NAdamOptions {
  /** Learning rate; default 2e-3. */
  lr: number;
  /** Decay rates of the first and second moment averages; default [0.9, 0.999]. */
  betas: [number, number];
  /** Added to the denominator for stability; default 1e-8. */
  eps: number;
  /** Weight decay: an L2 penalty added to the gradient, or decoupled (see `decoupledWeightDecay`); default 0. */
  weightDecay: number;
  /** Momentum decay ψ of the momentum schedule μ_t = β1 (1 - 0.5 · 0.96^(t ψ)); default 4e-3. */
  momentumDecay: number;
  /** Decay the parameter directly (`p *= 1 - lr * weightDecay`, NAdamW) instead of adding L2 to the gradient; default false. */
  decoupledWeightDecay: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

const NADAM_DEFAULTS: NAdamOptions = {
  lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false, maximize: false,
};

/** Rounding to float32: PyTorch keeps `mu_product` as a 0-d float32 tensor and multiplies it in float32. */
const f32 = Math.fround;

/**
 * NAdam (Dozat): Adam with Nesterov momentum and a momentum schedule; PyTorch 1.13's update
 * (with PyTorch 2's `maximize` and `decoupledWeightDecay`):
 *
 * ```text
 * g = maximize ? -grad : grad;  t += 1
 * weightDecay: decoupled ? p *= 1 - lr * weightDecay : g += weightDecay * p
 * μ_t = β1 (1 - 0.5 · 0.96^(t ψ));  μ_{t+1} = β1 (1 - 0.5 · 0.96^((t+1) ψ));  Π_t = Π_{t-1} μ_t
 * m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²;   denom = sqrt(v / (1 - β2^t)) + eps
 * p -= lr (1 - μ_t) / (1 - Π_t) · g / denom + lr μ_{t+1} / (1 - Π_t μ_{t+1}) · m / denom
 * ```
 *
 * State per parameter: `step`, `muProduct` (a number, computed in float32 as PyTorch does),
 * `expAvg`, `expAvgSq`.
 *
 * @example
 * ```ts
 * const opt = new NAdam(model.parameters(), { lr: 2e-3, momentumDecay: 4e-3 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: OptimizerParams<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, NADAM_DEFAULTS, options, 'NAdam');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<NAdamOptions>): void {
    const { lr, eps, momentumDecay } = group;
    const [beta1, beta2] = group.betas;
    const step = this.nextStep(state);
    const { g, start } = this.decayedGradient(p, grad, group);
    const biasCorrection2 = 1 - beta2 ** step;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
    const muProduct = f32(((state.muProduct as number | undefined) ?? 1) * f32(mu));
    const muProductNext = f32(f32(muProduct * f32(mu)) * f32(muNext));
    state.muProduct = muProduct;
    const expAvg = this.updateAverage(state, 'expAvg', p, beta1, g);
    const expAvgSq = this.updateSquareAverage(state, 'expAvgSq', p, beta2, g);
    const denom = expAvgSq.div(biasCorrection2).sqrt().add(eps);
    const gradStep = g.mul((-lr * (1 - mu)) / (1 - muProduct)).div(denom);
    const momentumStep = expAvg.mul((-lr * muNext) / (1 - muProductNext)).div(denom);
    p.assign(start.add(gradStep).add(momentumStep));
  }
}
