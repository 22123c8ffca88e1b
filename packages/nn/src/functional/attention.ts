/** `scaledDotProductAttention`, PyTorch 2's `F.scaled_dot_product_attention`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkNumber, checkOptions } from '../options.js';
import { shape } from './common.js';
import { dropout } from './dropout.js';

/** Options of `scaledDotProductAttention`. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcasts against `[..., L, S]`. A bool mask lets a query attend where it is `true`
   * (PyTorch 2's rule; note that `MultiheadAttention`'s masks mean the opposite); a float
   * mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0); applied whenever positive, as PyTorch (pass 0 in evaluation). */
  dropoutP?: number;
  /** Let query `i` attend only to keys `j <= i` (the top-left-aligned lower triangle); not together with `attnMask`. */
  isCausal?: boolean;
  /** Multiply the scores by this (default `1 / sqrt(E)`, E the query's last dim). */
  scale?: number | null;
}

/**
 * Attention `softmax(Q Kᵀ · scale + mask) V` over the last two dims of `query`
 * `[..., L, E]`, `key` `[..., S, E]` and `value` `[..., S, Ev]` (leading dims broadcast),
 * giving `[..., L, Ev]`. Core ops only (matmul, softmax), so every backend runs it and
 * gradients reach all three inputs; a fully masked row gives NaN, as in PyTorch.
 *
 * @example
 * ```ts
 * const q = tl.randn([2, 8, 128, 64]), k = tl.randn([2, 8, 128, 64]), v = tl.randn([2, 8, 128, 64]);
 * F.scaledDotProductAttention(q, k, v, { isCausal: true }); // [2, 8, 128, 64]
 * ```
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  checkOptions(op, options, ['attnMask', 'dropoutP', 'isCausal', 'scale']);
  const { attnMask = null, dropoutP = 0, isCausal = false, scale = null } = options;
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (!(t instanceof tl.Tensor)) throw new TypeError(`${op}: ${name} must be a tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.rank < 2) throw new Error(`${op}: ${name} must have at least 2 dims [..., seq, features], got ${shape(t.shape)}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float16') throw new TypeError(`${op}: ${name} must be a float tensor, got ${t.dtype}`);
  }
  checkNumber(op, 'dropoutP', dropoutP);
  checkBoolean(op, 'isCausal', isCausal);
  if (scale !== null) checkNumber(op, 'scale', scale);
  const e = query.shape[query.rank - 1];
  const L = query.shape[query.rank - 2];
  const S = key.shape[key.rank - 2];
  if (key.shape[key.rank - 1] !== e) throw new Error(`${op}: query ${shape(query.shape)} and key ${shape(key.shape)} must end in the same feature size`);
  if (value.shape[value.rank - 2] !== S) throw new Error(`${op}: key ${shape(key.shape)} and value ${shape(value.shape)} must have the same sequence length`);
  if (isCausal && attnMask) throw new Error(`${op}: pass attnMask or isCausal, not both`);
  if (attnMask && attnMask.dtype !== 'bool' && attnMask.dtype !== query.dtype) {
    throw new TypeError(`${op}: attnMask must be bool or ${query.dtype} (the query's dtype), got ${attnMask.dtype}`);
  }
  const factor = scale ?? 1 / Math.sqrt(e);
  return tl.tidy(() => {
    // Scaling the queries first costs L·E multiplications rather than L·S.
    let scores = query.mul(factor).matmul(key.transpose(-2, -1));
    if (isCausal) {
      const allowed = tl.arange(0, L, 1, { device: query.device }).unsqueeze(1).ge(tl.arange(0, S, 1, { device: query.device }).unsqueeze(0));
      scores = scores.where(allowed, -Infinity);
    } else if (attnMask) {
      scores = attnMask.dtype === 'bool' ? scores.where(attnMask, -Infinity) : scores.add(attnMask);
    }
    let weights = scores.softmax(-1);
    if (dropoutP > 0) weights = dropout(weights, dropoutP, true);
    return weights.matmul(value);
  });
}
