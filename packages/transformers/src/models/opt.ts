/**
 * OPT (`OPTForCausalLM`, `model_type: 'opt'`) with the hub's module names:
 * `model.decoder.{embed_tokens, embed_positions, project_in, project_out, final_layer_norm}`,
 * `model.decoder.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2,
 * final_layer_norm}`, and `lm_head` tied to `embed_tokens`.
 *
 * Positions are learned, with OPT's offset of 2 (row `p + 2` of `embed_positions` for position
 * `p`), counted from the attention mask as the hub does. `do_layer_norm_before` chooses pre-norm
 * blocks with a final layer norm (opt-125m and most sizes) or post-norm blocks without one
 * (opt-350m); `word_embed_proj_dim` other than `hidden_size` adds the `project_in` and
 * `project_out` projections around the decoder (opt-350m).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, ModuleList, functional as F } from '@tensile/nn';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, type CausalLMForwardOptions, type CausalLMOutput, type DecoderLayout } from '../generation.js';
import { KVCache, activation, attend, attentionMask, denseLayer, initEmbeddings, mergeHeads, paddingRow, splitHeads, tracedAttentionMask } from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of an OPT config.json this implementation reads. */
export interface OPTConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  ffn_dim: number;
  max_position_embeddings?: number;
  /** The token embedding's width (default `hidden_size`); another width adds `project_in` / `project_out`. */
  word_embed_proj_dim?: number | null;
  do_layer_norm_before?: boolean;
  _remove_final_layer_norm?: boolean;
  layer_norm_elementwise_affine?: boolean;
  enable_bias?: boolean;
  activation_function?: string;
  dropout?: number;
  attention_dropout?: number;
  /** Must be 0: dropping whole layers while training is not implemented. */
  layerdrop?: number;
  init_std?: number;
  pad_token_id?: number | null;
  tie_word_embeddings?: boolean;
}

/** OPT's learned positions start at row 2 of `embed_positions` (fairseq's padding offset). */
const OFFSET = 2;

interface Settings {
  vocab: number;
  hidden: number;
  embedDim: number;
  inner: number;
  layers: number;
  heads: number;
  headDim: number;
  maxPositions: number;
  preNorm: boolean;
  finalNorm: boolean;
  affine: boolean;
  bias: boolean;
  act: (x: Tensor) => Tensor;
  dropout: number;
  attnDropout: number;
  pad: number | null;
  tie: boolean;
  std: number;
}

const W = 'OPTForCausalLM';

