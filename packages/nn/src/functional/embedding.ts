/** Lookups and products with a learned table: `embedding`, `embeddingBag`, `bilinear`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { checkBoolean, checkChoice, checkNumber, checkOptions } from '../options.js';
import { checkFloats, pNorm, shape } from './common.js';

function refuse(op: string, name: string, value: unknown, why: string): void {
  if (value) throw new Error(`${op}: ${name} is not supported (${why})`);
}

/**
 * Rescale, in place and without a gradient, the rows of `weight` that `indices` name and
 * whose `normType`-norm exceeds `maxNorm`, to norm `maxNorm` (PyTorch's `embedding_renorm_`).
 */
function renorm(op: string, weight: Tensor, indices: Tensor, maxNorm: number, normType: number): void {
  checkNumber(op, 'maxNorm', maxNorm);
  checkNumber(op, 'normType', normType);
  if (!(maxNorm > 0)) throw new Error(`${op}: maxNorm must be positive, got ${maxNorm}`);
  tl.noGrad(() =>
    tl.tidy(() => {
      const num = weight.shape[0];
      const flat = indices.reshape([-1]);
      const used = tl.zeros([num], { device: weight.device }).scatterAdd(0, flat, tl.ones([flat.size], { device: weight.device })).gt(0);
      const norms = pNorm(weight, normType, 1, true);
      const over = used.reshape([num, 1]).logicalAnd(norms.gt(maxNorm));
      const scale = norms.add(1e-7).reciprocal().mul(maxNorm).where(over, 1);
      weight.assign(weight.mul(scale));
    }),
  );
}

/**
 * Look up rows of `weight` `[numEmbeddings, dim]` by int32 `indices` of any shape; the
 * output is `[...indices.shape, dim]`. Rows at `paddingIdx` get no gradient. With
 * `maxNorm`, each looked-up row whose `normType`-norm exceeds it is first rescaled to that
 * norm, in `weight` itself (as PyTorch, which modifies the weight in place).
 *
 * @example
 * ```ts
 * F.embedding(tl.tensor([[1, 2], [0, 3]], { dtype: 'int32' }), weight); // [2, 2, dim]
 * F.embedding(ids, weight, null, 1.0); // rows renormalised to norm <= 1 first
 * ```
 */
export function embedding(
  indices: Tensor,
  weight: Tensor,
  paddingIdx?: number | null,
  maxNorm?: number | null,
  normType = 2,
  scaleGradByFreq = false,
  sparse = false,
): Tensor {
  const op = 'embedding';
  if (!(indices instanceof tl.Tensor) || indices.dtype !== 'int32') {
    throw new TypeError(`${op}: indices must be int32, got ${indices instanceof tl.Tensor ? `${indices.dtype} ${shape(indices.shape)}` : typeof indices}; cast with indices.int()`);
  }
  if (!(weight instanceof tl.Tensor) || weight.rank !== 2) throw new Error(`${op}: weight must be [numEmbeddings, dim], got ${weight instanceof tl.Tensor ? shape(weight.shape) : typeof weight}`);
  if (paddingIdx !== undefined && paddingIdx !== null && typeof paddingIdx !== 'number') {
    throw new TypeError(`${op}: paddingIdx must be a number or null (arguments are positional, as PyTorch's: indices, weight, paddingIdx, maxNorm, normType), got ${JSON.stringify(paddingIdx)}`);
  }
  refuse(op, 'scaleGradByFreq', scaleGradByFreq, 'gradients are not rescaled by frequency in Tensile');
  refuse(op, 'sparse', sparse, 'Tensile has no sparse gradients');
  const [num, dim] = weight.shape;
  const pad = paddingIdx === undefined || paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  if (pad !== null && (pad < 0 || pad >= num)) throw new Error(`${op}: paddingIdx ${paddingIdx} must be within numEmbeddings ${num}`);
  if (maxNorm !== undefined && maxNorm !== null) renorm(op, weight, indices, maxNorm, normType);
  return tl.tidy(() => {
    const flat = indices.reshape([-1]);
    let rows = weight.indexSelect(0, flat);
    if (pad !== null && weight.requiresGrad) {
      // Same values, but the padding rows' contributions come from a detached copy.
      const isPad = tl.noGrad(() => flat.eq(pad).reshape([-1, 1]));
      rows = rows.detach().where(isPad, rows);
    }
    return rows.reshape([...indices.shape, dim]);
  });
}

