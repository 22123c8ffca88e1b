/** Activation layers: `ReLU`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`, `Softmax`. */
import type { Tensor } from '@tensile/core';
import { Module } from '../module.js';
import { pyFloat } from './util.js';

/**
 * `max(x, 0)`.
 *
 * @example
 * ```ts
 * new ReLU().forward(tl.tensor([-1, 2])); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/**
 * `x` where positive, `negativeSlope · x` elsewhere.
 *
 * @example
 * ```ts
 * new LeakyReLU(0.2).forward(x);
 * ```
 */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/**
 * Gaussian error linear unit, exact (`'none'`, the default) or its tanh approximation.
 *
 * @example
 * ```ts
 * new GELU('tanh').forward(x);
 * ```
 */
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * `1 / (1 + e^-x)`.
 *
 * @example
 * ```ts
 * new Sigmoid().forward(logits);
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts
 * new Tanh().forward(x);
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * Softmax along `dim`.
 *
 * @example
 * ```ts
 * new Softmax(-1).forward(logits); // rows sum to 1
 * ```
 */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