function settings(c: OPTConfig): Settings {
  const hidden = field<number>(c, 'hidden_size', undefined, W);
  const heads = field<number>(c, 'num_attention_heads', undefined, W);
  if (hidden % heads !== 0) throw new Error(`${W}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const layerdrop = field<number>(c, 'layerdrop', 0, W);
  if (layerdrop !== 0) throw new Error(`${W}: layerdrop ${layerdrop} is not supported (only 0)`);
  const vocab = field<number>(c, 'vocab_size', undefined, W);
  const preNorm = field<boolean>(c, 'do_layer_norm_before', true, W);
  const pad = c.pad_token_id === null ? null : field<number>(c, 'pad_token_id', 1, W); // OPTConfig's default is 1
  return {
    vocab,
    hidden,
    embedDim: field<number>(c, 'word_embed_proj_dim', hidden, W),
    inner: field<number>(c, 'ffn_dim', undefined, W),
    layers: field<number>(c, 'num_hidden_layers', undefined, W),
    heads,
    headDim: hidden / heads,
    maxPositions: field<number>(c, 'max_position_embeddings', 2048, W),
    preNorm,
    finalNorm: preNorm && !field<boolean>(c, '_remove_final_layer_norm', false, W),
    affine: field<boolean>(c, 'layer_norm_elementwise_affine', true, W),
    bias: field<boolean>(c, 'enable_bias', true, W),
    act: activation(field<string>(c, 'activation_function', 'relu', W), W),
    dropout: field<number>(c, 'dropout', 0.1, W),
    attnDropout: field<number>(c, 'attention_dropout', 0, W),
    // The embedding's padding row (no gradient from the lookup, as nn.Embedding's padding_idx).
    pad: paddingRow(pad, vocab),
    tie: field<boolean>(c, 'tie_word_embeddings', true, W),
    std: field<number>(c, 'init_std', 0.02, W),
  };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', outProj: 'out_proj', selfAttn: 'self_attn', selfAttnLayerNorm: 'self_attn_layer_norm',
  finalLayerNorm: 'final_layer_norm', embedTokens: 'embed_tokens', embedPositions: 'embed_positions', projectIn: 'project_in',
  projectOut: 'project_out', lmHead: 'lm_head',
};

const layerNorm = (s: Settings): LayerNorm => new LayerNorm(s.hidden, { elementwiseAffine: s.affine });

class OPTAttention extends Module {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  outProj: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.kProj = denseLayer(s.hidden, s.hidden, s.std, s.bias);
    this.vProj = denseLayer(s.hidden, s.hidden, s.std, s.bias);
    this.qProj = denseLayer(s.hidden, s.hidden, s.std, s.bias);
    this.outProj = denseLayer(s.hidden, s.hidden, s.std, s.bias);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const q = splitHeads(this.qProj.forward(x), this.s.heads);
      const k = splitHeads(this.kProj.forward(x), this.s.heads);
      const v = splitHeads(this.vProj.forward(x), this.s.heads);
      const [keys, values] = cache ? cache.update(layer, k, v) : [k, v];
      const y = attend(q, keys, values, allowed, this.s.headDim ** -0.5, this.s.attnDropout, this.training);
      return this.outProj.forward(mergeHeads(y));
    });
  }
}

class OPTDecoderLayer extends Module {
  selfAttn: OPTAttention;
  selfAttnLayerNorm: LayerNorm;
  fc1: Linear;
  fc2: Linear;
  finalLayerNorm: LayerNorm;
  constructor(private readonly s: Settings) {
    super();
    this.selfAttn = new OPTAttention(s);
    this.selfAttnLayerNorm = layerNorm(s);
    this.fc1 = denseLayer(s.hidden, s.inner, s.std, s.bias);
    this.fc2 = denseLayer(s.inner, s.hidden, s.std, s.bias);
    this.finalLayerNorm = layerNorm(s);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const { preNorm, dropout } = this.s;
      let h = preNorm ? this.selfAttnLayerNorm.forward(x) : x;
      h = x.add(F.dropout(this.selfAttn.forward(h, allowed, cache, layer), dropout, this.training));
      if (!preNorm) h = this.selfAttnLayerNorm.forward(h);
      const y = preNorm ? this.finalLayerNorm.forward(h) : h;
      const out = h.add(F.dropout(this.fc2.forward(this.s.act(this.fc1.forward(y))), dropout, this.training));
      return preNorm ? out : this.finalLayerNorm.forward(out);
    });
  }
}

/** The hub's `OPTDecoder`: embeddings (and projections), the layers, the final layer norm when pre-norm. */
export class OPTDecoder extends Module {
  embedTokens: Embedding;
  embedPositions: Embedding;
  projectOut: Linear | null;
  projectIn: Linear | null;
  finalLayerNorm: LayerNorm | null;
  layers: ModuleList<OPTDecoderLayer>;
  private readonly s: Settings;

  constructor(config: OPTConfig) {
    super();
    const s = settings(config);
    this.s = s;
    this.embedTokens = new Embedding(s.vocab, s.embedDim, { paddingIdx: s.pad });
    this.embedPositions = new Embedding(s.maxPositions + OFFSET, s.hidden);
    initEmbeddings([this.embedTokens, this.embedPositions], s.std);
    const project = s.embedDim !== s.hidden;
    this.projectOut = project ? denseLayer(s.hidden, s.embedDim, s.std, false) : null;
    this.projectIn = project ? denseLayer(s.embedDim, s.hidden, s.std, false) : null;
    this.finalLayerNorm = s.finalNorm ? layerNorm(s) : null;
    this.layers = new ModuleList(Array.from({ length: s.layers }, () => new OPTDecoderLayer(s)));
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, word_embed_proj_dim]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const where = 'OPTDecoder.forward';
      const { cache, past, keyMask, positions, traced } = decoderInputs(inputIds, options, where);
      const device = this.embedTokens.weight.device;
      let rows: Tensor;
      if (traced) {
        // Traced (exported): the same positions with tensor ops, so the file follows batch and seq.
        if (t > this.s.maxPositions) throw new Error(`${where}: ${t} positions exceed max_position_embeddings ${this.s.maxPositions}`);
        const counted = traced.mask ? traced.mask.cumsum(1).mul(traced.mask).sub(1) : traced.positions;
        rows = counted.add(OFFSET);
      } else {
        // The hub's OPTLearnedPositionalEmbedding: cumsum(mask) · mask - 1 (padding at -1) unless positions are given.
        const pos = options.positionIds || !keyMask ? positions : keyMask.map((row) => {
          let seen = 0;
          return row.map((m) => (m ? seen++ : -1)).slice(past);
        });
        const last = Math.max(...pos.flat());
        if (last >= this.s.maxPositions) throw new Error(`${where}: position ${last} exceeds max_position_embeddings ${this.s.maxPositions}`);
        rows = tl.tensor(pos.flat().map((p) => p + OFFSET), { dtype: 'int32', device }).reshape([b, t]);
      }
      let x = this.embedTokens.forward(inputIds);
      if (this.projectIn) x = this.projectIn.forward(x);
      x = x.add(this.embedPositions.forward(rows));
      const allowed = traced ? tracedAttentionMask(inputIds, traced) : attentionMask(b, t, past + t, { keyMask, device });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, allowed, cache, i++);
      cache?.advance();
      if (this.finalLayerNorm) x = this.finalLayerNorm.forward(x);
      if (this.projectOut) x = this.projectOut.forward(x);
      return x;
    });
  }
}

/** The hub's `OPTModel`: the decoder under `decoder`. */
export class OPTModel extends Module {
  decoder: OPTDecoder;
  constructor(config: OPTConfig) {
    super();
    this.decoder = new OPTDecoder(config);
  }
  /** `inputIds` `[B, T]` → hidden states `[B, T, word_embed_proj_dim]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return this.decoder.forward(inputIds, options);
  }
}

