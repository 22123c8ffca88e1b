/**
 * `TransformerEncoderLayer`, `TransformerEncoder`, `TransformerDecoderLayer`,
 * `TransformerDecoder` and `Transformer`, PyTorch's modules with their submodule names
 * (`self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`, `norm1`..`norm3`,
 * `dropout1`..`dropout3`; `layers.0...`, `norm`; `encoder`, `decoder`), so state dicts move
 * between the two.
 */
import type { Tensor } from '@tensile/core';
import * as F from '../functional.js';
import * as init from '../init.js';
import { Module, ModuleList } from '../module.js';
import { MultiheadAttention, generateSquareSubsequentMask } from './attention.js';
import { checkOptions } from '../options.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';

/** The keyword options the encoder and decoder layers take. */
const LAYER_OPTIONS = ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'bias'];

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

/** Options of `TransformerDecoderLayer`: the same keyword arguments as the encoder layer's. */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/** Per-call options of the encoder layers. */
export interface TransformerEncoderForwardOptions {
  /** `[S, S]` or `[batch*nhead, S, S]` attention mask (bool: `true` is forbidden; float: added). */
  srcMask?: Tensor | null;
  /** `[batch, S]` padding mask (bool: `true` is padding; float: added). */
  srcKeyPaddingMask?: Tensor | null;
}

/** Per-call options of the decoder layers (`T`: target length, `S`: memory length). */
export interface TransformerDecoderForwardOptions {
  /** `[T, T]` or `[batch*nhead, T, T]` self-attention mask, usually `generateSquareSubsequentMask(T)`. */
  tgtMask?: Tensor | null;
  /** `[T, S]` or `[batch*nhead, T, S]` mask of the attention over `memory`. */
  memoryMask?: Tensor | null;
  /** `[batch, T]` padding mask of the target (bool: `true` is padding; float: added). */
  tgtKeyPaddingMask?: Tensor | null;
  /** `[batch, S]` padding mask of the memory (bool: `true` is padding; float: added). */
  memoryKeyPaddingMask?: Tensor | null;
}

function checkActivation(layer: string, activation: TransformerActivation): void {
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
    throw new Error(`${layer}: activation should be relu/gelu or a function, not ${String(activation)}`);
  }
}

function activate(activation: TransformerActivation, x: Tensor): Tensor {
  return activation === 'relu' ? F.relu(x) : activation === 'gelu' ? F.gelu(x) : activation(x);
}

/** The defaults both layer kinds fill in from their options, checked under the layer's name. */
function layerSettings(layer: string, options: TransformerEncoderLayerOptions) {
  checkOptions(layer, options, LAYER_OPTIONS);
  const dimFeedforward = options.dimFeedforward ?? 2048;
  const p = options.dropout ?? 0.1;
  const bias = options.bias ?? true;
  const eps = options.layerNormEps ?? 1e-5;
  const activation = options.activation ?? 'relu';
  checkActivation(layer, activation);
  return { dimFeedforward, p, bias, eps, activation };
}

/** Attention (without weights) then its dropout: the self- and cross-attention sub-blocks of both layers. */
function attentionBlock(
  attn: MultiheadAttention,
  dropout: Dropout,
  query: Tensor,
  keyValue: Tensor,
  attnMask: Tensor | null | undefined,
  keyPaddingMask: Tensor | null | undefined,
): Tensor {
  const [y] = attn.forward(query, keyValue, keyValue, { attnMask, keyPaddingMask, needWeights: false });
  return dropout.forward(y);
}

/** linear1 → activation → dropout → linear2 → the layer's last dropout: the feed-forward block of both layers. */
function feedForwardBlock(
  layer: { activation: TransformerActivation; linear1: Linear; dropout: Dropout; linear2: Linear },
  outDropout: Dropout,
  x: Tensor,
): Tensor {
  const a = activate(layer.activation, layer.linear1.forward(x));
  return outDropout.forward(layer.linear2.forward(layer.dropout.forward(a)));
}

const STATE_NAMES: Record<string, string> = { selfAttn: 'self_attn', multiheadAttn: 'multihead_attn' };

/** `copy` with `layer`'s parameters and training mode: the layers' `clone()` (PyTorch's deepcopy). */
function withStateOf<T extends Module>(copy: T, layer: Module): T {
  copy.loadStateDict(layer.stateDict());
  copy.train(layer.training);
  return copy;
}

/**
 * What the encoder and decoder layers share besides their submodules: the configuration that
 * `clone()` rebuilds them from, and PyTorch's snake_case names of the attention submodules.
 */
abstract class TransformerLayerBase extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly activation: TransformerActivation;
  /** The constructor's arguments, for `clone()`. */
  readonly options: Readonly<TransformerEncoderLayerOptions>;

  protected constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions, activation: TransformerActivation) {
    super();
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = options.normFirst ?? false;
    this.activation = activation;
    this.options = { ...options };
  }

  protected override stateName(field: string): string {
    return STATE_NAMES[field] ?? field;
  }
}

