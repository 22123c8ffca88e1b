/**
 * Llama-style causal LMs (`LlamaForCausalLM`; also Qwen2's and Mistral's configs, and SmolLM,
 * which is a Llama): RMSNorm, rotary position embeddings (with `linear` and `llama3`
 * scaling), grouped-query attention and a SwiGLU MLP, under the hub's names
 * `model.embed_tokens`, `model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
 * post_attention_layernorm, mlp.{gate,up,down}_proj}`, `model.norm`, `lm_head`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, Linear, Module, ModuleList, init } from '@tensile/nn';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, type CausalLMForwardOptions, type CausalLMOutput } from '../generation.js';
import {
  KVCache, RMSNorm, activation, applyRotary, attend, attentionMask, denseLayer, mergeHeads, ropeInverseFrequencies, rotaryTables, splitHeads,
  type RopeScaling,
} from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of a Llama / Qwen2 / Mistral config.json this implementation reads. */
export interface LlamaConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number | null;
  head_dim?: number | null;
  hidden_act?: string;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  rope_scaling?: RopeScaling | null;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  attention_dropout?: number;
  tie_word_embeddings?: boolean;
  sliding_window?: number | null;
  use_sliding_window?: boolean;
  initializer_range?: number;
}

interface Settings {
  vocab: number;
  hidden: number;
  inner: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  tie: boolean;
  slidingWindow: number | null;
  maxPositions: number | null;
  invFreq: Float32Array;
  attnDropout: number;
  std: number;
}

function settings(c: LlamaConfig): Settings {
  const w = 'LlamaForCausalLM';
  const kind = c.model_type ?? 'llama';
  const hidden = field<number>(c, 'hidden_size', undefined, w);
  const heads = field<number>(c, 'num_attention_heads', undefined, w);
  const kvHeads = (c.num_key_value_heads ?? null) === null ? heads : (c.num_key_value_heads as number);
  if (heads % kvHeads !== 0) throw new Error(`${w}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  const headDim = (c.head_dim ?? null) === null ? hidden / heads : (c.head_dim as number);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`${w}: head_dim ${headDim} must be an even integer`);
  let qkvBias = field<boolean>(c, 'attention_bias', false, w);
  let oBias = qkvBias;
  let mlpBias = field<boolean>(c, 'mlp_bias', false, w);
  let slidingWindow: number | null = null;
  if (kind === 'qwen2') {
    qkvBias = true;
    oBias = false;
    mlpBias = false;
    if (c.use_sliding_window) throw new Error(`${w}: Qwen2's use_sliding_window (per-layer windows) is not supported`);
  } else if (kind === 'mistral') {
    qkvBias = oBias = mlpBias = false;
    slidingWindow = (c.sliding_window ?? null) as number | null;
  }
  return {
    vocab: field<number>(c, 'vocab_size', undefined, w),
    hidden,
    inner: field<number>(c, 'intermediate_size', undefined, w),
    layers: field<number>(c, 'num_hidden_layers', undefined, w),
    heads,
    kvHeads,
    headDim,
    act: activation(field<string>(c, 'hidden_act', 'silu', w), w),
    eps: field<number>(c, 'rms_norm_eps', 1e-6, w),
    qkvBias,
    oBias,
    mlpBias,
    tie: field<boolean>(c, 'tie_word_embeddings', false, w),
    slidingWindow,
    maxPositions: (c.max_position_embeddings ?? null) as number | null,
    invFreq: ropeInverseFrequencies(headDim, field<number>(c, 'rope_theta', 10000, w), c.rope_scaling, w),
    attnDropout: field<number>(c, 'attention_dropout', 0, w),
    std: field<number>(c, 'initializer_range', 0.02, w),
  };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', oProj: 'o_proj', gateProj: 'gate_proj', upProj: 'up_proj', downProj: 'down_proj',
  selfAttn: 'self_attn', inputLayernorm: 'input_layernorm', postAttentionLayernorm: 'post_attention_layernorm',
  embedTokens: 'embed_tokens', lmHead: 'lm_head',
};

class LlamaAttention extends Module {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  oProj: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.qProj = denseLayer(s.hidden, s.heads * s.headDim, s.std, s.qkvBias);
    this.kProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std, s.qkvBias);
    this.vProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std, s.qkvBias);
    this.oProj = denseLayer(s.heads * s.headDim, s.hidden, s.std, s.oBias);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const q = applyRotary(splitHeads(this.qProj.forward(x), this.s.heads), cos, sin);
      const k = applyRotary(splitHeads(this.kProj.forward(x), this.s.kvHeads), cos, sin);
      const v = splitHeads(this.vProj.forward(x), this.s.kvHeads);
      const [keys, values] = cache ? cache.update(layer, k, v) : [k, v];
      const y = attend(q, keys, values, allowed, this.s.headDim ** -0.5, this.s.attnDropout, this.training);
      return this.oProj.forward(mergeHeads(y));
    });
  }
}

