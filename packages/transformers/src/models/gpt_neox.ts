/**
 * GPT-NeoX (`GPTNeoXForCausalLM`, `model_type: 'gpt_neox'`: Pythia, GPT-NeoX-20B) with the hub's
 * module names: `gpt_neox.embed_in`, `gpt_neox.layers.N.{input_layernorm,
 * post_attention_layernorm, attention.query_key_value, attention.dense, mlp.dense_h_to_4h,
 * mlp.dense_4h_to_h}`, `gpt_neox.final_layer_norm`, `embed_out`.
 *
 * The fused `query_key_value` output is laid out per head (`[heads, 3, head_size]`: head h's
 * query, key and value side by side), rotary embeddings cover the first `rotary_pct` of each
 * head, and each block adds attention and MLP to the residual in parallel
 * (`use_parallel_residual`, the default) or one after the other.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, ModuleList, functional as F, init } from '@tensile/nn';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, type CausalLMForwardOptions, type CausalLMOutput, type DecoderLayout } from '../generation.js';
import {
  KVCache, activation, applyRotary, attend, attentionMask, denseLayer, mergeHeads, ropeInverseFrequencies, rotaryTables, tracedAttentionMask, tracedRotaryTables, type RopeScaling,
} from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of a GPT-NeoX config.json this implementation reads. */
export interface GPTNeoXConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act?: string;
  /** The fraction of each head that rotates (legacy name; `partial_rotary_factor` in newer configs). Default 0.25. */
  rotary_pct?: number;
  partial_rotary_factor?: number;
  /** The rotary base (legacy name; `rope_theta` in newer configs). Default 10000. */
  rotary_emb_base?: number;
  rope_theta?: number;
  rope_scaling?: RopeScaling | null;
  /** Newer configs' home of `rope_theta`, `partial_rotary_factor` and `rope_type`. */
  rope_parameters?: (RopeScaling & { rope_theta?: number; partial_rotary_factor?: number }) | null;
  max_position_embeddings?: number;
  layer_norm_eps?: number;
  use_parallel_residual?: boolean;
  attention_bias?: boolean;
  tie_word_embeddings?: boolean;
  hidden_dropout?: number;
  attention_dropout?: number;
  initializer_range?: number;
}

interface Settings {
  vocab: number;
  hidden: number;
  inner: number;
  layers: number;
  heads: number;
  headDim: number;
  /** Features of each head that rotate (the first ones); 0 turns rotary embeddings off. */
  rotaryDim: number;
  invFreq: Float32Array;
  act: (x: Tensor) => Tensor;
  eps: number;
  parallel: boolean;
  bias: boolean;
  tie: boolean;
  maxPositions: number;
  hiddenDropout: number;
  attnDropout: number;
  std: number;
}

const W = 'GPTNeoXForCausalLM';

/**
 * A field the config may hold under several names (the legacy `rotary_pct`, the newer
 * `partial_rotary_factor`, `rope_parameters`' entry): the first present, and an error when two disagree.
 */
function oneOf(c: GPTNeoXConfig, names: string[], fallback: number): number {
  const parameters = (c.rope_parameters ?? null) as Record<string, unknown> | null;
  const found = names
    .map((name) => [name, name.startsWith('rope_parameters.') ? parameters?.[name.slice('rope_parameters.'.length)] : c[name]] as const)
    .filter(([, v]) => v !== undefined && v !== null);
  for (const [name, value] of found) {
    if (typeof value !== 'number') throw new Error(`${W}: config field '${name}' should be a number, got ${JSON.stringify(value)}`);
    if (value !== found[0][1]) throw new Error(`${W}: config fields '${found[0][0]}' ${found[0][1]} and '${name}' ${value} disagree`);
  }
  return found.length ? (found[0][1] as number) : fallback;
}

