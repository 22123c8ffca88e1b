/**
 * `MultiheadAttention`, PyTorch's `nn.MultiheadAttention` with its parameter names
 * (`in_proj_weight` or `q_proj_weight`/`k_proj_weight`/`v_proj_weight`, `in_proj_bias`,
 * `bias_k`, `bias_v`, `out_proj.weight`, `out_proj.bias`), masks and returned attention
 * weights, written with core ops so every backend runs it and gradients flow to queries,
 * keys, values and parameters. Also `generateSquareSubsequentMask`, the causal mask.
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { Linear, NonDynamicallyQuantizableLinear } from './linear.js';
import { checkOptions } from '../options.js';
import { emptyParameter } from './util.js';

/** Constructor options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights while training (default 0). */
  dropout?: number;
  /** Learn biases for the input and output projections (default true). */
  bias?: boolean;
  /** Learn one extra key and value (`bias_k`, `bias_v` `[1, 1, embedDim]`) appended to every sequence (default false). */
  addBiasKv?: boolean;
  /** Append a zero key and value after projection, so every query can attend to "nothing" (default false). */
  addZeroAttn?: boolean;
  /**
   * Feature size of `key` (default `embedDim`). When `kdim` or `vdim` differs from `embedDim`,
   * the projections are separate `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]` and
   * `v_proj_weight` `[E, vdim]` instead of the packed `in_proj_weight`, as in PyTorch.
   */
  kdim?: number;
  /** Feature size of `value` (default `embedDim`); see `kdim`. */
  vdim?: number;
  /** Inputs and output are `[batch, seq, embed]` instead of `[seq, batch, embed]` (default false). */
  batchFirst?: boolean;
}

/** Per-call options of `MultiheadAttention.forward`. */
export interface MultiheadAttentionForwardOptions {
  /**
   * `[batch, S]` (or `[S]` unbatched): which keys to ignore. A bool mask ignores `true`
   * positions; a float mask is added to the attention scores.
   */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights as well (default true, as PyTorch). */
  needWeights?: boolean;
  /**
   * `[L, S]` or `[batch*numHeads, L, S]`: which query/key pairs may attend. A bool mask
   * forbids `true` positions; a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /**
   * Let query `i` attend only to keys `j <= i`. The same as passing
   * `attnMask: generateSquareSubsequentMask(L)` (for `L = S`), so it cannot be combined with
   * `attnMask` (default false). PyTorch 1.13's `forward` has no such flag.
   */
  isCausal?: boolean;
  /** Average the returned weights over heads (default true); otherwise `[batch, numHeads, L, S]`. */
  averageAttnWeights?: boolean;
}

const STATE_NAMES: Record<string, string> = {
  inProjWeight: 'in_proj_weight',
  qProjWeight: 'q_proj_weight',
  kProjWeight: 'k_proj_weight',
  vProjWeight: 'v_proj_weight',
  inProjBias: 'in_proj_bias',
  biasK: 'bias_k',
  biasV: 'bias_v',
  outProj: 'out_proj',
};

/**
 * Multi-head attention: `softmax(Q Kᵀ / √headDim + mask) V` per head, heads concatenated
 * and projected. The query, key and value projections are one packed `in_proj_weight`
 * `[3·embedDim, embedDim]` (Xavier-uniform, biases zero) as in PyTorch, or three separate
 * weights when `kdim`/`vdim` differ from `embedDim`.
 *
 * `forward(query, key, value, options?)` takes `query` `[L, N, E]`, `key` `[S, N, kdim]` and
 * `value` `[S, N, vdim]` (`[N, L, E]` with `batchFirst`, or without the batch dim unbatched)
 * and returns `[output, weights]`: `output` shaped like `query`; `weights` `[N, L, S]`
 * averaged over heads (or `[N, numHeads, L, S]`), or `null` when `needWeights` is false.
 * With `addBiasKv` and `addZeroAttn` the weights have one more column each, as PyTorch's.
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(64, 8, { batchFirst: true });
 * const x = tl.randn([2, 10, 64]);
 * const [y, weights] = mha.forward(x, x, x, { isCausal: true }); // [2, 10, 64], [2, 10, 10]
 *
 * // Keys and values from another model with other widths:
 * const cross = new MultiheadAttention(64, 8, { kdim: 32, vdim: 16, batchFirst: true });
 * cross.forward(x, tl.randn([2, 7, 32]), tl.randn([2, 7, 16])); // k_proj_weight [64, 32], ...
 * ```
 */
