/**
 * Phi (`PhiForCausalLM`, `model_type` phi: microsoft/phi-1, phi-1_5, phi-2) under the hub's
 * names `model.embed_tokens`, `model.layers.N.{input_layernorm, self_attn.{q_proj, k_proj,
 * v_proj, dense, q_layernorm?, k_layernorm?}, mlp.{fc1, fc2}}`, `model.final_layernorm`,
 * `lm_head` (with a bias). Each layer is one LayerNorm feeding attention and the MLP in
 * parallel, `x + attn(ln(x)) + mlp(ln(x))`; rotary embeddings turn the first
 * `partial_rotary_factor` of each head; every linear layer has a bias. The attention scores are
 * computed in float32 whatever the weights' dtype, as the hub's PhiAttention upcasts queries
 * and keys (phi-2's products overflow float16).
 *
 * The attention over the cache, the rotary tables and the masks are Llama's (`./llama.ts`,
 * `../layers.ts`).
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, ModuleList, Parameter, functional as F } from '@tensile/nn';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, type CausalLMForwardOptions, type CausalLMOutput, type DecoderLayout } from '../generation.js';
import { KVCache, activation, attentionMask, denseLayer, initEmbeddings, paddingRow, param, ropeInverseFrequencies, rotaryTables, tracedAttentionMask, tracedRotaryTables, type RopeScaling } from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { Attention, type AttentionSettings } from './llama.js';

/** The fields of a Phi config.json this implementation reads (PhiConfig's defaults where optional). */
export interface PhiConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Grouped-query attention; null or absent: num_attention_heads. */
  num_key_value_heads?: number | null;
  /** Activation of the MLP (default gelu_new, the tanh approximation). */
  hidden_act?: string;
  max_position_embeddings?: number;
  layer_norm_eps?: number;
  rope_theta?: number;
  /** null, linear or llama3 (PhiConfig's dynamic scaling is refused). */
  rope_scaling?: RopeScaling | null;
  /** The share of each head the rotary embedding turns (default 0.5; phi-2 has 0.4). */
  partial_rotary_factor?: number;
  /** LayerNorms over each query and key head (`self_attn.q_layernorm`, `self_attn.k_layernorm`). */
  qk_layernorm?: boolean;
  resid_pdrop?: number;
  embd_pdrop?: number;
  attention_dropout?: number;
  tie_word_embeddings?: boolean;
  initializer_range?: number;
}

interface Settings extends AttentionSettings {
  vocab: number;
  /** The embedding's padding row (`pad_token_id`), or null. */
  pad: number | null;
  hidden: number;
  inner: number;
  layers: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  qkLayernorm: boolean;
  residDropout: number;
  embdDropout: number;
  tie: boolean;
  maxPositions: number;
  invFreq: Float32Array;
  std: number;
}

