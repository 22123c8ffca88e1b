// com.microsoft's fused activations, products and normalisations: Gelu and its fused forms,
// FusedMatMul, and the skip (residual) layer norms the transformer optimiser writes.
import type { Tensor } from '@tensile/core';
import { type Attributes, type OpContext, type OpSpec, attrNumber, one, tensorOf, tensorsOf, tl } from './context.js';

/** The epsilon of onnxruntime's skip norms when the node gives none. */
const DEFAULT_EPSILON = 1e-12;

function biased(ctx: OpContext, x: Tensor, bias: Parameters<typeof tensorOf>[1], what: string): Tensor {
  return bias === undefined ? x : x.add(tensorOf(ctx, bias, what, x.device));
}

/** Move the first dim of `t` behind the batch dims: [d0, d1, ..., dn-2, dn-1] -> [d1, ..., dn-2, d0, dn-1]. */
function batchTransposed(t: Tensor): Tensor {
  if (t.rank < 3) return t;
  const dims = t.shape.map((_, i) => i);
  return t.permute([...dims.slice(1, -1), 0, t.rank - 1]);
}

function fusedMatMul(ctx: OpContext, inputs: Parameters<OpSpec['run']>[1], attrs: Attributes): Tensor {
  let [a, b] = tensorsOf(ctx, inputs, 2) as [Tensor, Tensor];
  const flags = ['transA', 'transB', 'transBatchA', 'transBatchB'].map((n) => attrNumber(attrs, n, 0) !== 0);
  for (const [i, t] of [a, b].entries()) {
    if (t.rank < 2 && (flags[i] || flags[i + 2])) throw new Error(`${ctx.node}: ${'AB'[i]} of shape [${t.shape}] cannot be transposed (rank 2 or more is needed)`);
  }
  if (flags[2]) a = batchTransposed(a);
  if (flags[3]) b = batchTransposed(b);
  if (flags[0]) a = a.transpose(-2, -1);
  if (flags[1]) b = b.transpose(-2, -1);
  const y = tl.matmul(a, b);
  const alpha = attrNumber(attrs, 'alpha', 1);
  return alpha === 1 ? y : y.mul(alpha);
}

/** input + skip (+ bias), and the norm over the last dim; its outputs in onnxruntime's order. */
function skipNorm(simplified: boolean): OpSpec {
  return {
    attributes: ['epsilon'],
    // output, mean, inv_std_var, input_skip_bias_sum.
    outputs: 4,
    run(ctx, inputs, attrs) {
      const [x, skip, gamma] = tensorsOf(ctx, inputs, 3) as [Tensor, Tensor, Tensor];
      const beta = simplified ? undefined : inputs[3];
      const bias = simplified ? inputs[3] : inputs[4];
      const hidden = x.shape[x.rank - 1]!;
      if (x.rank < 2 || skip.shape[skip.rank - 1] !== hidden || gamma.size !== hidden) {
        throw new Error(`${ctx.node}: input [${x.shape}], skip [${skip.shape}] and gamma [${gamma.shape}] must share the hidden size (the last dim)`);
      }
      const sum = biased(ctx, x.add(skip), bias, 'bias');
      const eps = attrNumber(attrs, 'epsilon', DEFAULT_EPSILON);
      const axis = sum.rank - 1;
      const g = gamma.reshape([hidden]);
      if (simplified) {
        const invStd = sum.square().mean(axis, true).add(eps).rsqrt();
        // onnxruntime writes zeros for the mean of a root-mean-square norm, which has none.
        return [sum.mul(invStd).mul(g), tl.zeros(invStd.shape, { device: sum.device }), invStd, sum];
      }
      const mean = sum.mean(axis, true);
      const centred = sum.sub(mean);
      const invStd = centred.square().mean(axis, true).add(eps).rsqrt();
      return [biased(ctx, centred.mul(invStd).mul(g), beta, 'beta'), mean, invStd, sum];
    },
  };
}

export const contribMathOps: Record<string, OpSpec> = {
  Gelu: { attributes: [], run: (ctx, [x]) => one(tl.gelu(tensorOf(ctx, x, 'X'), 'none')) },
  BiasGelu: {
    attributes: [],
    run(ctx, [a, b]) {
      const [x, bias] = tensorsOf(ctx, [a, b]) as [Tensor, Tensor];
      return one(tl.gelu(x.add(bias), 'none'));
    },
  },
  // The tanh approximation, of X + bias where a bias is given.
  FastGelu: {
    attributes: [],
    run(ctx, [x, bias]) {
      const t = tensorOf(ctx, x, 'X');
      return one(tl.gelu(biased(ctx, t, bias, 'bias'), 'tanh'));
    },
  },
  QuickGelu: {
    attributes: ['alpha'],
    run(ctx, [x], attrs) {
      const t = tensorOf(ctx, x, 'X');
      return one(t.mul(tl.sigmoid(t.mul(attrNumber(attrs, 'alpha', 1.702)))));
    },
  },
  FusedMatMul: {
    attributes: ['alpha', 'transA', 'transB', 'transBatchA', 'transBatchB'],
    run: (ctx, inputs, attrs) => one(fusedMatMul(ctx, inputs, attrs)),
  },
  SkipLayerNormalization: skipNorm(false),
  SkipSimplifiedLayerNormalization: skipNorm(true),
};
