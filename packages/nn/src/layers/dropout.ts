/** `Dropout`, `Dropout1d/2d/3d`, `AlphaDropout` and `FeatureAlphaDropout`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module } from '../module.js';
import { checkOptions } from '../options.js';
import { pyFloat } from './util.js';

/** What the dropout layers share: a probability `p`, applied while training only. */
export abstract class DropoutBase extends Module {
  readonly p: number;

  /** `p` as a number (default 0.5) or as `{ p }`, PyTorch's keyword. */
  constructor(p: number | { p?: number } = 0.5) {
    super();
    let prob = p;
    if (typeof p === 'object' && p !== null) {
      checkOptions(new.target.name, p, ['p']);
      prob = p.p ?? 0.5;
    }
    if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) throw new Error(`${new.target.name}: dropout probability has to be between 0 and 1, but got ${String(prob)}`);
    this.p = prob;
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

/** The class `DropoutWith` makes: built from `p` as `DropoutBase` takes it. */
type DropoutLayer = new (p?: number | { p?: number }) => DropoutBase & { forward(x: Tensor): Tensor };

/**
 * A base class for a dropout layer whose `forward` is `fn(x, p, training)`: each layer is
 * `class X extends DropoutWith(fn) {}`, a named class with its own docs.
 */
function DropoutWith(fn: (x: Tensor, p: number, training: boolean) => Tensor): DropoutLayer {
  return class extends DropoutBase {
    forward(x: Tensor): Tensor {
      return fn(x, this.p, this.training);
    }
  };
}

/**
 * While training, zeroes each element with probability `p` (from core's seeded generator)
 * and scales the rest by `1 / (1 - p)`; the identity in evaluation mode.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.1);
 * drop.forward(x);        // training: masked and scaled
 * drop.eval().forward(x); // identity
 * ```
 */
export class Dropout extends DropoutWith(F.dropout) {}

/**
 * Zeroes whole channels of `[N, C, L]` (or `[C, L]`) while training.
 *
 * @example
 * ```ts
 * new Dropout1d(0.2).forward(tl.randn([4, 8, 50]));
 * ```
 */
export class Dropout1d extends DropoutWith(F.dropout1d) {}

/**
 * Zeroes whole channels (feature maps) of `[N, C, H, W]` (or `[C, H, W]`) while training.
 *
 * @example
 * ```ts
 * new Dropout2d(0.1).forward(features);
 * ```
 */
export class Dropout2d extends DropoutWith(F.dropout2d) {}

/**
 * Zeroes whole channels of `[N, C, D, H, W]` (or `[C, D, H, W]`) while training.
 *
 * @example
 * ```ts
 * new Dropout3d(0.1).forward(volumes);
 * ```
 */
export class Dropout3d extends DropoutWith(F.dropout3d) {}

/**
 * Alpha dropout for SELU networks (keeps zero mean and unit variance) while training.
 *
 * @example
 * ```ts
 * new AlphaDropout(0.1).forward(x);
 * ```
 */
export class AlphaDropout extends DropoutWith(F.alphaDropout) {}

/**
 * Alpha dropout of whole channels of `[N, C, *]` while training.
 *
 * @example
 * ```ts
 * new FeatureAlphaDropout(0.1).forward(x);
 * ```
 */
export class FeatureAlphaDropout extends DropoutWith(F.featureAlphaDropout) {}