function settings(c: PhiConfig): Settings {
  const w = 'PhiForCausalLM';
  const hidden = field<number>(c, 'hidden_size', undefined, w);
  const heads = field<number>(c, 'num_attention_heads', undefined, w);
  if (hidden % heads !== 0) throw new Error(`${w}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const kvHeads = (c.num_key_value_heads ?? null) === null ? heads : (c.num_key_value_heads as number);
  if (heads % kvHeads !== 0) throw new Error(`${w}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = hidden / heads;
  // PhiConfig has no head_dim: its q_layernorm and k_layernorm are hidden_size / heads wide.
  if ((c.head_dim ?? null) !== null && c.head_dim !== headDim) {
    throw new Error(`${w}: head_dim ${String(c.head_dim)} is not supported (Phi's heads are hidden_size / num_attention_heads = ${headDim})`);
  }
  const factor = field<number>(c, 'partial_rotary_factor', 0.5, w);
  // The hub's int(head_dim * partial_rotary_factor).
  const rotary = Math.floor(headDim * factor);
  if (!(factor > 0 && factor <= 1) || rotary === 0 || rotary % 2 !== 0) {
    throw new Error(`${w}: partial_rotary_factor ${factor} is not supported (it gives ${rotary} rotary features of a ${headDim}-wide head; they must be even and more than 0)`);
  }
  return {
    vocab: field<number>(c, 'vocab_size', undefined, w),
    pad: paddingRow(c.pad_token_id, field<number>(c, 'vocab_size', undefined, w)),
    hidden,
    inner: field<number>(c, 'intermediate_size', undefined, w),
    layers: field<number>(c, 'num_hidden_layers', undefined, w),
    heads,
    kvHeads,
    headDim,
    act: activation(field<string>(c, 'hidden_act', 'gelu_new', w), w),
    eps: field<number>(c, 'layer_norm_eps', 1e-5, w),
    qkLayernorm: field<boolean>(c, 'qk_layernorm', false, w),
    residDropout: field<number>(c, 'resid_pdrop', 0, w),
    embdDropout: field<number>(c, 'embd_pdrop', 0, w),
    attnDropout: field<number>(c, 'attention_dropout', 0, w),
    // phi-2's queries and keys overflow float16 in their product: the hub's Phi upcast them.
    scoresInFloat32: true,
    tie: field<boolean>(c, 'tie_word_embeddings', false, w),
    maxPositions: field<number>(c, 'max_position_embeddings', 2048, w),
    invFreq: ropeInverseFrequencies(rotary, field<number>(c, 'rope_theta', 10000, w), c.rope_scaling, w),
    std: field<number>(c, 'initializer_range', 0.02, w),
  };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', qLayernorm: 'q_layernorm', kLayernorm: 'k_layernorm',
  selfAttn: 'self_attn', inputLayernorm: 'input_layernorm', embedTokens: 'embed_tokens', finalLayernorm: 'final_layernorm', lmHead: 'lm_head',
};

/** Phi's attention: biased q, k, v and `dense` projections, optional LayerNorms over each query and key head. */
class PhiAttention extends Attention {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  dense: Linear;
  qLayernorm: LayerNorm | null;
  kLayernorm: LayerNorm | null;
  constructor(s: Settings) {
    super(s);
    this.qProj = denseLayer(s.hidden, s.heads * s.headDim, s.std);
    this.kProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std);
    this.vProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std);
    this.dense = denseLayer(s.heads * s.headDim, s.hidden, s.std);
    this.qLayernorm = s.qkLayernorm ? new LayerNorm(s.headDim, { eps: s.eps }) : null;
    this.kLayernorm = s.qkLayernorm ? new LayerNorm(s.headDim, { eps: s.eps }) : null;
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  protected project(x: Tensor): Tensor[] {
    return [this.qProj.forward(x), this.kProj.forward(x), this.vProj.forward(x)];
  }
  protected output(y: Tensor): Tensor {
    return this.dense.forward(y);
  }
  protected override normalizeHeads(q: Tensor, k: Tensor): [Tensor, Tensor] {
    return this.qLayernorm && this.kLayernorm ? [this.qLayernorm.forward(q), this.kLayernorm.forward(k)] : [q, k];
  }
}

/** `fc2(act(fc1(x)))`. */
class PhiMLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.fc1 = denseLayer(s.hidden, s.inner, s.std);
    this.fc2 = denseLayer(s.inner, s.hidden, s.std);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.fc2.forward(this.s.act(this.fc1.forward(x))));
  }
}

/** One LayerNorm, then attention and the MLP side by side: `attn(ln(x)) + mlp(ln(x)) + x`. */
class PhiDecoderLayer extends Module {
  selfAttn: PhiAttention;
  mlp: PhiMLP;
  inputLayernorm: LayerNorm;
  constructor(private readonly s: Settings) {
    super();
    this.selfAttn = new PhiAttention(s);
    this.mlp = new PhiMLP(s);
    this.inputLayernorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const drop = (y: Tensor) => (this.s.residDropout > 0 ? F.dropout(y, this.s.residDropout, this.training) : y);
      const h = this.inputLayernorm.forward(x);
      const attn = drop(this.selfAttn.forward(h, cos, sin, allowed, cache, layer));
      // The hub's order of the sum: attention, then the MLP, then the residual.
      return attn.add(drop(this.mlp.forward(h))).add(x);
    });
  }
}