export class MultiheadAttention extends Module {
  inProjWeight: Parameter | null;
  qProjWeight: Parameter | null;
  kProjWeight: Parameter | null;
  vProjWeight: Parameter | null;
  inProjBias: Parameter | null;
  biasK: Parameter | null;
  biasV: Parameter | null;
  outProj: Linear;
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly addZeroAttn: boolean;
  readonly batchFirst: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const name = 'MultiheadAttention';
    checkOptions(name, options, ['dropout', 'bias', 'addBiasKv', 'addZeroAttn', 'kdim', 'vdim', 'batchFirst']);
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new Error(`${name}: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new Error(`${name}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    const kdim = options.kdim ?? embedDim;
    const vdim = options.vdim ?? embedDim;
    for (const [what, d] of [['kdim', kdim], ['vdim', vdim]] as const) {
      if (!Number.isInteger(d) || d <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${d}`);
    }
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout <= 1)) throw new Error(`${name}: dropout must be in [0, 1], got ${dropout}`);
    this.embedDim = embedDim;
    this.kdim = kdim;
    this.vdim = vdim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = dropout;
    this.addZeroAttn = options.addZeroAttn ?? false;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    const packed = kdim === embedDim && vdim === embedDim; // PyTorch's _qkv_same_embed_dim
    this.inProjWeight = packed ? emptyParameter([3 * embedDim, embedDim]) : null;
    this.qProjWeight = packed ? null : emptyParameter([embedDim, embedDim]);
    this.kProjWeight = packed ? null : emptyParameter([embedDim, kdim]);
    this.vProjWeight = packed ? null : emptyParameter([embedDim, vdim]);
    this.inProjBias = bias ? emptyParameter([3 * embedDim]) : null;
    const biasKv = options.addBiasKv ?? false;
    this.biasK = biasKv ? emptyParameter([1, 1, embedDim]) : null;
    this.biasV = biasKv ? emptyParameter([1, 1, embedDim]) : null;
    this.outProj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias });
    this.resetParameters();
  }

  protected override stateName(field: string): string {
    return STATE_NAMES[field] ?? field;
  }

  /**
   * PyTorch's initialisation: Xavier-uniform projection weights, zero biases, Xavier-normal
   * `bias_k`/`bias_v`, default `Linear` weight for `out_proj`.
   */
  resetParameters(): void {
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight]) if (w) init.xavierUniform_(w);
    if (this.inProjBias) init.zeros_(this.inProjBias);
    if (this.outProj.bias) init.zeros_(this.outProj.bias);
    if (this.biasK) init.xavierNormal_(this.biasK);
    if (this.biasV) init.xavierNormal_(this.biasV);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    checkOptions(`${name}.forward`, options, ['keyPaddingMask', 'needWeights', 'attnMask', 'isCausal', 'averageAttnWeights']);
    const fmt = tl.formatShape;
    const E = this.embedDim;
    const H = this.numHeads;
    const hd = this.headDim;
    const packed = this.inProjWeight !== null;
    const batched = query.rank === 3;
    if (query.rank !== 2 && query.rank !== 3) throw new Error(`${name}: query must be 2-D (unbatched) or 3-D (batched), got ${fmt(query.shape)}`);
    if (key.rank !== query.rank || value.rank !== query.rank) {
      throw new Error(`${name}: query, key and value must all be ${query.rank}-D, got ${fmt(query.shape)}, ${fmt(key.shape)} and ${fmt(value.shape)}`);
    }
    const features = [
      ['query', query, 'embedDim', E],
      ['key', key, packed ? 'embedDim' : 'kdim', this.kdim],
      ['value', value, packed ? 'embedDim' : 'vdim', this.vdim],
    ] as const;
    for (const [what, t, dimName, d] of features) {
      if (t.shape[t.rank - 1] !== d) throw new Error(`${name}: ${what} ${fmt(t.shape)} must end in ${dimName}=${d}`);
    }
    if (!tl.shapesEqual(key.shape.slice(0, -1), value.shape.slice(0, -1))) {
      throw new Error(`${name}: key shape ${fmt(key.shape)} does not match value shape ${fmt(value.shape)} in sequence and batch`);
    }
    // To [seq, batch, features].
    const layout = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const q0 = layout(query);
    const k0 = layout(key);
    const v0 = layout(value);
    const [L, N] = q0.shape;
    const S = k0.shape[0];
    if (k0.shape[1] !== N) throw new Error(`${name}: query batch ${N} does not match key batch ${k0.shape[1]}`);

    if (options.isCausal && options.attnMask) {
      throw new Error(`${name}: pass isCausal or attnMask, not both (isCausal is the mask generateSquareSubsequentMask builds)`);
    }
    const attnMask = options.isCausal ? causalMask(L, S, query.device) : (options.attnMask ?? null);
    let mask: Tensor | null = null; // [L, S] or [N, H, L, S]
    if (attnMask) {
      if (attnMask.rank === 2) {
        if (!tl.shapesEqual(attnMask.shape, [L, S])) throw new Error(`${name}: the shape of the 2D attnMask is ${fmt(attnMask.shape)}, but should be ${fmt([L, S])}`);
        mask = attnMask;
      } else if (attnMask.rank === 3) {
        if (!tl.shapesEqual(attnMask.shape, [N * H, L, S])) throw new Error(`${name}: the shape of the 3D attnMask is ${fmt(attnMask.shape)}, but should be ${fmt([N * H, L, S])}`);
        mask = attnMask.reshape([N, H, L, S]);
      } else {
        throw new Error(`${name}: attnMask must be 2-D or 3-D, got ${fmt(attnMask.shape)}`);
      }
    }
    let padding: Tensor | null = null; // [N, 1, 1, S]
    const keyPaddingMask = options.keyPaddingMask ?? null;
    if (keyPaddingMask) {
      const expected = batched ? [N, S] : [S];
      if (!tl.shapesEqual(keyPaddingMask.shape, expected)) {
        throw new Error(`${name}: expected keyPaddingMask of shape ${fmt(expected)}, got ${fmt(keyPaddingMask.shape)}`);
      }
      padding = keyPaddingMask.reshape([N, 1, 1, S]);
    }

    const [wq, wk, wv] = this.projectionWeights();
    const b = this.inProjBias;
    const project = (x: Tensor, w: Tensor, i: number) => F.linear(x, w, b ? b.narrow(0, i * E, E) : null);
    let k = project(k0, wk, 1); // [S, N, E]
    let v = project(v0, wv, 2);
    if (this.biasK && this.biasV) {
      k = tl.cat([k, this.biasK.expand([1, N, E])], 0);
      v = tl.cat([v, this.biasV.expand([1, N, E])], 0);
    }
    // [seq, N, E] -> [N, H, seq, hd]
    const heads = (x: Tensor) => x.reshape([x.shape[0], N, H, hd]).permute([1, 2, 0, 3]);
    const qHeads = heads(project(q0, wq, 0));
    k = heads(k);
    v = heads(v);
    if (this.addZeroAttn) {
      const zero = tl.zeros([N, H, 1, hd], { device: k.device, dtype: k.dtype });
      k = tl.cat([k, zero], 2);
      v = tl.cat([v, zero], 2);
    }
    // The extra keys (bias_k, the zero key) are never masked.
    const extra = k.shape[2] - S;
    const extend = (m: Tensor) => (extra > 0 ? m.pad([0, extra]) : m);

    const finish = (heads: Tensor): Tensor => {
      const context = heads.permute([2, 0, 1, 3]).reshape([L, N, E]); // [L, N, E]
      const out = this.outProj.forward(context);
      return !batched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;
    };
    const dropoutP = this.dropout > 0 && this.training ? this.dropout : 0;

    if (options.needWeights === false) {
      // Without the weights, attention is F.scaledDotProductAttention, the masks merged into one additive mask.
      let merged: Tensor | null = null;
      for (const [what, m] of [['attnMask', mask], ['keyPaddingMask', padding]] as const) {
        if (!m) continue;
        const additive = extend(toAdditive(name, what, m, qHeads.dtype));
        merged = merged ? merged.add(additive) : additive;
      }
      return [finish(F.scaledDotProductAttention(qHeads, k, v, { attnMask: merged, dropoutP })), null];
    }

    const q = qHeads.mul(1 / Math.sqrt(hd));
    let scores = q.matmul(k.transpose(-2, -1)); // [N, H, L, S + extra]
    if (mask) scores = applyMask(name, 'attnMask', scores, extend(mask));
    if (padding) scores = applyMask(name, 'keyPaddingMask', scores, extend(padding));

    let attn = scores.softmax(-1);
    if (dropoutP > 0) attn = F.dropout(attn, dropoutP, true);
    const out = finish(attn.matmul(v));

    let weights = (options.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    if (!batched) weights = weights.squeeze(0);
    return [out, weights];
  }

  /** The query, key and value projection weights: rows of the packed one, or the separate ones. */
  private projectionWeights(): [Tensor, Tensor, Tensor] {
    const w = this.inProjWeight;
    if (w) return [0, 1, 2].map((i) => w.narrow(0, i * this.embedDim, this.embedDim)) as [Tensor, Tensor, Tensor];
    return [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
  }
}

/**
 * The causal mask of PyTorch's `nn.Transformer.generate_square_subsequent_mask(sz)`: `[sz, sz]`
 * in `dtype` (float32 unless given; a float16 model takes a float16 mask), `-inf` above the
 * diagonal (a position's future) and 0 elsewhere. Pass it as `attnMask`, `srcMask` or `tgtMask`.
 *
 * @example
 * ```ts
 * generateSquareSubsequentMask(3);
 * // [[0, -inf, -inf],
 * //  [0,    0, -inf],
 * //  [0,    0,    0]]
 * ```
 */
export function generateSquareSubsequentMask(sz: number, options: { device?: string; dtype?: 'float32' | 'float16' } = {}): Tensor {
  const op = 'generateSquareSubsequentMask';
  checkOptions(op, options, ['device', 'dtype']);
  if (!Number.isInteger(sz) || sz < 0) throw new Error(`${op}: sz must be a non-negative integer, got ${sz}`);
  const { device, dtype = 'float32' } = options;
  if (dtype !== 'float32' && dtype !== 'float16') throw new TypeError(`${op}: dtype must be float32 or float16, got ${String(dtype)}`);
  return tl.tidy(() => tl.where(causalMask(sz, sz, device), -Infinity, tl.zeros([sz, sz], { device, dtype })));
}

/** Bool `[L, S]`, true where key `j` lies after query `i` (`j > i`). */
function causalMask(L: number, S: number, device?: string): Tensor {
  return tl.tidy(() => tl.arange(0, L, 1, { device }).unsqueeze(1).lt(tl.arange(0, S, 1, { device }).unsqueeze(0)));
}

/**
 * A mask in the attention's `dtype`: a float mask must have it, as PyTorch's (a float32 mask
 * on float16 scores is refused), except under autocast, where PyTorch's products cast it.
 */
function maskIn(op: string, what: string, mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === 'bool' || mask.dtype === dtype) return mask;
  if (tl.isFloating(mask.dtype)) {
    if (tl.isAutocastEnabled(mask.device)) return mask.cast(dtype);
    throw new TypeError(`${op}: a float ${what} must have the attention's dtype ${dtype}, got ${mask.dtype} (make it with { dtype: '${dtype}' } or cast it)`);
  }
  throw new TypeError(`${op}: only bool and float ${what} are supported, got ${mask.dtype}`);
}

/** A mask as scores to add in `dtype`: float as it is, bool `true` as -inf. */
function toAdditive(op: string, what: string, mask: Tensor, dtype: DType): Tensor {
  const m = maskIn(op, what, mask, dtype);
  // A 0-d zero broadcast: nothing sized by the inputs, so an exported graph keeps its dynamic axes.
  return m.dtype === 'bool' ? tl.where(m, -Infinity, tl.zeros([], { device: m.device, dtype })) : m;
}

/** Add a float mask, or set `true` positions of a bool mask to -inf. */
function applyMask(op: string, what: string, scores: Tensor, mask: Tensor): Tensor {
  const m = maskIn(op, what, mask, scores.dtype);
  return m.dtype === 'bool' ? tl.where(m, -Infinity, scores) : scores.add(m);
}