/**
 * What the encoder and decoder stacks share: `numLayers` copies of a layer (each starting from
 * its parameters, as PyTorch's deepcopy), named `layers.0`, `layers.1`, ..., then an optional
 * `norm`.
 */
abstract class LayerStack<Layer extends Module> extends Module {
  layers: ModuleList<Layer>;
  norm: Module | null;
  readonly numLayers: number;

  protected constructor(name: string, layer: Layer, numLayers: number, options: TransformerEncoderOptions) {
    super();
    checkOptions(name, options, ['norm']);
    if (!Number.isInteger(numLayers) || numLayers < 0) throw new Error(`${name}: numLayers must be a non-negative integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => layer.clone()));
    this.norm = options.norm ?? null;
    this.numLayers = numLayers;
  }
}

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
export class TransformerEncoderLayer extends TransformerLayerBase {
  selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    const settings = layerSettings('TransformerEncoderLayer', options);
    super(dModel, nhead, options, settings.activation);
    const { dimFeedforward, p, bias, eps } = settings;
    this.selfAttn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: options.batchFirst ?? false });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }

  /** A new layer with the same configuration and a copy of this one's parameters (PyTorch's deepcopy). */
  override clone(): this {
    return withStateOf(new TransformerEncoderLayer(this.dModel, this.nhead, this.options), this) as this;
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
    return attentionBlock(this.selfAttn, this.dropout1, x, x, options.srcMask, options.srcKeyPaddingMask);
  }

  private ffBlock(x: Tensor): Tensor {
    return feedForwardBlock(this, this.dropout2, x);
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
export class TransformerEncoder extends LayerStack<TransformerEncoderLayer> {
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super('TransformerEncoder', encoderLayer, numLayers, options);
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/**
 * One transformer decoder block: self-attention over the target, attention over the
 * encoder's output (`memory`), then a feed-forward network, each with a residual connection
 * and layer norm (after, or before with `normFirst`):
 *
 *     post-norm: x = norm1(x + SA(x));  x = norm2(x + MHA(x, memory));  x = norm3(x + FF(x))
 *     pre-norm:  x = x + SA(norm1(x));  x = x + MHA(norm2(x), memory);  x = x + FF(norm3(x))
 *
 * `forward(tgt, memory, options?)` takes `tgt` `[T, N, dModel]` and `memory`
 * `[S, N, dModel]` (`[N, T, dModel]` with `batchFirst`, or without the batch dim unbatched)
 * and returns a tensor shaped like `tgt`.
 *
 * @example
 * ```ts
 * const layer = new TransformerDecoderLayer(512, 8, { batchFirst: true });
 * const memory = tl.randn([32, 10, 512]);
 * const tgt = tl.randn([32, 20, 512]);
 * layer.forward(tgt, memory, { tgtMask: generateSquareSubsequentMask(20) }); // [32, 20, 512]
 * ```
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  selfAttn: MultiheadAttention;
  multiheadAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerDecoderLayerOptions = {}) {
    const settings = layerSettings('TransformerDecoderLayer', options);
    super(dModel, nhead, options, settings.activation);
    const { dimFeedforward, p, bias, eps } = settings;
    const attention = { dropout: p, bias, batchFirst: options.batchFirst ?? false };
    this.selfAttn = new MultiheadAttention(dModel, nhead, attention);
    this.multiheadAttn = new MultiheadAttention(dModel, nhead, attention);
    this.linear1 = new Linear(dModel, dimFeedforward, { bias });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.norm3 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
  }

  /** A new layer with the same configuration and a copy of this one's parameters (PyTorch's deepcopy). */
  override clone(): this {
    return withStateOf(new TransformerDecoderLayer(this.dModel, this.nhead, this.options), this) as this;
  }

  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), options));
      x = x.add(this.mhaBlock(this.norm2.forward(x), memory, options));
      x = x.add(this.ffBlock(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, options)));
      x = this.norm2.forward(x.add(this.mhaBlock(x, memory, options)));
      x = this.norm3.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, options: TransformerDecoderForwardOptions): Tensor {
    return attentionBlock(this.selfAttn, this.dropout1, x, x, options.tgtMask, options.tgtKeyPaddingMask);
  }

  private mhaBlock(x: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions): Tensor {
    return attentionBlock(this.multiheadAttn, this.dropout2, x, memory, options.memoryMask, options.memoryKeyPaddingMask);
  }

  private ffBlock(x: Tensor): Tensor {
    return feedForwardBlock(this, this.dropout3, x);
  }
}

/** Options of `TransformerDecoder`: the same as the encoder's. */
export interface TransformerDecoderOptions extends TransformerEncoderOptions {}

/**
 * A stack of `numLayers` copies of `decoderLayer` (each starting from the same parameters,
 * as PyTorch's deepcopy), named `layers.0`, `layers.1`, ..., then an optional `norm`. Every
 * layer attends to the same `memory`.
 *
 * @example
 * ```ts
 * const decoder = new TransformerDecoder(new TransformerDecoderLayer(64, 4), 3, { norm: new LayerNorm(64) });
 * decoder.forward(tl.randn([7, 2, 64]), memory, { tgtMask: generateSquareSubsequentMask(7) }); // [7, 2, 64]
 * ```
 */
export class TransformerDecoder extends LayerStack<TransformerDecoderLayer> {
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: TransformerDecoderOptions = {}) {
    super('TransformerDecoder', decoderLayer, numLayers, options);
  }

  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderForwardOptions = {}): Tensor {
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, options);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** Options of `Transformer` (PyTorch's keyword arguments, camelCased), plus the layers' options. */
export interface TransformerOptions extends TransformerEncoderLayerOptions {
  /** Features of the encoder and decoder inputs (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /** Use this encoder instead of the default stack; called as `forward(src, { srcMask, srcKeyPaddingMask })`. */
  customEncoder?: Module | null;
  /** Use this decoder instead of the default stack; called as `forward(tgt, memory, options)`. */
  customDecoder?: Module | null;
}

/** Per-call options of `Transformer.forward`: the encoder's and the decoder's masks. */
export interface TransformerForwardOptions extends TransformerEncoderForwardOptions, TransformerDecoderForwardOptions {}

/**
 * The encoder-decoder transformer of "Attention Is All You Need", PyTorch's
 * `nn.Transformer`: a `TransformerEncoder` (`encoder`, with a final `LayerNorm`) over the
 * source and a `TransformerDecoder` (`decoder`, with a final `LayerNorm`) over the target
 * that attends to the encoder's output. Every parameter of rank > 1 is re-initialised
 * Xavier-uniform, as PyTorch does (custom encoders and decoders included).
 *
 * `forward(src, tgt, options?)` takes `src` `[S, N, dModel]` and `tgt` `[T, N, dModel]`
 * (`[N, S, dModel]` with `batchFirst`, or without the batch dim unbatched) and returns a
 * tensor shaped like `tgt`. There is no embedding or output projection.
 *
 * @example
 * ```ts
 * const model = new Transformer({ dModel: 64, nhead: 4, numEncoderLayers: 2, numDecoderLayers: 2, batchFirst: true });
 * const src = tl.randn([8, 12, 64]);
 * const tgt = tl.randn([8, 9, 64]);
 * const out = model.forward(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(9) }); // [8, 9, 64]
 * ```
 */
export class Transformer extends Module {
  encoder: Module;
  decoder: Module;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(options: TransformerOptions = {}) {
    super();
    checkOptions('Transformer', options, ['dModel', 'nhead', 'numEncoderLayers', 'numDecoderLayers', 'customEncoder', 'customDecoder', ...LAYER_OPTIONS]);
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, customEncoder, customDecoder, ...layer } = options;
    const eps = layer.layerNormEps ?? 1e-5;
    const bias = layer.bias ?? true;
    this.encoder =
      customEncoder ?? new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layer), numEncoderLayers, { norm: new LayerNorm(dModel, { eps, bias }) });
    this.decoder =
      customDecoder ?? new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layer), numDecoderLayers, { norm: new LayerNorm(dModel, { eps, bias }) });
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layer.batchFirst ?? false;
    this.resetParameters();
  }

  /** PyTorch's `_reset_parameters`: Xavier-uniform for every parameter of rank > 1. */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.rank > 1) init.xavierUniform_(p);
  }

  /** The causal mask for `sz` positions: `generateSquareSubsequentMask`, as PyTorch's static method. */
  static generateSquareSubsequentMask(sz: number, options: Parameters<typeof generateSquareSubsequentMask>[1] = {}): Tensor {
    return generateSquareSubsequentMask(sz, options);
  }

  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    checkOptions('Transformer.forward', options, ['srcMask', 'srcKeyPaddingMask', 'tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask']);
    const batchDim = this.batchFirst ? 0 : 1;
    if (src.rank === 3 && src.shape[batchDim] !== tgt.shape[batchDim]) {
      throw new Error(`Transformer: the batch number of src and tgt must be equal, got ${src.shape[batchDim]} and ${tgt.shape[batchDim]}`);
    }
    if (src.shape[src.rank - 1] !== this.dModel || tgt.shape[tgt.rank - 1] !== this.dModel) {
      throw new Error(`Transformer: the feature number of src and tgt must be equal to dModel=${this.dModel}, got ${src.shape[src.rank - 1]} and ${tgt.shape[tgt.rank - 1]}`);
    }
    const memory = this.encoder.forward(src, { srcMask: options.srcMask, srcKeyPaddingMask: options.srcKeyPaddingMask });
    return this.decoder.forward(tgt, memory, {
      tgtMask: options.tgtMask,
      memoryMask: options.memoryMask,
      tgtKeyPaddingMask: options.tgtKeyPaddingMask,
      memoryKeyPaddingMask: options.memoryKeyPaddingMask,
    });
  }
}