function settings(c: GPTNeoXConfig): Settings {
  const hidden = field<number>(c, 'hidden_size', undefined, W);
  const heads = field<number>(c, 'num_attention_heads', undefined, W);
  if (hidden % heads !== 0) throw new Error(`${W}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  const headDim = hidden / heads;
  const pct = oneOf(c, ['rotary_pct', 'partial_rotary_factor', 'rope_parameters.partial_rotary_factor'], 0.25);
  if (!(pct >= 0 && pct <= 1)) throw new Error(`${W}: rotary_pct ${pct} must be in [0, 1]`);
  // The hub's int(head_size * rotary_pct), which must be even (cos and sin cover pairs).
  const rotaryDim = Math.floor(headDim * pct);
  if (rotaryDim % 2 !== 0) throw new Error(`${W}: rotary_pct ${pct} of head size ${headDim} gives ${rotaryDim} rotary features, which must be even`);
  const base = oneOf(c, ['rotary_emb_base', 'rope_theta', 'rope_parameters.rope_theta'], 10000);
  // rope_scaling, else a rope_parameters whose rope_type is not the default (ropeInverseFrequencies refuses the types it lacks).
  const parameters = (c.rope_parameters ?? null) as RopeScaling | null;
  const scaling = c.rope_scaling ?? (parameters && (parameters.rope_type ?? parameters.type ?? 'default') !== 'default' ? parameters : null);
  return {
    vocab: field<number>(c, 'vocab_size', undefined, W),
    hidden,
    inner: field<number>(c, 'intermediate_size', undefined, W),
    layers: field<number>(c, 'num_hidden_layers', undefined, W),
    heads,
    headDim,
    rotaryDim,
    invFreq: rotaryDim > 0 ? ropeInverseFrequencies(rotaryDim, base, scaling, W) : new Float32Array(0),
    act: activation(field<string>(c, 'hidden_act', 'gelu', W), W),
    eps: field<number>(c, 'layer_norm_eps', 1e-5, W),
    parallel: field<boolean>(c, 'use_parallel_residual', true, W),
    bias: field<boolean>(c, 'attention_bias', true, W),
    tie: field<boolean>(c, 'tie_word_embeddings', false, W),
    maxPositions: field<number>(c, 'max_position_embeddings', 2048, W),
    hiddenDropout: field<number>(c, 'hidden_dropout', 0, W),
    attnDropout: field<number>(c, 'attention_dropout', 0, W),
    std: field<number>(c, 'initializer_range', 0.02, W),
  };
}

const NAMES: Record<string, string> = {
  gptNeox: 'gpt_neox', embedIn: 'embed_in', embedOut: 'embed_out', finalLayerNorm: 'final_layer_norm',
  inputLayernorm: 'input_layernorm', postAttentionLayernorm: 'post_attention_layernorm',
  queryKeyValue: 'query_key_value', denseHTo4h: 'dense_h_to_4h', dense4hToH: 'dense_4h_to_h',
};

class GPTNeoXAttention extends Module {
  queryKeyValue: Linear;
  dense: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.queryKeyValue = denseLayer(s.hidden, 3 * s.hidden, s.std, s.bias);
    this.dense = denseLayer(s.hidden, s.hidden, s.std, s.bias);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor | null, sin: Tensor | null, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const [b, t] = x.shape;
      const { heads, headDim } = this.s;
      // Per head: [B, T, heads, 3 · head_size], then the query, key and value of each head.
      const qkv = this.queryKeyValue.forward(x).reshape([b, t, heads, 3 * headDim]);
      let [q, k, v] = qkv.split(headDim, -1).map((z) => z.transpose(1, 2));
      if (cos && sin) {
        q = applyRotary(q, cos, sin);
        k = applyRotary(k, cos, sin);
      }
      const [keys, values] = cache ? cache.update(layer, k, v) : [k, v];
      const y = attend(q, keys, values, allowed, headDim ** -0.5, this.s.attnDropout, this.training);
      return this.dense.forward(mergeHeads(y));
    });
  }
}

class GPTNeoXMLP extends Module {
  denseHTo4h: Linear;
  dense4hToH: Linear;
  constructor(private readonly s: Settings) {
    super();
    this.denseHTo4h = denseLayer(s.hidden, s.inner, s.std);
    this.dense4hToH = denseLayer(s.inner, s.hidden, s.std);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.dense4hToH.forward(this.s.act(this.denseHTo4h.forward(x))));
  }
}

class GPTNeoXLayer extends Module {
  inputLayernorm: LayerNorm;
  postAttentionLayernorm: LayerNorm;
  attention: GPTNeoXAttention;
  mlp: GPTNeoXMLP;
  constructor(private readonly s: Settings) {
    super();
    this.inputLayernorm = new LayerNorm(s.hidden, { eps: s.eps });
    this.postAttentionLayernorm = new LayerNorm(s.hidden, { eps: s.eps });
    this.attention = new GPTNeoXAttention(s);
    this.mlp = new GPTNeoXMLP(s);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor | null, sin: Tensor | null, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const drop = (y: Tensor) => F.dropout(y, this.s.hiddenDropout, this.training);
      const attn = drop(this.attention.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer));
      if (this.s.parallel) {
        // x + attn(ln1(x)) + mlp(ln2(x))
        const mlp = drop(this.mlp.forward(this.postAttentionLayernorm.forward(x)));
        return mlp.add(attn).add(x);
      }
      const h = attn.add(x);
      return drop(this.mlp.forward(this.postAttentionLayernorm.forward(h))).add(h);
    });
  }
}

/**
 * The GPT-NeoX transformer without its head (`GPTNeoXModel`): token embeddings, `num_hidden_layers`
 * blocks with partial rotary attention, a final layer norm.
 */
export class GPTNeoXModel extends Module {
  embedIn: Embedding;
  layers: ModuleList<GPTNeoXLayer>;
  finalLayerNorm: LayerNorm;
  private readonly s: Settings;

  constructor(config: GPTNeoXConfig) {
    super();
    const s = settings(config);
    this.s = s;
    this.embedIn = new Embedding(s.vocab, s.hidden);
    init.normal_(this.embedIn.weight, 0, s.std);
    this.layers = new ModuleList(Array.from({ length: s.layers }, () => new GPTNeoXLayer(s)));
    this.finalLayerNorm = new LayerNorm(s.hidden, { eps: s.eps });
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, hidden_size]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const { cache, past, keyMask, positions, traced } = decoderInputs(inputIds, options, 'GPTNeoXModel.forward');
      let x = F.dropout(this.embedIn.forward(inputIds), this.s.hiddenDropout, this.training);
      const device = x.device;
      // Traced (exported): tables and mask from tensors, so the file follows batch and seq.
      const tables = (): [Tensor, Tensor] => (traced ? tracedRotaryTables(traced.positions, this.s.invFreq, x.dtype) : rotaryTables(positions, this.s.invFreq, device, x.dtype));
      const [cos, sin] = this.s.rotaryDim > 0 ? tables() : [null, null];
      const allowed = traced ? tracedAttentionMask(inputIds, traced) : attentionMask(b, t, past + t, { keyMask, device });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, cos, sin, allowed, cache, i++);
      cache?.advance();
      return this.finalLayerNorm.forward(x);
    });
  }
}

/**
 * GPT-NeoX with its language-model head (`GPTNeoXForCausalLM`: Pythia, GPT-NeoX-20B). `embed_out`
 * is its own weight unless `tie_word_embeddings` is set (then tied to `gpt_neox.embed_in`).
 *
 * @example
 * ```ts
 * const pythia = await GPTNeoXForCausalLM.fromPretrained('EleutherAI/pythia-70m', { device: 'wasm' });
 * const out = await pythia.generate([tokenizer.encode('The capital of France is')], { maxNewTokens: 20 });
 * ```
 */
export class GPTNeoXForCausalLM extends CausalLM {
  static readonly modelTypes = ['gpt_neox'] as const;
  static readonly keyRules: KeyRules = {
    basePrefix: 'gpt_neox',
    // Old checkpoints (Pythia) carry the causal-mask buffers and the rotary inverse frequencies.
    ignore: [/\.attention\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/, /^embed_out\.weight$/],
  };

  gptNeox: GPTNeoXModel;
  embedOut: Module & { weight: Tensor };
  private readonly s: Settings;

  constructor(config: GPTNeoXConfig) {
    super(config);
    if (config.model_type !== undefined && config.model_type !== 'gpt_neox') throw new Error(`${W}: model_type '${config.model_type}' is not one it reads (gpt_neox)`);
    this.s = settings(config);
    this.gptNeox = new GPTNeoXModel(config);
    this.embedOut = this.s.tie ? new TiedHead(this.gptNeox.embedIn) : denseLayer(this.s.hidden, this.s.vocab, this.s.std, false);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return this.s.tie ? ['embed_out.weight'] : [];
  }

  protected get layout(): DecoderLayout {
    return { layers: this.s.layers, kvHeads: this.s.heads, headDim: this.s.headDim, maxPositions: this.s.maxPositions };
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab], loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.gptNeox.forward(inputIds, options), options.logitsToKeep);
      return causalLMOutput(h.matmul(this.embedOut.weight.t()), options.labels);
    });
  }
}
