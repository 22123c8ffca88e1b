/**
 * `MultiheadAttention`, PyTorch's `nn.MultiheadAttention` with its parameter names
 * (`in_proj_weight`, `in_proj_bias`, `out_proj.weight`, `out_proj.bias`), masks and
 * returned attention weights, written with core ops so every backend runs it and
 * gradients flow to queries, keys, values and parameters.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { Linear } from './linear.js';
import { emptyParameter, pyBool, pyFloat } from './util.js';

/** Constructor options of `MultiheadAttention`. */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights while training (default 0). */
  dropout?: number;
  /** Learn biases for the input and output projections (default true). */
  bias?: boolean;
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
  /** Average the returned weights over heads (default true); otherwise `[batch, numHeads, L, S]`. */
  averageAttnWeights?: boolean;
}

const STATE_NAMES: Record<string, string> = { inProjWeight: 'in_proj_weight', inProjBias: 'in_proj_bias', outProj: 'out_proj' };

/**
 * Multi-head attention: `softmax(Q Kᵀ / √headDim + mask) V` per head, heads concatenated
 * and projected. The query, key and value projections are one packed `in_proj_weight`
 * `[3·embedDim, embedDim]` (Xavier-uniform, biases zero) as in PyTorch.
 *
 * `forward(query, key, value, options?)` takes `query` `[L, N, E]`, `key` and `value`
 * `[S, N, E]` (`[N, L, E]` with `batchFirst`, or without the batch dim unbatched) and
 * returns `[output, weights]`: `output` shaped like `query`; `weights` `[N, L, S]` averaged
 * over heads (or `[N, numHeads, L, S]`), or `null` when `needWeights` is false.
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(64, 8, { batchFirst: true });
 * const x = tl.randn([2, 10, 64]);
 * const [y, weights] = mha.forward(x, x, x); // [2, 10, 64], [2, 10, 10]
 * ```
 */
export class MultiheadAttention extends Module {
  inProjWeight: Parameter;
  inProjBias: Parameter | null;
  outProj: Linear;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new Error(`MultiheadAttention: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new Error(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout <= 1)) throw new Error(`MultiheadAttention: dropout must be in [0, 1], got ${dropout}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = dropout;
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    this.inProjWeight = emptyParameter([3 * embedDim, embedDim]);
    this.inProjBias = bias ? emptyParameter([3 * embedDim]) : null;
    this.outProj = new Linear(embedDim, embedDim, { bias });
    this.resetParameters();
  }

  protected override stateName(field: string): string {
    return STATE_NAMES[field] ?? field;
  }

  /** PyTorch's initialisation: Xavier-uniform packed projection, zero biases, default `Linear` weight. */
  resetParameters(): void {
    init.xavierUniform_(this.inProjWeight);
    if (this.inProjBias) init.zeros_(this.inProjBias);
    if (this.outProj.bias) init.zeros_(this.outProj.bias);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    const fmt = tl.formatShape;
    const E = this.embedDim;
    const H = this.numHeads;
    const hd = this.headDim;
    const batched = query.rank === 3;
    if (query.rank !== 2 && query.rank !== 3) throw new Error(`${name}: query must be 2-D (unbatched) or 3-D (batched), got ${fmt(query.shape)}`);
    if (key.rank !== query.rank || value.rank !== query.rank) {
      throw new Error(`${name}: query, key and value must all be ${query.rank}-D, got ${fmt(query.shape)}, ${fmt(key.shape)} and ${fmt(value.shape)}`);
    }
    for (const [what, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.shape[t.rank - 1] !== E) throw new Error(`${name}: ${what} ${fmt(t.shape)} must end in embedDim=${E}`);
    }
    if (!tl.shapesEqual(key.shape, value.shape)) throw new Error(`${name}: key shape ${fmt(key.shape)} does not match value shape ${fmt(value.shape)}`);
    // To [seq, batch, embed].
    const layout = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const q0 = layout(query);
    const k0 = layout(key);
    const v0 = layout(value);
    const [L, N] = q0.shape;
    const S = k0.shape[0];
    if (k0.shape[1] !== N) throw new Error(`${name}: query batch ${N} does not match key batch ${k0.shape[1]}`);

    // Packed input projection; q, k, v use rows [0, E), [E, 2E), [2E, 3E).
    const w = this.inProjWeight;
    const b = this.inProjBias;
    const project = (x: Tensor, i: number) => F.linear(x, w.narrow(0, i * E, E), b ? b.narrow(0, i * E, E) : null);
    // [seq, N, E] -> [N, H, seq, hd]
    const heads = (x: Tensor, len: number) => x.reshape([len, N, H, hd]).permute([1, 2, 0, 3]);
    const q = heads(project(q0, 0), L).mul(1 / Math.sqrt(hd));
    const k = heads(project(k0, 1), S);
    const v = heads(project(v0, 2), S);
    let scores = q.matmul(k.transpose(-2, -1)); // [N, H, L, S]

    const attnMask = options.attnMask ?? null;
    if (attnMask) {
      let m: Tensor;
      if (attnMask.rank === 2) {
        if (!tl.shapesEqual(attnMask.shape, [L, S])) throw new Error(`${name}: the shape of the 2D attnMask is ${fmt(attnMask.shape)}, but should be ${fmt([L, S])}`);
        m = attnMask;
      } else if (attnMask.rank === 3) {
        if (!tl.shapesEqual(attnMask.shape, [N * H, L, S])) throw new Error(`${name}: the shape of the 3D attnMask is ${fmt(attnMask.shape)}, but should be ${fmt([N * H, L, S])}`);
        m = attnMask.reshape([N, H, L, S]);
      } else {
        throw new Error(`${name}: attnMask must be 2-D or 3-D, got ${fmt(attnMask.shape)}`);
      }
      scores = applyMask(name, 'attnMask', scores, m);
    }
    const keyPaddingMask = options.keyPaddingMask ?? null;
    if (keyPaddingMask) {
      const expected = batched ? [N, S] : [S];
      if (!tl.shapesEqual(keyPaddingMask.shape, expected)) {
        throw new Error(`${name}: expected keyPaddingMask of shape ${fmt(expected)}, got ${fmt(keyPaddingMask.shape)}`);
      }
      scores = applyMask(name, 'keyPaddingMask', scores, keyPaddingMask.reshape([N, 1, 1, S]));
    }

    let attn = scores.softmax(-1);
    if (this.dropout > 0 && this.training) attn = F.dropout(attn, this.dropout, true);
    const context = attn.matmul(v).permute([2, 0, 1, 3]).reshape([L, N, E]); // [L, N, E]
    let out = this.outProj.forward(context);
    out = !batched ? out.squeeze(1) : this.batchFirst ? out.transpose(0, 1) : out;

    if (options.needWeights === false) return [out, null];
    let weights = (options.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    if (!batched) weights = weights.squeeze(0);
    return [out, weights];
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, dropout=${pyFloat(this.dropout)}, bias=${pyBool(this.inProjBias !== null)}, batch_first=${pyBool(this.batchFirst)}`;
  }
}

/** Add a float mask, or set `true` positions of a bool mask to -inf. */
function applyMask(op: string, what: string, scores: Tensor, mask: Tensor): Tensor {
  if (mask.dtype === 'bool') return tl.where(mask, -Infinity, scores);
  if (mask.dtype === 'float32') return scores.add(mask);
  throw new Error(`${op}: only bool and float32 ${what} are supported, got ${mask.dtype}`);
}
