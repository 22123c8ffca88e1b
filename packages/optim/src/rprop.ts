import { Tensor, fullLike, onesLike, where } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** Rprop's hyper-parameters (PyTorch's names in camelCase). */
export interface RpropOptions {
  /** Initial step size of every coordinate; default 1e-2. */
  lr: number;
  /** `[etaminus, etaplus]`: the factors a step size shrinks by when the gradient changes sign, and grows by otherwise; default [0.5, 1.2]. */
  etas: [number, number];
  /** [min, max] step sizes; default [1e-6, 50]. */
  stepSizes: [number, number];
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

/**
 * Resilient backpropagation (Riedmiller & Braun): every coordinate moves by its own step
 * size, against the sign of its gradient; PyTorch 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  s = sign(g · prev)
 * size = clamp(size · (s > 0 ? etaplus : s < 0 ? etaminus : 1), min, max)
 * g = s < 0 ? 0 : g
 * p -= sign(g) · size;   prev = g
 * ```
 *
 * State per parameter: `step`, `prev`, `stepSize` (filled with the group's `lr` at the first step).
 *
 * @example
 * ```ts
 * const opt = new Rprop(model.parameters(), { lr: 0.01, etas: [0.5, 1.2], stepSizes: [1e-6, 50] });
 * ```
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: OptimizerParams<RpropOptions>, options: Partial<RpropOptions> = {}) {
    super(params, { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false }, options, 'Rprop');
  }

  protected override validateGroup(group: OptimizerGroup<RpropOptions>): void {
    this.checkNumber(group, 'lr');
    const etas = group.etas as unknown;
    this.check(Array.isArray(etas) && etas.length === 2, 'etas', etas, 'a pair [etaminus, etaplus]');
    const [minus, plus] = group.etas;
    this.check(
      typeof minus === 'number' && typeof plus === 'number' && minus > 0 && minus < 1 && plus > 1,
      'etas',
      group.etas,
      'a pair [etaminus, etaplus] with 0 < etaminus < 1 < etaplus',
    );
    const sizes = group.stepSizes as unknown;
    this.check(
      Array.isArray(sizes) && sizes.length === 2 && sizes.every((v) => typeof v === 'number' && !Number.isNaN(v)) && sizes[0] <= sizes[1],
      'stepSizes',
      sizes,
      'a pair [min, max] with min <= max',
    );
    this.checkBoolean(group, 'maximize');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<RpropOptions>): void {
    const { lr, maximize } = group;
    const [etaminus, etaplus] = group.etas;
    const [stepSizeMin, stepSizeMax] = group.stepSizes;
    this.nextStep(state);
    const g = maximize ? grad.neg() : grad;
    const prev = this.stateTensor(state, 'prev', p);
    const oldSize = state.stepSize instanceof Tensor ? state.stepSize : fullLike(p, lr);
    const sign = g.mul(prev).sign();
    const factor = where(sign.gt(0), etaplus, where(sign.lt(0), etaminus, onesLike(sign)));
    const stepSize = oldSize.mul(factor).clamp(stepSizeMin, stepSizeMax);
    const kept = where(sign.lt(0), 0, g);
    p.assign(p.sub(kept.sign().mul(stepSize)));
    this.setState(state, 'stepSize', stepSize);
    this.setState(state, 'prev', kept);
  }
}