/**
 * OPT with its language-model head (`OPTForCausalLM`), `lm_head` tied to
 * `model.decoder.embed_tokens` unless `tie_word_embeddings` is false.
 *
 * @example
 * ```ts
 * const opt = await OPTForCausalLM.fromPretrained('facebook/opt-125m', { device: 'wasm' });
 * const out = await opt.generate([tokenizer.encode('Hello, I am')], { maxNewTokens: 20 });
 * ```
 */
export class OPTForCausalLM extends CausalLM {
  static readonly modelTypes = ['opt'] as const;
  static readonly keyRules: KeyRules = { basePrefix: 'model', ignore: [/^lm_head\.weight$/] };

  model: OPTModel;
  lmHead: Module & { weight: Tensor };
  private readonly s: Settings;

  constructor(config: OPTConfig) {
    super(config);
    if (config.model_type !== undefined && config.model_type !== 'opt') throw new Error(`${W}: model_type '${config.model_type}' is not one it reads (opt)`);
    this.s = settings(config);
    this.model = new OPTModel(config);
    this.lmHead = this.s.tie ? new TiedHead(this.model.decoder.embedTokens) : denseLayer(this.s.embedDim, this.s.vocab, this.s.std, false);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return this.s.tie ? ['lm_head.weight'] : [];
  }

  protected get layout(): DecoderLayout {
    return { layers: this.s.layers, kvHeads: this.s.heads, headDim: this.s.headDim, maxPositions: this.s.maxPositions };
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab], loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.model.forward(inputIds, options), options.logitsToKeep);
      return causalLMOutput(h.matmul(this.lmHead.weight.t()), options.labels);
    });
  }
}