/** Options of `embeddingBag`. */
export interface EmbeddingBagOptions {
  /** Renormalise looked-up rows to at most this norm first (in place, as `embedding`). */
  maxNorm?: number | null;
  /** The norm of `maxNorm` (default 2). */
  normType?: number;
  /** How a bag's rows combine: `'mean'` (default), `'sum'` or `'max'`. */
  mode?: 'sum' | 'mean' | 'max';
  /** A weight per index (the input's shape), multiplying its row; `'sum'` mode only. */
  perSampleWeights?: Tensor | null;
  /** `offsets` has one more entry than there are bags, the last one the input's length (default false). */
  includeLastOffset?: boolean;
  /** Entries equal to this index are left out of their bag (and of its mean's count). */
  paddingIdx?: number | null;
  /** Not supported (an error when true). */
  scaleGradByFreq?: boolean;
  /** Not supported (an error when true). */
  sparse?: boolean;
}

/**
 * Sums, means or maxima of bags of embeddings without the intermediate `[bags, len, dim]`
 * lookup of `embedding` (except for `'max'`), as PyTorch's `F.embedding_bag`. `input` is
 * int32 `[B, N]` (B bags of N indices; `offsets` must be null) or 1-D with `offsets` int32
 * `[B]`, where bag `b` holds `input[offsets[b] .. offsets[b+1])`. Empty bags give zeros.
 * Output `[B, dim]`.
 *
 * @example
 * ```ts
 * const ids = tl.tensor([1, 2, 4, 5, 4, 3, 2, 9], { dtype: 'int32' });
 * const offsets = tl.tensor([0, 4], { dtype: 'int32' });
 * F.embeddingBag(ids, weight, offsets, { mode: 'sum' }); // [2, dim]
 * ```
 */
export function embeddingBag(input: Tensor, weight: Tensor, offsets: Tensor | null = null, options: EmbeddingBagOptions = {}): Tensor {
  const op = 'embeddingBag';
  checkOptions(op, options, ['maxNorm', 'normType', 'mode', 'perSampleWeights', 'includeLastOffset', 'paddingIdx', 'scaleGradByFreq', 'sparse']);
  const { maxNorm = null, normType = 2, mode = 'mean', perSampleWeights = null, includeLastOffset = false, paddingIdx = null } = options;
  checkChoice(op, 'mode', mode, ['sum', 'mean', 'max'] as const);
  checkBoolean(op, 'includeLastOffset', includeLastOffset);
  refuse(op, 'scaleGradByFreq', options.scaleGradByFreq, 'gradients are not rescaled by frequency in Tensile');
  refuse(op, 'sparse', options.sparse, 'Tensile has no sparse gradients');
  if (!(input instanceof tl.Tensor) || input.dtype !== 'int32') throw new TypeError(`${op}: input must be int32 indices`);
  if (!(weight instanceof tl.Tensor) || weight.rank !== 2) throw new Error(`${op}: weight must be [numEmbeddings, dim]`);
  checkFloats(op, { weight }, { perSampleWeights });
  const { device, dtype } = weight;
  const [num, dim] = weight.shape;
  let bags: number;
  // Where each bag starts: rows of a 2-D input, or the offsets.
  let bagStarts: () => Tensor;
  if (input.rank === 2) {
    if (offsets) throw new Error(`${op}: if input is 2-D, then offsets has to be null, as input is treated as a mini-batch of fixed length sequences`);
    const [b, n] = input.shape;
    bags = b;
    bagStarts = () => tl.arange(0, b * n, Math.max(n, 1), { device }).narrow(0, 0, b);
  } else if (input.rank === 1) {
    if (!(offsets instanceof tl.Tensor) || offsets.rank !== 1 || offsets.dtype !== 'int32') throw new Error(`${op}: offsets must be a 1-D int32 tensor when input is 1-D`);
    bags = includeLastOffset ? offsets.shape[0] - 1 : offsets.shape[0];
    if (bags < 0) throw new Error(`${op}: includeLastOffset needs at least one offset`);
    if (offsets.backend.readSync && offsets.size > 0) {
      const o = offsets.dataSync();
      if (o[0] !== 0) throw new Error(`${op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${o[0]}`);
      for (let i = 1; i < o.length; i++) if (o[i] < o[i - 1] || o[i] > input.size) throw new Error(`${op}: offsets must be non-decreasing and at most the input's length ${input.size}, got ${Array.from(o).join(', ')}`);
    }
    bagStarts = () => offsets.narrow(0, 0, bags);
  } else {
    throw new Error(`${op}: input has to be 1-D or 2-D, got ${shape(input.shape)}`);
  }
  if (perSampleWeights) {
    if (mode !== 'sum') throw new Error(`${op}: perSampleWeights was not null; perSampleWeights is only supported for mode='sum' (got mode='${mode}')`);
    if (!tl.shapesEqual(perSampleWeights.shape, input.shape)) throw new Error(`${op}: perSampleWeights ${shape(perSampleWeights.shape)} must have the input's shape ${shape(input.shape)}`);
  }
  const pad = paddingIdx === null || paddingIdx === undefined ? null : paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  if (pad !== null && (pad < 0 || pad >= num)) throw new Error(`${op}: paddingIdx ${paddingIdx} must be within numEmbeddings ${num}`);
  if (maxNorm !== null && maxNorm !== undefined) renorm(op, weight, input, maxNorm, normType);
  return tl.tidy(() => {
    const flat = input.reshape([-1]);
    const starts = bagStarts();
    const length = flat.size;
    if (bags === 0) return tl.zeros([0, dim], { device, dtype });
    if (length === 0) return tl.zeros([bags, dim], { device, dtype });
    const positions = tl.arange(0, length, 1, { device });
    // Bag of each index: how many bags start at or before it, minus one.
    const bagOf = tl.noGrad(() => positions.unsqueeze(1).ge(starts.unsqueeze(0)).cast('int32').sum(1).sub(1).cast('int32'));
    const valid = tl.noGrad(() => (pad === null ? tl.ones([length], { device, dtype }) : flat.ne(pad).cast(dtype)));
    const rows = weight.indexSelect(0, flat); // [L, dim]
    if (mode === 'max') {
      const member = tl.noGrad(() => bagOf.unsqueeze(0).eq(tl.arange(0, bags, 1, { device }).unsqueeze(1)).logicalAnd(valid.gt(0).unsqueeze(0)));
      const filled = rows.unsqueeze(0).where(member.unsqueeze(2), -Infinity); // [B, L, dim]
      const nonEmpty = tl.noGrad(() => member.cast(dtype).sum(1).gt(0));
      return filled.max(1).where(nonEmpty.unsqueeze(1), 0);
    }
    let scaled = rows.mul(valid.unsqueeze(1));
    if (perSampleWeights) scaled = scaled.mul(perSampleWeights.reshape([-1, 1]));
    const target = bagOf.unsqueeze(1).expand([length, dim]);
    const sums = tl.zeros([bags, dim], { device, dtype }).scatterAdd(0, target, scaled);
    if (mode === 'sum') return sums;
    const counts = tl.noGrad(() => tl.zeros([bags], { device, dtype }).scatterAdd(0, bagOf, valid).clamp(1, null));
    return sums.div(counts.unsqueeze(1));
  });
}

