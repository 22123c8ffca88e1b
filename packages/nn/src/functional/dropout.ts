/** Dropout variants: elementwise, per channel (1-D, 2-D, 3-D) and alpha dropout. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkNumber } from '../options.js';
import { alias, shape } from './common.js';

function checkP(op: string, p: number, training: boolean): void {
  checkNumber(op, 'p', p);
  checkBoolean(op, 'training', training);
  if (!(p >= 0 && p <= 1)) throw new Error(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/** A 0/1 keep mask of `maskShape` from core's seeded generator (no gradient). */
function keepMask(x: Tensor, maskShape: readonly number[], p: number): Tensor {
  return tl.noGrad(() => tl.tidy(() => tl.rand(maskShape, { device: x.device }).ge(p).cast(x.dtype)));
}

/**
 * Zero each element with probability `p` and scale the rest by `1 / (1 - p)` while
 * training; the identity otherwise. Draws from core's seeded generator.
 *
 * @example
 * ```ts
 * F.dropout(x, 0.1, model.training);
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkP('dropout', p, training);
  if (!training || p === 0) return alias(x);
  return tl.tidy(() => {
    if (p === 1) return x.mul(0);
    return x.mul(keepMask(x, x.shape, p).mul(1 / (1 - p)));
  });
}

/** Zero whole channels: the mask is `[N, C, 1, ...]` (or `[C, 1, ...]` unbatched). */
function channelDropout(op: string, x: Tensor, p: number, training: boolean, spatial: number): Tensor {
  checkP(op, p, training);
  if (!(x instanceof tl.Tensor) || (x.rank !== spatial + 1 && x.rank !== spatial + 2)) {
    throw new Error(`${op}: expected ${spatial + 1}-D (unbatched) or ${spatial + 2}-D (batched) input, got ${x instanceof tl.Tensor ? shape(x.shape) : typeof x}`);
  }
  if (!training || p === 0) return alias(x);
  return tl.tidy(() => {
    if (p === 1) return x.mul(0);
    const lead = x.rank - spatial;
    const maskShape = x.shape.map((d, i) => (i < lead ? d : 1));
    return x.mul(keepMask(x, maskShape, p).mul(1 / (1 - p)));
  });
}

/**
 * Zero whole channels of `[N, C, L]` (or `[C, L]`) with probability `p` while training,
 * scaling the rest by `1 / (1 - p)`.
 *
 * @example
 * ```ts
 * F.dropout1d(x, 0.2, model.training);
 * ```
 */
export function dropout1d(x: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout1d', x, p, training, 1);
}

/**
 * Zero whole channels of `[N, C, H, W]` (or `[C, H, W]`) with probability `p` while
 * training, scaling the rest by `1 / (1 - p)`.
 *
 * @example
 * ```ts
 * F.dropout2d(features, 0.1, model.training);
 * ```
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout2d', x, p, training, 2);
}

/**
 * Zero whole channels of `[N, C, D, H, W]` (or `[C, D, H, W]`) with probability `p`.
 *
 * @example
 * ```ts
 * F.dropout3d(volumes, 0.1, model.training);
 * ```
 */
export function dropout3d(x: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout('dropout3d', x, p, training, 3);
}

/** SELU's negative saturation value, -scale·alpha. */
const ALPHA_PRIME = 1.7580993408473766;

/** PyTorch's alpha dropout: dropped values set to -α', then an affine map keeping mean 0 and variance 1. */
function alphaLike(op: string, x: Tensor, p: number, training: boolean, maskShape: readonly number[]): Tensor {
  if (!training || p === 0) return alias(x);
  return tl.tidy(() => {
    if (p === 1) return x.mul(0);
    const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
    const keep = keepMask(x, maskShape, p);
    const b = tl.noGrad(() => keep.sub(1).mul(ALPHA_PRIME * a).add(ALPHA_PRIME * a * p));
    return x.mul(keep.mul(a)).add(b);
  });
}

/**
 * Alpha dropout for self-normalising (SELU) networks: while training, each element is set
 * to SELU's saturation value with probability `p`, then scaled and shifted so mean and
 * variance are kept. The identity otherwise (PyTorch's default `training` is false here).
 *
 * @example
 * ```ts
 * F.alphaDropout(x, 0.1, model.training);
 * ```
 */
export function alphaDropout(x: Tensor, p = 0.5, training = false): Tensor {
  checkP('alphaDropout', p, training);
  return alphaLike('alphaDropout', x, p, training, x.shape);
}

/**
 * Alpha dropout of whole channels of `[N, C, *]`.
 *
 * @example
 * ```ts
 * F.featureAlphaDropout(x, 0.1, model.training);
 * ```
 */
export function featureAlphaDropout(x: Tensor, p = 0.5, training = false): Tensor {
  checkP('featureAlphaDropout', p, training);
  if (x.rank < 2) throw new Error(`featureAlphaDropout: expected [N, C, *] input, got ${shape(x.shape)}`);
  return alphaLike('featureAlphaDropout', x, p, training, x.shape.map((d, i) => (i < 2 ? d : 1)));
}
