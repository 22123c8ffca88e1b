/**
 * `TransformerEncoderLayer` and `TransformerEncoder`, PyTorch's modules with their
 * submodule names (`self_attn`, `linear1`, `dropout`, `linear2`, `norm1`, `norm2`,
 * `dropout1`, `dropout2`; `layers.0...`, `norm`), so state dicts move between the two.
 */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import { Module, ModuleList } from '../module.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { pyBool, pyFloat } from './util.js';

/** The feed-forward activation: a name, or any function of a tensor. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** Options of `TransformerEncoderLayer` (PyTorch's keyword arguments, camelCased). */
export interface TransformerEncoderLayerOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability in attention, after it and in the feed-forward block (default 0.1). */
  dropout?: number;
  /** `'relu'` (default), `'gelu'` or a function. */
  activation?: TransformerActivation;
  /** LayerNorm epsilon (default 1e-5). */
  layerNormEps?: number;
  /** Input and output are `[batch, seq, dModel]` instead of `[seq, batch, dModel]` (default false). */
  batchFirst?: boolean;
  /** Pre-norm (normalise before attention and feed-forward) instead of post-norm (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers, attention and layer norms (default true). */
  bias?: boolean;
}

/** Per-call options of the encoder layers. */
export interface TransformerEncoderForwardOptions {
  /** `[S, S]` or `[batch*nhead, S, S]` attention mask (bool: `true` is forbidden; float: added). */
  srcMask?: Tensor | null;
  /** `[batch, S]` padding mask (bool: `true` is padding; float: added). */
  srcKeyPaddingMask?: Tensor | null;
}

const STATE_NAMES: Record<string, string> = { selfAttn: 'self_attn' };

/**
 * One transformer encoder block: self-attention then a feed-forward network, each with a
 * residual connection and layer norm (after, or before with `normFirst`):
 *
 *     post-norm: x = norm1(x + SA(x));  x = norm2(x + FF(x))
 *     pre-norm:  x = x + SA(norm1(x));  x = x + FF(norm2(x))
 *
 * with `FF(x) = linear2(dropout(activation(linear1(x))))`.
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(512, 8, { batchFirst: true });
 * const y = layer.forward(tl.randn([32, 10, 512])); // [32, 10, 512]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;
  /** The constructor's arguments, for `clone()`. */
  readonly options: Readonly<TransformerEncoderLayerOptions>;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const dimFeedforward = options.dimFeedforward ?? 2048;
    const p = options.dropout ?? 0.1;
    const bias = options.bias ?? true;
    const eps = options.layerNormEps ?? 1e-5;
    const activation = options.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
      throw new Error(`TransformerEncoderLayer: activation should be relu/gelu or a function, not ${String(activation)}`);
    }
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst ?? false });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = options.normFirst ?? false;
    this.activation = activation;
    this.options = { ...options };
  }

  protected override stateName(field: string): string {
    return STATE_NAMES[field] ?? field;
  }

  /** A new layer with the same configuration and a copy of this one's parameters (PyTorch's deepcopy). */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.options);
    copy.loadStateDict(this.stateDict());
    copy.train(this.training);
    return copy;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), options));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, options)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, options: TransformerEncoderForwardOptions): Tensor {
    const [y] = this.selfAttn.forward(x, x, x, {
      attnMask: options.srcMask,
      keyPaddingMask: options.srcKeyPaddingMask,
      needWeights: false,
    });
    return this.dropout1.forward(y);
  }

  private ffBlock(x: Tensor): Tensor {
    const act = this.activation;
    const h = this.linear1.forward(x);
    const a = act === 'relu' ? F.relu(h) : act === 'gelu' ? F.gelu(h) : act(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }

  override extraRepr(): string {
    const act = typeof this.activation === 'function' ? 'custom' : this.activation;
    return `d_model=${this.dModel}, nhead=${this.nhead}, dropout=${pyFloat(this.dropout.p)}, activation=${act}, norm_first=${pyBool(this.normFirst)}`;
  }
}

/** Options of `TransformerEncoder`. */
export interface TransformerEncoderOptions {
  /** A final normalisation after the last layer (PyTorch's `norm`). */
  norm?: Module | null;
}

/**
 * A stack of `numLayers` copies of `encoderLayer` (each starting from the same parameters,
 * as PyTorch's deepcopy), named `layers.0`, `layers.1`, ..., then an optional `norm`.
 *
 * @example
 * ```ts
 * const encoder = new TransformerEncoder(new TransformerEncoderLayer(64, 4), 3, { norm: new LayerNorm(64) });
 * encoder.forward(tl.randn([10, 2, 64]), { srcMask: causalMask });
 * ```
 */
export class TransformerEncoder extends Module {
  layers: ModuleList<TransformerEncoderLayer>;
  norm: Module | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 0) throw new Error(`TransformerEncoder: numLayers must be a non-negative integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = options.norm ?? null;
    this.numLayers = numLayers;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}