/**
 * The bilinear form `y_k = x1ᵀ W_k x2 + b_k` of `x1` `[..., in1]` and `x2` `[..., in2]` with
 * `weight` `[out, in1, in2]` and `bias` `[out]`: `[..., out]`.
 *
 * @example
 * ```ts
 * F.bilinear(tl.randn([8, 5]), tl.randn([8, 3]), tl.randn([4, 5, 3])); // [8, 4]
 * ```
 */
export function bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (tl.autocastActive()) return tl.autocasting('bilinear', [x1, x2, weight, bias], bilinear);
  const op = 'bilinear';
  checkFloats(op, { input1: x1, input2: x2 }, { weight, bias });
  if (weight.rank !== 3) throw new Error(`${op}: weight must be [out, in1, in2], got ${shape(weight.shape)}`);
  const [out, in1, in2] = weight.shape;
  if (x1.rank === 0 || x1.shape[x1.rank - 1] !== in1) throw new Error(`${op}: input1 ${shape(x1.shape)} must end in in1_features=${in1} of weight ${shape(weight.shape)}`);
  if (x2.rank === 0 || x2.shape[x2.rank - 1] !== in2) throw new Error(`${op}: input2 ${shape(x2.shape)} must end in in2_features=${in2} of weight ${shape(weight.shape)}`);
  if (!tl.shapesEqual(x1.shape.slice(0, -1), x2.shape.slice(0, -1))) {
    throw new Error(`${op}: input1 ${shape(x1.shape)} and input2 ${shape(x2.shape)} must have the same leading dims`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== out)) throw new Error(`${op}: bias must be [${out}], got ${shape(bias.shape)}`);
  return tl.tidy(() => {
    // x1 · W viewed as [in1, out·in2], then the dot product with x2 per output.
    const t = x1.matmul(weight.permute([1, 0, 2]).reshape([in1, out * in2])).reshape([...x1.shape.slice(0, -1), out, in2]);
    const y = t.mul(x2.unsqueeze(-2)).sum(-1);
    return bias ? y.add(bias) : y;
  });
}
