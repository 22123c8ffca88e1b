// com.microsoft's fused activations, products and normalisations: Gelu and its fused forms,
// FusedMatMul, the skip (residual) layer norms and BERT's fused embeddings the transformer
// optimiser writes.
import type { Tensor } from '@tensile/core';
import { type Attributes, type OpContext, type OpSpec, attrNumber, deviceOf, one, only, tensorOf, tensorsOf, tl } from './context.js';

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

const fusedMatMulSpec: OpSpec = {
  attributes: ['alpha', 'transA', 'transB', 'transBatchA', 'transBatchB'],
  run: (ctx, inputs, attrs) => one(fusedMatMul(ctx, inputs, attrs)),
};

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
      const { y, mean, invStd } = layerNormLast(sum, g, eps);
      return [biased(ctx, y, beta, 'beta'), mean, invStd, sum];
    },
  };
}

/** Layer norm over the last dim, times `gamma` (no beta): the output, the mean and 1/std, kept dims. */
function layerNormLast(x: Tensor, gamma: Tensor, eps: number): { y: Tensor; mean: Tensor; invStd: Tensor } {
  const axis = x.rank - 1;
  const mean = x.mean(axis, true);
  const centred = x.sub(mean);
  const invStd = centred.square().mean(axis, true).add(eps).rsqrt();
  return { y: centred.mul(invStd).mul(gamma), mean, invStd };
}

/**
 * BERT's embeddings as one node: word + position (+ segment) embeddings, layer-normed; the
 * mask index is each row's count of attended tokens (zeros without a mask), and the sum before
 * the norm the optional third output.
 */
const embedLayerNormalization: OpSpec = {
  attributes: ['epsilon', 'mask_index_type'],
  outputs: 3,
  check: (attrs) => only(attrs, 'mask_index_type', [1]),
  run(ctx, inputs, attrs) {
    const [ids, segments, words, positions, segmentTable, gamma, beta, mask, positionIds] = inputs;
    const device = deviceOf(ctx, inputs);
    const input = tensorOf(ctx, ids, 'input_ids', device);
    if (input.rank !== 2) throw new Error(`${ctx.node}: input_ids must be [batch, sequence], got [${input.shape}]`);
    const [b, s] = input.shape as [number, number];
    const lookup = (table: Tensor, index: Tensor) => tl.indexSelect(table, 0, index.int().reshape([-1])).reshape([...index.shape, table.shape[1]!]);
    const positionTable = tensorOf(ctx, positions, 'position_embedding', device);
    const where = positionIds === undefined ? tl.arange(0, s, 1, { dtype: 'int32', device }).reshape([1, s]) : tensorOf(ctx, positionIds, 'position_ids', device);
    let sum = lookup(tensorOf(ctx, words, 'word_embedding', device), input).add(lookup(positionTable, where));
    if ((segments === undefined) !== (segmentTable === undefined)) throw new Error(`${ctx.node}: segment_ids and segment_embedding come together`);
    if (segments !== undefined) sum = sum.add(lookup(tensorOf(ctx, segmentTable, 'segment_embedding', device), tensorOf(ctx, segments, 'segment_ids', device)));
    const hidden = sum.shape[2]!;
    const { y } = layerNormLast(sum, tensorOf(ctx, gamma, 'gamma', device).reshape([hidden]), attrNumber(attrs, 'epsilon', DEFAULT_EPSILON));
    const maskIndex = mask === undefined ? tl.zeros([b], { dtype: 'int32', device }) : tensorOf(ctx, mask, 'mask', device).int().sum(1).int();
    return [biased(ctx, y, beta, 'beta'), maskIndex, sum];
  },
};

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
  FusedMatMul: fusedMatMulSpec,
  // FusedMatMul's old name, still in files from older onnxruntime versions.
  TransposeMatMul: fusedMatMulSpec,
  SkipLayerNormalization: skipNorm(false),
  SkipSimplifiedLayerNormalization: skipNorm(true),
  EmbedLayerNormalization: embedLayerNormalization,
};
