import type { Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** Adadelta's hyper-parameters (PyTorch's names in camelCase). */
export interface AdadeltaOptions {
  /** Scale of each update; default 1. */
  lr: number;
  /** Decay rate of the running averages of squared gradients and squared updates; default 0.9. */
  rho: number;
  /** Added inside both square roots for stability; default 1e-6. */
  eps: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

/**
 * Adadelta (Zeiler): a per-coordinate step from the ratio of running RMS of updates and of
 * gradients; PyTorch 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  g += weightDecay * p
 * v = ρ v + (1 - ρ) g²
 * Δ = sqrt(u + eps) / sqrt(v + eps) · g
 * u = ρ u + (1 - ρ) Δ²
 * p -= lr · Δ
 * ```
 *
 * State per parameter: `step`, `squareAvg` (v), `accDelta` (u).
 *
 * @example
 * ```ts
 * const opt = new Adadelta(model.parameters(), { lr: 1.0, rho: 0.9 });
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: OptimizerParams<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }, options, 'Adadelta');
  }

  protected override validateGroup(group: OptimizerGroup<AdadeltaOptions>): void {
    this.checkNumber(group, 'lr');
    this.check(typeof group.rho === 'number' && group.rho >= 0 && group.rho <= 1, 'rho', group.rho, 'a number in [0, 1]');
    this.checkNumber(group, 'eps');
    this.checkNumber(group, 'weightDecay');
    this.checkBoolean(group, 'maximize');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdadeltaOptions>): void {
    const { lr, rho, eps } = group;
    this.nextStep(state);
    const g = this.l2Gradient(p, grad, group);
    const squareAvg = this.updateSquareAverage(state, 'squareAvg', p, rho, g);
    const std = squareAvg.add(eps).sqrt();
    // The update reads the running average of squared updates before it is advanced.
    const delta = this.stateTensor(state, 'accDelta', p).add(eps).sqrt().div(std).mul(g);
    this.updateSquareAverage(state, 'accDelta', p, rho, delta);
    p.assign(p.add(delta, -lr));
  }
}
