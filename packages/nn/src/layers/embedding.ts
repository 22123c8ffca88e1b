/** `Embedding`. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { emptyParameter } from './util.js';

/** Options of `Embedding`. */
export interface EmbeddingOptions {
  /** A row that starts at zero and receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
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

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) {
        throw new Error(`Embedding: paddingIdx ${pad} must be within numEmbeddings ${numEmbeddings}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = emptyParameter([numEmbeddings, embeddingDim]);
    this.resetParameters();
  }

  /** N(0, 1), with the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    const pad = this.paddingIdx;
    if (pad !== null) {
      tl.noGrad(() =>
        tl.tidy(() => {
          const rows = tl.arange(this.numEmbeddings, undefined, 1, { device: this.weight.device }).reshape([-1, 1]);
          this.weight.assign(this.weight.where(rows.ne(pad), 0));
        }),
      );
    }
  }

  forward(indices: Tensor): Tensor {
    return F.embedding(indices, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`;
  }
}