class LlamaMLP extends Module {
  gateProj: Linear;
  upProj: Linear;
  downProj: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.gateProj = denseLayer(s.hidden, s.inner, s.std, s.mlpBias);
    this.upProj = denseLayer(s.hidden, s.inner, s.std, s.mlpBias);
    this.downProj = denseLayer(s.inner, s.hidden, s.std, s.mlpBias);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.downProj.forward(this.s.act(this.gateProj.forward(x)).mul(this.upProj.forward(x))));
  }
}

class LlamaDecoderLayer extends Module {
  selfAttn: LlamaAttention;
  mlp: LlamaMLP;
  inputLayernorm: RMSNorm;
  postAttentionLayernorm: RMSNorm;
  constructor(s: Settings) {
    super();
    this.selfAttn = new LlamaAttention(s);
    this.mlp = new LlamaMLP(s);
    this.inputLayernorm = new RMSNorm(s.hidden, s.eps);
    this.postAttentionLayernorm = new RMSNorm(s.hidden, s.eps);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const h = x.add(this.selfAttn.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer));
      return h.add(this.mlp.forward(this.postAttentionLayernorm.forward(h)));
    });
  }
}

/** The decoder without its head (`LlamaModel`). */
export class LlamaModel extends Module {
  embedTokens: Embedding;
  layers: ModuleList<LlamaDecoderLayer>;
  norm: RMSNorm;
  private readonly s: Settings;

  constructor(config: LlamaConfig) {
    super();
    const s = settings(config);
    this.s = s;
    this.embedTokens = new Embedding(s.vocab, s.hidden);
    init.normal_(this.embedTokens.weight, 0, s.std);
    this.layers = new ModuleList(Array.from({ length: s.layers }, () => new LlamaDecoderLayer(s)));
    this.norm = new RMSNorm(s.hidden, s.eps);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, hidden_size]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const { cache, past, keyMask, positions } = decoderInputs(inputIds, options, 'LlamaModel.forward');
      let x = this.embedTokens.forward(inputIds);
      const device = x.device;
      const [cos, sin] = rotaryTables(positions, this.s.invFreq, device, x.dtype);
      const allowed = attentionMask(b, t, past + t, { keyMask, slidingWindow: this.s.slidingWindow, device });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, cos, sin, allowed, cache, i++);
      cache?.advance();
      return this.norm.forward(x);
    });
  }
}

/**
 * A Llama-style causal LM (`LlamaForCausalLM`, `Qwen2ForCausalLM`, `MistralForCausalLM`;
 * SmolLM is a Llama). `lm_head` is tied to `model.embed_tokens` when
 * `tie_word_embeddings` is set.
 *
 * @example
 * ```ts
 * const model = await LlamaForCausalLM.fromPretrained('HuggingFaceTB/SmolLM2-135M-Instruct');
 * const out = await model.generate(ids, { maxNewTokens: 64, doSample: true, topP: 0.9, seed: 0 });
 * ```
 */
export class LlamaForCausalLM extends CausalLM {
  static readonly modelTypes = ['llama', 'qwen2', 'mistral'] as const;
  static readonly keyRules: KeyRules = {
    basePrefix: 'model',
    ignore: [/rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  };

  model: LlamaModel;
  lmHead: Module & { weight: Tensor };
  private readonly s: Settings;

  constructor(config: LlamaConfig) {
    super(config);
    this.s = settings(config);
    this.model = new LlamaModel(config);
    this.lmHead = this.s.tie ? new TiedHead(this.model.embedTokens) : denseLayer(this.s.hidden, this.s.vocab, this.s.std, false);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return this.s.tie ? ['lm_head.weight'] : [];
  }

  get maxPositions(): number | null {
    return this.s.maxPositions;
  }

  createCache(batch: number, maxLength: number): KVCache {
    return new KVCache({ layers: this.s.layers, batch, kvHeads: this.s.kvHeads, headDim: this.s.headDim, maxLength, device: this.device, dtype: this.dtype });
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab] (float32), loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.model.forward(inputIds, options), options.logitsToKeep);
      const logits = h.matmul(this.lmHead.weight.t());
      return causalLMOutput(logits.dtype === 'float32' ? logits : logits.float(), options.labels);
    });
  }
}
