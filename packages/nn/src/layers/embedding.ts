/** `Embedding` and `EmbeddingBag`. */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkChoice, checkOptions } from '../options.js';
import { emptyParameter, pyFloat } from './util.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /** A row that starts at zero and receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /** Rescale each looked-up row whose norm exceeds this to this norm (in `weight`, as PyTorch). */
  maxNorm?: number | null;
  /** The norm of `maxNorm` (default 2). */
  normType?: number;
  /** Not supported (an error when true). */
  scaleGradByFreq?: boolean;
  /** Not supported (an error when true). */
  sparse?: boolean;
}

function checkPaddingIdx(op: string, paddingIdx: number | null | undefined, numEmbeddings: number): number | null {
  let pad = paddingIdx ?? null;
  if (pad !== null) {
    if (pad >= numEmbeddings || pad < -numEmbeddings) throw new Error(`${op}: paddingIdx ${pad} must be within numEmbeddings ${numEmbeddings}`);
    if (pad < 0) pad += numEmbeddings;
  }
  return pad;
}

function refuseOptions(op: string, options: { scaleGradByFreq?: boolean; sparse?: boolean }): void {
  if (options.scaleGradByFreq) throw new Error(`${op}: scaleGradByFreq is not supported (gradients are not rescaled by frequency in Tensile)`);
  if (options.sparse) throw new Error(`${op}: sparse is not supported (Tensile has no sparse gradients)`);
}

function normRepr(maxNorm: number | null, normType: number): string {
  let s = '';
  if (maxNorm !== null) s += `, max_norm=${pyFloat(maxNorm)}`;
  if (normType !== 2) s += `, norm_type=${pyFloat(normType)}`;
  return s;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`: `weight` from N(0, 1),
 * with the `paddingIdx` row zeroed. Takes int32 indices of any shape.
 *
 * @example
 * ```ts
 * const emb = new Embedding(1000, 64, { paddingIdx: 0 });
 * emb.forward(tl.tensor([[1, 5, 0]], { dtype: 'int32' })); // [1, 3, 64]
 * ```
 */
export class Embedding extends Module {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions('Embedding', options, ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse']);
    refuseOptions('Embedding', options);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = checkPaddingIdx('Embedding', options.paddingIdx, numEmbeddings);
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    this.weight = emptyParameter([numEmbeddings, embeddingDim]);
    this.resetParameters();
  }

  /** N(0, 1), with the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) init.zeroRow_(this.weight, this.paddingIdx);
  }

  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, this.paddingIdx, this.maxNorm, this.normType);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}${normRepr(this.maxNorm, this.normType)}`;
  }
}

/** Options of `EmbeddingBag`. */
export interface EmbeddingBagLayerOptions {
  maxNorm?: number | null;
  normType?: number;
  /** `'mean'` (default), `'sum'` or `'max'`. */
  mode?: 'sum' | 'mean' | 'max';
  /** `offsets` has one more entry than there are bags (default false). */
  includeLastOffset?: boolean;
  /** Entries of this index are left out of their bag; its row starts at zero. */
  paddingIdx?: number | null;
  /** Not supported (an error when true). */
  scaleGradByFreq?: boolean;
  /** Not supported (an error when true). */
  sparse?: boolean;
}

/**
 * Sums, means or maxima of bags of embeddings (`F.embeddingBag`): `forward(input, offsets?,
 * perSampleWeights?)` with int32 `input` `[B, N]`, or 1-D with `offsets` `[B]`; `weight`
 * from N(0, 1).
 *
 * @example
 * ```ts
 * const bag = new EmbeddingBag(10, 3, { mode: 'sum' });
 * bag.forward(tl.tensor([1, 2, 4, 5, 4, 3, 2, 9], { dtype: 'int32' }), tl.tensor([0, 4], { dtype: 'int32' })); // [2, 3]
 * ```
 */
export class EmbeddingBag extends Module {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly mode: 'sum' | 'mean' | 'max';
  readonly includeLastOffset: boolean;
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagLayerOptions = {}) {
    super();
    checkOptions('EmbeddingBag', options, ['maxNorm', 'normType', 'mode', 'includeLastOffset', 'paddingIdx', 'scaleGradByFreq', 'sparse']);
    refuseOptions('EmbeddingBag', options);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.maxNorm = options.maxNorm ?? null;
    this.normType = options.normType ?? 2;
    const mode = options.mode ?? 'mean';
    checkChoice('EmbeddingBag', 'mode', mode, ['sum', 'mean', 'max'] as const);
    this.mode = mode;
    this.includeLastOffset = options.includeLastOffset ?? false;
    this.paddingIdx = checkPaddingIdx('EmbeddingBag', options.paddingIdx, numEmbeddings);
    this.weight = emptyParameter([numEmbeddings, embeddingDim]);
    this.resetParameters();
  }

  /** N(0, 1), with the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) init.zeroRow_(this.weight, this.paddingIdx);
  }

  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    return F.embeddingBag(input, this.weight, offsets, {
      maxNorm: this.maxNorm,
      normType: this.normType,
      mode: this.mode,
      perSampleWeights,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}${normRepr(this.maxNorm, this.normType)}, mode=${this.mode}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}
