import type { Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** ASGD's hyper-parameters (PyTorch's names in camelCase). */
export interface ASGDOptions {
  /** Learning rate; default 1e-2. */
  lr: number;
  /** Decay term λ; default 1e-4. */
  lambd: number;
  /** Power α of the step-size decay; default 0.75. */
  alpha: number;
  /** The step at which averaging starts; default 1e6. */
  t0: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

/**
 * Averaged stochastic gradient descent (Polyak & Juditsky); PyTorch 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  t += 1;  g += weightDecay * p
 * p = p · (1 - λ η) - η g
 * ax = μ == 1 ? p : ax + μ (p - ax)
 * η = lr / (1 + λ lr t)^α;   μ = 1 / max(1, t - t0)
 * ```
 *
 * The averaged parameters are in `opt.state.get(p).ax`; `eta` and `mu` are numbers rounded
 * to float32, as PyTorch keeps them in 0-d float32 tensors.
 *
 * @example
 * ```ts
 * const opt = new ASGD(model.parameters(), { lr: 0.01, t0: 1000 });
 * // ... train; then evaluate with the averages:
 * for (const p of model.parameters()) p.assign(opt.state.get(p)!.ax as Tensor);
 * ```
 */
export class ASGD extends Optimizer<ASGDOptions> {
  constructor(params: OptimizerParams<ASGDOptions>, options: Partial<ASGDOptions> = {}) {
    super(params, { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false }, options, 'ASGD');
  }

  protected override validateGroup(group: OptimizerGroup<ASGDOptions>): void {
    this.checkNumber(group, 'lr');
    this.checkNumber(group, 'lambd', -Infinity);
    this.checkNumber(group, 'alpha', -Infinity);
    this.checkNumber(group, 't0', -Infinity);
    this.checkNumber(group, 'weightDecay');
    this.checkBoolean(group, 'maximize');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<ASGDOptions>): void {
    const { lr, lambd, alpha, t0 } = group;
    const eta = (state.eta as number | undefined) ?? Math.fround(lr);
    const mu = (state.mu as number | undefined) ?? 1;
    const step = this.nextStep(state);
    const g = this.l2Gradient(p, grad, group);
    const updated = p.mul(1 - lambd * eta).add(g, -eta);
    const axOld = this.stateTensor(state, 'ax', p);
    const ax = mu !== 1 ? axOld.add(updated.sub(axOld).mul(mu)) : updated.clone();
    p.assign(updated);
    this.setState(state, 'ax', ax);
    state.eta = Math.fround(lr / (1 + lambd * lr * step) ** alpha);
    state.mu = Math.fround(1 / Math.max(1, step - t0));
  }
}
