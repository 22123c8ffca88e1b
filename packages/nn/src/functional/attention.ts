/** `scaledDotProductAttention`, PyTorch 2's `F.scaled_dot_product_attention`. */
import * as tl from '@tensile/core';
import type { ScaledDotProductAttentionOptions, Tensor } from '@tensile/core';
import { checkOptions } from '../options.js';

export type { ScaledDotProductAttentionOptions } from '@tensile/core';

/**
 * Attention `softmax(Q Kᵀ · scale + mask) V` over the last two dims of `query`
 * `[..., L, E]`, `key` `[..., S, E]` and `value` `[..., S, Ev]`, giving `[..., L, Ev]`: core's
 * `tl.scaledDotProductAttention`, which runs the backend's fused kernel where it has one
 * (cpu, wasm and webgpu, for float32 without dropout) and matmul + softmax otherwise. A bool
 * `attnMask` attends where true; a fully masked row gives NaN, as in PyTorch.
 *
 * @example
 * ```ts
 * const q = tl.randn([2, 8, 128, 64]), k = tl.randn([2, 8, 128, 64]), v = tl.randn([2, 8, 128, 64]);
 * F.scaledDotProductAttention(q, k, v, { isCausal: true }); // [2, 8, 128, 64]
 * ```
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: ScaledDotProductAttentionOptions = {}): Tensor {
  // nn's check, for its hint on PyTorch's snake_case names.
  checkOptions('scaledDotProductAttention', options, ['attnMask', 'dropoutP', 'isCausal', 'scale']);
  return tl.scaledDotProductAttention(query, key, value, options);
}
