import type { Tensor } from '@tensile/core';
import { AdamBase, type AdamOptions } from './adam.js';
import type { OptimizerGroup, ParamGroup, ParamState } from './optimizer.js';

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
  constructor(params: Iterable<Tensor> | Iterable<ParamGroup<AdamOptions>>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    }, options);
  }

  override get name(): string {
    return 'AdamW';
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<AdamOptions>): void {
    const g = group.maximize ? grad.neg() : grad;
    const decayed = p.mul(1 - group.lr * group.weightDecay);
    this.adamUpdate(p, decayed, g, state, group);
  }
}
