/**
 * `scaledDotProductAttention`, PyTorch 2's `F.scaled_dot_product_attention`: core's op, which
 * runs a backend's fused attention kernel where it has one (see `tl.scaledDotProductAttention`).
 */
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from '@tensile/core';
