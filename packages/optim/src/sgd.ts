import type { Tensor } from '@tensile/core';
import { Optimizer, type OptimizerGroup, type OptimizerParams, type ParamState } from './optimizer.js';

/** SGD's hyper-parameters (PyTorch's names in camelCase). */
export interface SGDOptions {
  /** Learning rate (required). */
  lr: number;
  /** Momentum factor; 0 (the default) turns momentum off. */
  momentum: number;
  /** Dampening for momentum; default 0. */
  dampening: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
 * decay; PyTorch 1.13's update:
 *
 * ```text
 * g = maximize ? -grad : grad;  g += weightDecay * p
 * buf = first step ? g : momentum * buf + (1 - dampening) * g
 * g = nesterov ? g + momentum * buf : buf        (when momentum != 0)
 * p -= lr * g
 * ```
 *
 * @example
 * ```ts
 * const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9, nesterov: true });
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: OptimizerParams<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, {
      lr: options?.lr,
      momentum: options?.momentum ?? 0,
      dampening: options?.dampening ?? 0,
      weightDecay: options?.weightDecay ?? 0,
      nesterov: options?.nesterov ?? false,
      maximize: options?.maximize ?? false,
    }, options, 'SGD');
  }

  protected override validateGroup(group: OptimizerGroup<SGDOptions>): void {
    this.checkNumber(group, 'lr');
    this.checkNumber(group, 'momentum');
    this.checkNumber(group, 'dampening', -Infinity);
    this.checkNumber(group, 'weightDecay');
    this.checkBoolean(group, 'nesterov');
    this.checkBoolean(group, 'maximize');
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new Error(
        `SGD: invalid nesterov true with momentum ${group.momentum} and dampening ${group.dampening}; ` +
          'Nesterov momentum requires momentum > 0 and dampening 0',
      );
    }
  }

  protected updateParam(p: Tensor, grad: Tensor, state: ParamState, group: OptimizerGroup<SGDOptions>): void {
    const { lr, momentum, dampening, nesterov } = group;
    let d = this.l2Gradient(p, grad, group);
    if (momentum !== 0) {
      const old = state.momentumBuffer as Tensor | undefined;
      const buf = old === undefined ? (d === grad ? d.clone() : d) : old.mul(momentum).add(d, 1 - dampening);
      this.setState(state, 'momentumBuffer', buf);
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.assign(p.add(d, -lr));
  }
}
