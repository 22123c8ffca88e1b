import type { Tensor } from '@tensile/core';
import { ADAM_DEFAULTS, AdamBase, type AdamOptions } from './adam.js';
import { type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch 1.13's update: the
 * parameter is first scaled by `1 - lr * weightDecay`, then Adam's step is applied with the
 * undecayed gradient. `weightDecay` defaults to 1e-2.
 *
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends AdamBase {
  constructor(params: OptimizerParams<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { ...ADAM_DEFAULTS, weightDecay: 1e-2 }, options, 'AdamW');
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    const g = group.maximize ? grad.neg() : grad;
    const decayed = p.mul(1 - group.lr * group.weightDecay);
    this.adamUpdate(p, decayed, g, state, group);
  }
}