/** The Phi decoder without its head (`PhiModel`). */
export class PhiModel extends Module {
  embedTokens: Embedding;
  layers: ModuleList<PhiDecoderLayer>;
  finalLayernorm: LayerNorm;
  private readonly s: Settings;

  constructor(config: PhiConfig) {
    super();
    const s = settings(config);
    this.s = s;
    // pad_token_id's row is the embedding's padding row, as the hub's nn.Embedding(..., padding_idx): no gradient reaches it.
    this.embedTokens = new Embedding(s.vocab, s.hidden, { paddingIdx: s.pad });
    initEmbeddings([this.embedTokens], s.std);
    this.layers = new ModuleList(Array.from({ length: s.layers }, () => new PhiDecoderLayer(s)));
    this.finalLayernorm = new LayerNorm(s.hidden, { eps: s.eps });
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, hidden_size]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const { cache, past, keyMask, positions, traced } = decoderInputs(inputIds, options, 'PhiModel.forward');
      let x = this.embedTokens.forward(inputIds);
      if (this.s.embdDropout > 0) x = F.dropout(x, this.s.embdDropout, this.training);
      const device = x.device;
      // Traced (exported): tables and mask from tensors, so the file follows batch and seq.
      const [cos, sin] = traced ? tracedRotaryTables(traced.positions, this.s.invFreq, x.dtype) : rotaryTables(positions, this.s.invFreq, device, x.dtype);
      const allowed = traced ? tracedAttentionMask(inputIds, traced) : attentionMask(b, t, past + t, { keyMask, device });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, cos, sin, allowed, cache, i++);
      cache?.advance();
      return this.finalLayernorm.forward(x);
    });
  }
}

/** Phi's head with `tie_word_embeddings`: the embedding's weight, and a bias of its own. */
class TiedBiasedHead extends Module {
  weight: Embedding['weight'];
  bias: Parameter;
  constructor(embedding: Embedding) {
    super();
    this.weight = embedding.weight;
    this.bias = param([embedding.weight.shape[0]]);
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/**
 * Phi with its language-model head (`PhiForCausalLM`): `lm_head` has a bias, and its weight
 * is tied to `model.embed_tokens` when `tie_word_embeddings` is set (false in microsoft's
 * checkpoints). `qk_layernorm`, grouped-query `num_key_value_heads`, `rope_theta`,
 * `rope_scaling` (linear or llama3), `resid_pdrop`, `embd_pdrop` and `attention_dropout`
 * (while training) are read from the config.
 *
 * @example
 * ```ts
 * const phi = await PhiForCausalLM.fromPretrained('microsoft/phi-2', { device: 'webgpu' });
 * const out = await phi.generate([tokenizer.encode('def fibonacci(n):')], { maxNewTokens: 64 });
 * ```
 */
export class PhiForCausalLM extends CausalLM {
  static readonly modelTypes: readonly string[] = ['phi'];
  static readonly keyRules: KeyRules = {
    basePrefix: 'model',
    ignore: [/rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  };

  model: PhiModel;
  lmHead: Linear | TiedBiasedHead;
  private readonly s: Settings;

  constructor(config: PhiConfig) {
    super(config);
    if (config.model_type !== undefined && config.model_type !== 'phi') {
      throw new Error(`PhiForCausalLM: model_type '${config.model_type}' is not one it reads (phi)`);
    }
    this.s = settings(config);
    this.model = new PhiModel(config);
    this.lmHead = this.s.tie ? new TiedBiasedHead(this.model.embedTokens) : denseLayer(this.s.hidden, this.s.vocab, this.s.std);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return this.s.tie ? ['lm_head.weight'] : [];
  }

  protected get layout(): DecoderLayout {
    return { layers: this.s.layers, kvHeads: this.s.kvHeads, headDim: this.s.headDim, maxPositions: this.s.maxPositions };
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab] (float32), loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.model.forward(inputIds, options), options.logitsToKeep);
      const logits = this.lmHead.forward(h);
      return causalLMOutput(logits.dtype === 'float32' ? logits : logits.float(), options.labels);
    });
  }
}
