/**
 * Llama-style causal LMs (`LlamaForCausalLM`; also Qwen2's and Mistral's configs, and SmolLM,
 * which is a Llama): RMSNorm, rotary position embeddings (with `linear` and `llama3`
 * scaling), grouped-query attention and a SwiGLU MLP, under the hub's names
 * `model.embed_tokens`, `model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
 * post_attention_layernorm, mlp.{gate,up,down}_proj}`, `model.norm`, `lm_head`.
 *
 * Three variants share these pieces: Gemma (`GemmaForCausalLM`: RMSNorm weights as offsets from
 * one, embeddings scaled by sqrt(hidden_size), GeGLU, a tied head), Phi-3
 * (`Phi3ForCausalLM`: the fused `self_attn.qkv_proj` and `mlp.gate_up_proj`, residual dropout,
 * partial rotary embeddings and `longrope`)
 * and Qwen3 (`Qwen3ForCausalLM`: per-head RMSNorm of queries and keys, `self_attn.q_norm` and
 * `self_attn.k_norm`, before the rotary embedding). The attention over the cache (`Attention`)
 * also serves Phi (`./phi.ts`).
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';
import { CausalLM, causalLMOutput, decoderInputs, keepLast, positionsFromMask, type CausalLMForwardOptions, type CausalLMOutput, type DecoderLayout } from '../generation.js';
import { Embedding, Linear, Module, ModuleList, functional as F } from '@tensile/nn';
import {
  GemmaRMSNorm, KVCache, RMSNorm, activation, applyRotary, attend, attentionMask, denseLayer, initEmbeddings, mergeHeads, paddingRow, ropeInverseFrequencies, rotaryTables, softcapped, splitHeads, tracedAttentionMask, tracedRotaryTables,
  type RopeScaling,
} from '../layers.js';
import { field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of a Llama / Qwen2 / Qwen3 / Mistral / Gemma / Phi-3 config.json this implementation reads. */
export interface LlamaConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number | null;
  head_dim?: number | null;
  hidden_act?: string;
  /** Gemma's activation; it overrides `hidden_act`. */
  hidden_activation?: string | null;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  rope_scaling?: RopeScaling | null;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  attention_dropout?: number;
  tie_word_embeddings?: boolean;
  sliding_window?: number | null;
  /** Qwen2 and Qwen3: must be false (per-layer sliding windows are not implemented). */
  use_sliding_window?: boolean;
  /** Qwen3: each layer's attention; only `full_attention` layers are implemented. */
  layer_types?: string[] | null;
  initializer_range?: number;
  /** Phi-3's dropout on each sublayer's output before the residual sum (training only). */
  resid_pdrop?: number;
  /** Phi-3: the share of each head the rotary embedding turns (default 1; Phi-4-mini's 0.75). */
  partial_rotary_factor?: number;
  /** Phi-3's pretraining context (default 4096): longrope's long factors apply beyond it. */
  original_max_position_embeddings?: number | null;
  /** Gemma 2: scores scaled by query_pre_attn_scalar^-0.5 (default 256) instead of head_dim^-0.5. */
  query_pre_attn_scalar?: number;
  /** Gemma 2: `cap · tanh(s / cap)` of the attention scores (default 50; null: off). */
  attn_logit_softcapping?: number | null;
  /** Gemma 2: `cap · tanh(l / cap)` of the logits (default 30; null: off). */
  final_logit_softcapping?: number | null;
  /** Mixtral: experts per layer (default 8) and experts per token (default 2). */
  num_local_experts?: number;
  num_experts_per_tok?: number;
  /** Mixtral: add router_aux_loss_coef (default 0.001) × the load-balancing loss to the loss (default false). */
  output_router_logits?: boolean;
  router_aux_loss_coef?: number;
  /** Mixtral: multiplicative uniform noise on the MoE input while training (default 0). */
  router_jitter_noise?: number;
  /** Qwen2-MoE: routed experts per layer (default 60), each `moe_intermediate_size` wide (default 1408). */
  num_experts?: number;
  moe_intermediate_size?: number;
  /** Qwen2-MoE: the shared expert's width (default 5632), gated by sigmoid(shared_expert_gate(x)). */
  shared_expert_intermediate_size?: number;
  /** Qwen2-MoE: renormalise the top-k routing weights (default false). */
  norm_topk_prob?: boolean;
  /** Qwen2-MoE: every `decoder_sparse_step`-th layer is sparse (default 1), except `mlp_only_layers` (dense). */
  decoder_sparse_step?: number;
  mlp_only_layers?: number[] | null;
}

/** The Python class of each `model_type`: errors name it. */
const CLASS_OF: Record<string, string> = {
  gemma: 'GemmaForCausalLM', gemma2: 'Gemma2ForCausalLM', phi3: 'Phi3ForCausalLM', qwen3: 'Qwen3ForCausalLM', mixtral: 'MixtralForCausalLM',
  qwen2_moe: 'Qwen2MoeForCausalLM',
};

/** What the attention over the cache reads from a model's settings (Llama's and Phi's). */
export interface AttentionSettings {
  heads: number;
  kvHeads: number;
  headDim: number;
  attnDropout: number;
  /** The scores `q · kᵀ` in float32 whatever the weights' dtype (Phi's; see `attend`). */
  scoresInFloat32?: boolean;
  /** The scores' scale (default head_dim^-0.5; Gemma 2's query_pre_attn_scalar^-0.5). */
  scale?: number;
  /** Tanh soft-capping of the scores (Gemma 2's attn_logit_softcapping), or null. */
  softcap?: number | null;
}

/** A sparse mixture-of-experts MLP's settings (Mixtral's `block_sparse_moe`). */
export interface MoESettings {
  experts: number;
  /** Experts each token is routed to (`num_experts_per_tok`). */
  topK: number;
  /** Renormalise the top-k routing weights to sum to one (Mixtral always does). */
  normTopK: boolean;
  /** `output_router_logits`: the load-balancing loss is computed, and added to the loss times `auxCoef`. */
  outputRouterLogits: boolean;
  auxCoef: number;
  /** `router_jitter_noise`: the MoE input times U(1 - j, 1 + j) while training. */
  jitter: number;
  /** Qwen2-MoE: each routed expert's width (`moe_intermediate_size`; Mixtral's is intermediate_size). */
  expertInner?: number;
  /** Qwen2-MoE: the shared expert's width (`shared_expert_intermediate_size`). */
  sharedExpertInner?: number;
  /** Qwen2-MoE: which layers are sparse (the others have a dense MLP of intermediate_size); Mixtral's all are. */
  sparseLayers?: boolean[];
}

/**
 * Phi-3's `longrope` rotary embedding: inverse frequencies divided by `short_factor` while the
 * sequence fits `original` positions and by `long_factor` beyond, cos and sin times `scale`.
 */
export interface LongRope {
  short: Float32Array;
  long: Float32Array;
  original: number;
  scale: number;
}

/** The settings a Llama-family config resolves to (what the decoder layers read). */
export interface LlamaSettings extends AttentionSettings {
  /** The embedding's padding row (`pad_token_id`), or null. */
  pad: number | null;
  /** Gemma: offset RMSNorm weights and embeddings scaled by sqrt(hidden_size). */
  gemma: boolean;
  /** Phi-3: fused `qkv_proj` and `gate_up_proj`. */
  fused: boolean;
  /** Qwen3: RMSNorm over each query and key head (`q_norm`, `k_norm`) before the rotary embedding. */
  qkNorm: boolean;
  residDropout: number;
  vocab: number;
  hidden: number;
  inner: number;
  layers: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  tie: boolean;
  slidingWindow: number | null;
  /** Each layer's sliding window (null: full attention); Gemma 2 alternates. */
  layerWindows: (number | null)[];
  /** Gemma 2: the four norms per layer (post-attention and pre/post-feedforward). */
  sandwichNorms: boolean;
  /** Gemma 2's final_logit_softcapping, or null. */
  finalSoftcap: number | null;
  moe: MoESettings | null;
  maxPositions: number | null;
  invFreq: Float32Array;
  /** Phi-3's longrope (then `invFreq` is its short table), or null. */
  longrope: LongRope | null;
  std: number;
}

type Settings = LlamaSettings;

/** A number field that may be null (off): absent gives `fallback`; anything but a positive number or null is an error. */
function optionalPositive(c: LlamaConfig, key: string, fallback: number | null, where: string): number | null {
  const value = c[key];
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (typeof value !== 'number' || !(value > 0)) throw new Error(`${where}: config field '${key}' should be a positive number or null, got ${JSON.stringify(value)}`);
  return value;
}

/** `field` for a positive integer. */
function positiveInt(c: LlamaConfig, key: string, fallback: number, where: string): number {
  const value = field<number>(c, key, fallback, where);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${where}: config field '${key}' should be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The inverse frequencies of Phi-3's longrope for one factor list, as the hub's
 * `_compute_longrope_parameters`: `1 / (ext[i] · theta^(2i / dim))` in float32.
 */
function longropeFrequencies(ext: number[], dim: number, theta: number): Float32Array {
  return Float32Array.from({ length: dim / 2 }, (_, i) => Math.fround(1 / Math.fround(Math.fround(ext[i]) * Math.fround(Math.pow(theta, Math.fround((2 * i) / dim))))));
}

/** Phi-3's `longrope` (or its legacy name `su`) of `rope_scaling`, for `dim` rotary features. */
function phi3LongRope(c: LlamaConfig, scaling: RopeScaling, dim: number, theta: number, w: string): LongRope {
  const factors = (key: 'short_factor' | 'long_factor'): number[] => {
    const f = scaling[key];
    if (!Array.isArray(f) || f.length !== dim / 2 || !f.every((x) => typeof x === 'number' && x > 0)) {
      throw new Error(`${w}: rope_scaling.${key} must list ${dim / 2} positive numbers (the rotary features / 2), got ${JSON.stringify(f)}`);
    }
    return f;
  };
  const short = factors('short_factor');
  const long = factors('long_factor');
  // Phi-3's configs keep it at the top level (Phi3Config's default 4096); accept rope_scaling's too.
  const top = c.original_max_position_embeddings ?? null;
  const inner = scaling.original_max_position_embeddings ?? null;
  if (top !== null && inner !== null && top !== inner) throw new Error(`${w}: original_max_position_embeddings ${top} disagrees with rope_scaling.original_max_position_embeddings ${inner}`);
  const original = top ?? inner ?? 4096;
  if (!Number.isInteger(original) || original < 1) throw new Error(`${w}: original_max_position_embeddings should be a positive integer, got ${JSON.stringify(original)}`);
  // The hub takes the factor from max_position_embeddings / original_max_position_embeddings (not rope_scaling.factor).
  const factor = field<number>(c, 'max_position_embeddings', 4096, w) / original;
  const given = scaling.attention_factor ?? null;
  if (given !== null && !(typeof given === 'number' && given > 0)) throw new Error(`${w}: rope_scaling.attention_factor should be a positive number, got ${JSON.stringify(given)}`);
  const scale = given ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
  return { short: longropeFrequencies(short, dim, theta), long: longropeFrequencies(long, dim, theta), original, scale };
}

/**
 * Whether longrope uses its long factors for a forward pass at `positions`: the hub's
 * `dynamic_rope_update` picks them when max(position_ids) + 1 exceeds original_max_position_embeddings.
 */
export function longropeIsLong(lr: LongRope, positions: number[][]): boolean {
  let last = 0;
  for (const row of positions) for (const p of row) last = Math.max(last, p);
  return last + 1 > lr.original;
}

/**
 * The rotary tables of a traced (exported) forward at int32 `positions`: with longrope, both
 * factor sets' tables and the long ones picked in the graph where max(position) + 1 exceeds
 * original_max_position_embeddings (`longropeIsLong`'s test, which reads positions on the host).
 */
function tracedRopeTables(positions: Tensor, invFreq: Float32Array, lr: LongRope | null, dtype: DType): [Tensor, Tensor] {
  if (!lr) return tracedRotaryTables(positions, invFreq, dtype);
  return tl.tidy(() => {
    const long = positions.max().add(1).gt(lr.original);
    const [sc, ss] = tracedRotaryTables(positions, lr.short, dtype, lr.scale);
    const [lc, ls] = tracedRotaryTables(positions, lr.long, dtype, lr.scale);
    return [tl.where(long, lc, sc), tl.where(long, ls, ss)];
  });
}

/** @internal The settings of a Llama-family config (`kind`: its model_type). */
export function llamaSettings(c: LlamaConfig, kind: string): LlamaSettings {
  return settings(c, kind);
}

function settings(c: LlamaConfig, kind: string): Settings {
  const w = CLASS_OF[kind] ?? 'LlamaForCausalLM';
  const hidden = field<number>(c, 'hidden_size', undefined, w);
  const heads = field<number>(c, 'num_attention_heads', undefined, w);
  const kvHeads = (c.num_key_value_heads ?? null) === null ? heads : (c.num_key_value_heads as number);
  if (heads % kvHeads !== 0) throw new Error(`${w}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  // GemmaConfig's head_dim defaults to 256 and Qwen3Config's to 128, not hidden_size / heads.
  const defaultHeadDim = kind === 'gemma' || kind === 'gemma2' ? 256 : kind === 'qwen3' ? 128 : hidden / heads;
  const headDim = (c.head_dim ?? null) === null ? defaultHeadDim : (c.head_dim as number);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`${w}: head_dim ${headDim} must be an even integer`);
  let qkvBias = field<boolean>(c, 'attention_bias', false, w);
  let oBias = qkvBias;
  let mlpBias = field<boolean>(c, 'mlp_bias', false, w);
  let slidingWindow: number | null = null;
  let act = field<string>(c, 'hidden_act', 'silu', w);
  let tie = field<boolean>(c, 'tie_word_embeddings', false, w);
  let ropeScaling = c.rope_scaling;
  const layers = field<number>(c, 'num_hidden_layers', undefined, w);
  let layerWindows: (number | null)[] | null = null;
  let scale: number | undefined;
  let softcap: number | null = null;
  let finalSoftcap: number | null = null;
  let moe: MoESettings | null = null;
  const theta = field<number>(c, 'rope_theta', 10000, w);
  let rotaryDim = headDim;
  let longrope: LongRope | null = null;
  if (kind === 'qwen2') {
    qkvBias = true;
    oBias = false;
    mlpBias = false;
    if (c.use_sliding_window) throw new Error(`${w}: Qwen2's use_sliding_window (per-layer windows) is not supported`);
  } else if (kind === 'qwen2_moe') {
    // Qwen2's attention (biased q, k, v; unbiased o) and MLPs; the MoE blocks are ./qwen2_moe.ts'.
    qkvBias = field<boolean>(c, 'qkv_bias', true, w);
    oBias = false;
    mlpBias = false;
    if (c.use_sliding_window) throw new Error(`${w}: use_sliding_window (per-layer windows) is not supported`);
    const experts = field<number>(c, 'num_experts', 60, w);
    if (!Number.isInteger(experts) || experts < 0) throw new Error(`${w}: config field 'num_experts' should be a non-negative integer, got ${JSON.stringify(experts)}`);
    const topK = positiveInt(c, 'num_experts_per_tok', 4, w);
    if (experts > 0 && topK > experts) throw new Error(`${w}: num_experts_per_tok ${topK} exceeds num_experts ${experts}`);
    const step = positiveInt(c, 'decoder_sparse_step', 1, w);
    const mlpOnly = c.mlp_only_layers ?? [];
    if (!Array.isArray(mlpOnly) || !mlpOnly.every((i) => Number.isInteger(i))) throw new Error(`${w}: mlp_only_layers should list layer indices, got ${JSON.stringify(mlpOnly)}`);
    moe = {
      experts, topK, jitter: 0,
      normTopK: field<boolean>(c, 'norm_topk_prob', false, w),
      outputRouterLogits: field<boolean>(c, 'output_router_logits', false, w),
      auxCoef: field<number>(c, 'router_aux_loss_coef', 0.001, w),
      expertInner: positiveInt(c, 'moe_intermediate_size', 1408, w),
      sharedExpertInner: positiveInt(c, 'shared_expert_intermediate_size', 5632, w),
      // The hub's rule: sparse unless listed in mlp_only_layers, when there are experts and (i + 1) % decoder_sparse_step == 0.
      sparseLayers: Array.from({ length: layers }, (_, i) => !mlpOnly.includes(i) && experts > 0 && (i + 1) % step === 0),
    };
  } else if (kind === 'qwen3') {
    // attention_bias covers q, k, v and o; the MLP has no bias.
    mlpBias = false;
    if (c.use_sliding_window) throw new Error(`${w}: use_sliding_window (per-layer windows from max_window_layers) is not supported`);
    const types = (c.layer_types ?? null) as string[] | null;
    const other = types?.find((t) => t !== 'full_attention');
    if (other !== undefined) throw new Error(`${w}: layer_types '${other}' is not supported (only 'full_attention' layers)`);
  } else if (kind === 'mistral' || kind === 'mixtral') {
    qkvBias = oBias = mlpBias = false;
    // The window counts keys: query i sees keys j with i - j < sliding_window (the hub's sliding_window_overlay).
    slidingWindow = optionalPositive(c, 'sliding_window', null, w);
    if (kind === 'mixtral') {
      const experts = positiveInt(c, 'num_local_experts', 8, w);
      const topK = positiveInt(c, 'num_experts_per_tok', 2, w);
      if (topK > experts) throw new Error(`${w}: num_experts_per_tok ${topK} exceeds num_local_experts ${experts}`);
      const jitter = field<number>(c, 'router_jitter_noise', 0, w);
      if (!(jitter >= 0 && jitter < 1)) throw new Error(`${w}: router_jitter_noise ${jitter} must be in [0, 1)`);
      moe = {
        experts, topK, normTopK: true, jitter,
        outputRouterLogits: field<boolean>(c, 'output_router_logits', false, w),
        auxCoef: field<number>(c, 'router_aux_loss_coef', 0.001, w),
      };
    }
  } else if (kind === 'gemma' || kind === 'gemma2') {
    mlpBias = false;
    // hidden_activation overrides the legacy hidden_act; both default to tanh-approximate GELU.
    act = field<string>(c, (c.hidden_activation ?? null) === null ? 'hidden_act' : 'hidden_activation', 'gelu_pytorch_tanh', w);
    tie = field<boolean>(c, 'tie_word_embeddings', true, w);
    if (c.use_adarms) throw new Error(`${w}: use_adarms (adaptive RMSNorm) is not supported`);
    if (kind === 'gemma2') {
      if (c.use_bidirectional_attention) throw new Error(`${w}: use_bidirectional_attention is not supported (causal attention only)`);
      scale = field<number>(c, 'query_pre_attn_scalar', 256, w) ** -0.5;
      softcap = optionalPositive(c, 'attn_logit_softcapping', 50, w);
      finalSoftcap = optionalPositive(c, 'final_logit_softcapping', 30, w);
      const window = optionalPositive(c, 'sliding_window', 4096, w);
      // The hub's Gemma 2: even-indexed layers slide, odd ones attend to everything (or layer_types says).
      const types = (c.layer_types ?? null) as string[] | null;
      if (types !== null && (!Array.isArray(types) || types.length !== layers)) {
        throw new Error(`${w}: layer_types must list one type for each of the ${layers} layers, got ${JSON.stringify(types)}`);
      }
      layerWindows = Array.from({ length: layers }, (_, i) => {
        const type = types ? types[i] : i % 2 === 0 ? 'sliding_attention' : 'full_attention';
        if (type === 'full_attention') return null;
        if (type !== 'sliding_attention') throw new Error(`${w}: layer_types '${type}' is not supported (sliding_attention, full_attention)`);
        if (window === null) throw new Error(`${w}: layer ${i} is a sliding_attention layer but sliding_window is null`);
        return window;
      });
    }
  } else if (kind === 'phi3') {
    qkvBias = oBias = mlpBias = false;
    slidingWindow = (c.sliding_window ?? null) as number | null;
    const factor = field<number>(c, 'partial_rotary_factor', 1, w);
    // The hub's int(head_dim * partial_rotary_factor) leading features of each head rotate; the rest pass through.
    rotaryDim = Math.floor(headDim * factor);
    if (!(factor > 0 && factor <= 1) || rotaryDim === 0 || rotaryDim % 2 !== 0) {
      throw new Error(`${w}: partial_rotary_factor ${factor} is not supported (it gives ${rotaryDim} rotary features of a ${headDim}-wide head; they must be even and more than 0)`);
    }
    const type = ropeScaling ? (ropeScaling.rope_type ?? ropeScaling.type ?? 'default') : 'default';
    // 'su' is longrope's name in Phi-3's first configs (Phi3Config renames it).
    if (type === 'longrope' || type === 'su') longrope = phi3LongRope(c, ropeScaling!, rotaryDim, theta, w);
    else if (type !== 'default') throw new Error(`${w}: rope_scaling type '${type}' is not supported (longrope / su, or null)`);
    ropeScaling = null;
  }
  return {
    gemma: kind === 'gemma' || kind === 'gemma2',
    sandwichNorms: kind === 'gemma2',
    scale,
    softcap,
    finalSoftcap,
    moe,
    layerWindows: layerWindows ?? new Array<number | null>(layers).fill(slidingWindow),
    fused: kind === 'phi3',
    qkNorm: kind === 'qwen3',
    residDropout: kind === 'phi3' ? field<number>(c, 'resid_pdrop', 0, w) : 0,
    vocab: field<number>(c, 'vocab_size', undefined, w),
    pad: paddingRow(c.pad_token_id, field<number>(c, 'vocab_size', undefined, w)),
    hidden,
    inner: field<number>(c, 'intermediate_size', undefined, w),
    layers,
    heads,
    kvHeads,
    headDim,
    act: activation(act, w),
    eps: field<number>(c, 'rms_norm_eps', kind === 'phi3' || kind === 'mixtral' ? 1e-5 : 1e-6, w), // Phi3Config's and MixtralConfig's default is 1e-5
    qkvBias,
    oBias,
    mlpBias,
    tie,
    slidingWindow,
    maxPositions: (c.max_position_embeddings ?? null) as number | null,
    invFreq: longrope ? longrope.short : ropeInverseFrequencies(rotaryDim, theta, ropeScaling, w),
    longrope,
    attnDropout: field<number>(c, 'attention_dropout', 0, w),
    std: field<number>(c, 'initializer_range', 0.02, w),
  };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', oProj: 'o_proj', gateProj: 'gate_proj', upProj: 'up_proj', downProj: 'down_proj',
  qkvProj: 'qkv_proj', gateUpProj: 'gate_up_proj', qNorm: 'q_norm', kNorm: 'k_norm',
  selfAttn: 'self_attn', inputLayernorm: 'input_layernorm', postAttentionLayernorm: 'post_attention_layernorm',
  preFeedforwardLayernorm: 'pre_feedforward_layernorm', postFeedforwardLayernorm: 'post_feedforward_layernorm',
  blockSparseMoe: 'block_sparse_moe', sharedExpert: 'shared_expert', sharedExpertGate: 'shared_expert_gate',
  embedTokens: 'embed_tokens', lmHead: 'lm_head',
};

/** @internal The hub's name of a field of the Llama family's modules (camelCase otherwise). */
export function hubName(field: string): string {
  return NAMES[field] ?? field;
}

/**
 * Self-attention over the cache with rotary embeddings (full, or partial where the tables are
 * narrower than a head) and grouped-query heads, scaled by head_dim^-0.5; subclasses hold the
 * projections under the hub's names.
 */
export abstract class Attention extends Module {
  constructor(protected readonly s: AttentionSettings) {
    super();
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  /** Queries, keys and values `[B, T, heads·head_dim]`. */
  protected abstract project(x: Tensor): Tensor[];
  /** The output projection of the merged heads `[B, T, heads·head_dim]`. */
  protected abstract output(y: Tensor): Tensor;
  /** Queries and keys `[B, H, T, head_dim]` before the rotary embedding: unchanged, unless a model normalises each head. */
  protected normalizeHeads(q: Tensor, k: Tensor): [Tensor, Tensor] {
    return [q, k];
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const [qx, kx, vx] = this.project(x);
      const [qh, kh] = this.normalizeHeads(splitHeads(qx, this.s.heads), splitHeads(kx, this.s.kvHeads));
      const v = splitHeads(vx, this.s.kvHeads);
      // Under autocast a norm of the heads gives float32: rotate in it, then take the projections'
      // dtype (float16) as the products that follow would, and as the cache holds.
      const inDType = (t: Tensor) => (t.dtype === v.dtype ? t : t.cast(v.dtype));
      const q = inDType(applyRotary(qh, cos, sin));
      const k = inDType(applyRotary(kh, cos, sin));
      const [keys, values] = cache ? cache.update(layer, k, v) : [k, v];
      const y = attend(q, keys, values, allowed, this.s.scale ?? this.s.headDim ** -0.5, this.s.attnDropout, this.training, this.s.scoresInFloat32, this.s.softcap ?? null);
      return this.output(mergeHeads(y));
    });
  }
}

/** @internal Llama's attention (`q_proj`, `k_proj`, `v_proj`, `o_proj`). */
export class LlamaAttention extends Attention {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  oProj: Linear;
  constructor(s: Settings) {
    super(s);
    this.qProj = denseLayer(s.hidden, s.heads * s.headDim, s.std, s.qkvBias);
    this.kProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std, s.qkvBias);
    this.vProj = denseLayer(s.hidden, s.kvHeads * s.headDim, s.std, s.qkvBias);
    this.oProj = denseLayer(s.heads * s.headDim, s.hidden, s.std, s.oBias);
  }
  protected project(x: Tensor): Tensor[] {
    return [this.qProj.forward(x), this.kProj.forward(x), this.vProj.forward(x)];
  }
  protected output(y: Tensor): Tensor {
    return this.oProj.forward(y);
  }
}

/** Qwen3's attention: Llama's, with an RMSNorm over each query and key head (`q_norm`, `k_norm`, `[head_dim]`). */
class Qwen3Attention extends LlamaAttention {
  qNorm: RMSNorm;
  kNorm: RMSNorm;
  constructor(s: Settings) {
    super(s);
    this.qNorm = new RMSNorm(s.headDim, s.eps);
    this.kNorm = new RMSNorm(s.headDim, s.eps);
  }
  protected override normalizeHeads(q: Tensor, k: Tensor): [Tensor, Tensor] {
    return [this.qNorm.forward(q), this.kNorm.forward(k)];
  }
}

/** Phi-3's attention: one `qkv_proj` whose output is q, then k, then v. */
class Phi3Attention extends Attention {
  qkvProj: Linear;
  oProj: Linear;
  constructor(s: Settings) {
    super(s);
    this.qkvProj = denseLayer(s.hidden, (s.heads + 2 * s.kvHeads) * s.headDim, s.std, false);
    this.oProj = denseLayer(s.heads * s.headDim, s.hidden, s.std, false);
  }
  protected project(x: Tensor): Tensor[] {
    const kv = this.s.kvHeads * this.s.headDim;
    return this.qkvProj.forward(x).split([this.s.heads * this.s.headDim, kv, kv], -1);
  }
  protected output(y: Tensor): Tensor {
    return this.oProj.forward(y);
  }
}

/** `down(act(gate) · up)`: SwiGLU, or GeGLU with Gemma's activation. */
export abstract class GatedMLP extends Module {
  abstract downProj: Linear;
  constructor(protected readonly s: Settings) {
    super();
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  /** The gate and up projections `[B, T, intermediate_size]`. */
  protected abstract gateUp(x: Tensor): Tensor[];
  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const [gate, up] = this.gateUp(x);
      return this.downProj.forward(this.s.act(gate).mul(up));
    });
  }
}

/** @internal Llama's SwiGLU / Gemma's GeGLU MLP (`gate_proj`, `up_proj`, `down_proj`). */
export class LlamaMLP extends GatedMLP {
  gateProj: Linear;
  upProj: Linear;
  downProj: Linear;
  constructor(s: Settings) {
    super(s);
    this.gateProj = denseLayer(s.hidden, s.inner, s.std, s.mlpBias);
    this.upProj = denseLayer(s.hidden, s.inner, s.std, s.mlpBias);
    this.downProj = denseLayer(s.inner, s.hidden, s.std, s.mlpBias);
  }
  protected gateUp(x: Tensor): Tensor[] {
    return [this.gateProj.forward(x), this.upProj.forward(x)];
  }
}

/** Phi-3's MLP: one `gate_up_proj` whose output is the gate, then up. */
class Phi3MLP extends GatedMLP {
  gateUpProj: Linear;
  downProj: Linear;
  constructor(s: Settings) {
    super(s);
    this.gateUpProj = denseLayer(s.hidden, 2 * s.inner, s.std, false);
    this.downProj = denseLayer(s.inner, s.hidden, s.std, false);
  }
  protected gateUp(x: Tensor): Tensor[] {
    return this.gateUpProj.forward(x).split(this.s.inner, -1);
  }
}

/** @internal The model's RMSNorm over the hidden size (Gemma's offset weights where it is a Gemma). */
export const rmsNorm = (s: Settings): RMSNorm => (s.gemma ? new GemmaRMSNorm(s.hidden, s.eps) : new RMSNorm(s.hidden, s.eps));

/**
 * A decoder layer of the Llama family: `x` `[B, T, hidden]` → `[B, T, hidden]`, attending over
 * the cache with `allowed` (its own sliding window's mask). A mixture-of-experts layer pushes its
 * router logits `[B·T, experts]` onto `routerLogits` when it is given.
 */
export abstract class DecoderLayer extends Module {
  abstract override forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number, routerLogits?: Tensor[] | null): Tensor;
}

/** @internal Llama's decoder layer (pre-norm attention, then the pre-norm MLP). */
export class LlamaDecoderLayer extends DecoderLayer {
  selfAttn: Attention;
  mlp: GatedMLP;
  inputLayernorm: RMSNorm;
  postAttentionLayernorm: RMSNorm;
  constructor(protected readonly s: Settings) {
    super();
    this.selfAttn = s.fused ? new Phi3Attention(s) : s.qkNorm ? new Qwen3Attention(s) : new LlamaAttention(s);
    this.mlp = s.fused ? new Phi3MLP(s) : new LlamaMLP(s);
    this.inputLayernorm = rmsNorm(s);
    this.postAttentionLayernorm = rmsNorm(s);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor, cache: KVCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      // Phi-3's resid_pdrop: dropout on each sublayer's output (0 elsewhere).
      const drop = (y: Tensor) => (this.s.residDropout > 0 ? F.dropout(y, this.s.residDropout, this.training) : y);
      const h = x.add(drop(this.selfAttn.forward(this.inputLayernorm.forward(x), cos, sin, allowed, cache, layer)));
      return h.add(drop(this.mlp.forward(this.postAttentionLayernorm.forward(h))));
    });
  }
}

/** How a model of the family makes its decoder layer `index`. */
export type DecoderLayerFactory = (s: LlamaSettings, index: number) => DecoderLayer;

/**
 * The decoder without its head (`LlamaModel`; Gemma's, Gemma 2's, Phi-3's, Qwen3's and Mixtral's
 * with their `model_type`, their layers from `makeLayer`).
 */
export class LlamaModel extends Module {
  embedTokens: Embedding;
  layers: ModuleList<DecoderLayer>;
  norm: RMSNorm;
  private readonly s: Settings;

  constructor(config: LlamaConfig, modelType = config.model_type ?? 'llama', makeLayer: DecoderLayerFactory = (s) => new LlamaDecoderLayer(s)) {
    super();
    const s = settings(config, modelType);
    this.s = s;
    // pad_token_id's row is the embedding's padding row, as the hub's nn.Embedding(..., padding_idx): no gradient reaches it.
    this.embedTokens = new Embedding(s.vocab, s.hidden, { paddingIdx: s.pad });
    initEmbeddings([this.embedTokens], s.std);
    this.layers = new ModuleList(Array.from({ length: s.layers }, (_, i) => makeLayer(s, i)));
    this.norm = rmsNorm(s);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, hidden_size]`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): Tensor {
    return tl.tidy(() => this.run(inputIds, options, false).hidden);
  }

  /**
   * The hidden states and, with `withRouterLogits`, each mixture-of-experts layer's router
   * logits `[B·T, experts]` (the hub's `router_logits`, in layer order).
   */
  run(inputIds: Tensor, options: CausalLMForwardOptions, withRouterLogits: boolean): { hidden: Tensor; routerLogits: Tensor[] } {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const { cache, past, keyMask, positions, traced } = decoderInputs(inputIds, options, 'LlamaModel.forward');
      let x = this.embedTokens.forward(inputIds);
      // Gemma: the normalizer is a scalar of the hidden states' dtype, so rounded to it.
      if (this.s.gemma) x = x.mul(Math.sqrt(this.s.hidden));
      const device = x.device;
      // Phi-3's longrope: the long factors once the positions pass original_max_position_embeddings.
      const lr = this.s.longrope;
      const [cos, sin] = traced
        ? tracedRopeTables(traced.positions, this.s.invFreq, lr, x.dtype)
        : rotaryTables(positions, lr && longropeIsLong(lr, positions) ? lr.long : this.s.invFreq, device, x.dtype, lr ? lr.scale : 1);
      // One mask per window (Gemma 2's layers alternate between a sliding window and full attention).
      const masks = new Map<number | null, Tensor>();
      const maskFor = (window: number | null): Tensor => {
        let m = masks.get(window);
        if (!m) {
          m = traced ? tracedAttentionMask(inputIds, { keyMask: traced.keyMask, slidingWindow: window }) : attentionMask(b, t, past + t, { keyMask, slidingWindow: window, device });
          masks.set(window, m);
        }
        return m;
      };
      const routerLogits: Tensor[] = [];
      let i = 0;
      for (const layer of this.layers) {
        x = layer.forward(x, cos, sin, maskFor(this.s.layerWindows[i]), cache, i, withRouterLogits ? routerLogits : null);
        i++;
      }
      cache?.advance();
      return { hidden: this.norm.forward(x), routerLogits };
    });
  }
}

/**
 * A Llama-style causal LM (`LlamaForCausalLM`, `Qwen2ForCausalLM`, `MistralForCausalLM`;
 * SmolLM is a Llama). `lm_head` is tied to `model.embed_tokens` when
 * `tie_word_embeddings` is set. `GemmaForCausalLM`, `Phi3ForCausalLM` and `Qwen3ForCausalLM` extend it.
 *
 * @example
 * ```ts
 * const model = await LlamaForCausalLM.fromPretrained('HuggingFaceTB/SmolLM2-135M-Instruct');
 * const out = await model.generate(ids, { maxNewTokens: 64, doSample: true, topP: 0.9, seed: 0 });
 * ```
 */
export class LlamaForCausalLM extends CausalLM {
  static readonly modelTypes: readonly string[] = ['llama', 'qwen2', 'mistral'];
  static readonly keyRules: KeyRules = {
    basePrefix: 'model',
    ignore: [/rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  };

  model: LlamaModel;
  lmHead: Module & { weight: Tensor };
  protected readonly s: Settings;

  /** @internal The class's decoder layer `index` (a subclass with other layers overrides it). */
  static decoderLayer(s: LlamaSettings, _index: number): DecoderLayer {
    return new LlamaDecoderLayer(s);
  }

  constructor(config: LlamaConfig) {
    super(config);
    // A subclass's own model_type when the config names none (`new GemmaForCausalLM({...})`).
    const cls = new.target as unknown as typeof LlamaForCausalLM;
    const types = cls.modelTypes;
    const kind = config.model_type ?? types[0];
    if (!types.includes(kind)) throw new Error(`${new.target.name}: model_type '${kind}' is not one it reads (${types.join(', ')})`);
    this.s = settings(config, kind);
    this.model = new LlamaModel(config, kind, (s, i) => cls.decoderLayer(s, i));
    this.lmHead = this.s.tie ? new TiedHead(this.model.embedTokens) : denseLayer(this.s.hidden, this.s.vocab, this.s.std, false);
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

  /**
   * Phi-3's longrope: the step whose positions first pass original_max_position_embeddings
   * switches to the long factors, so the cached keys (rotated with the short ones) are stale and
   * the whole sequence is recomputed once, as the hub's Phi-3 `prepare_inputs_for_generation`
   * drops its cache there. Without padding the hub's test (the sequence's length) and this one
   * (the largest position, what picks the factors) agree; with left padding this one keeps cached
   * generation equal to uncached.
   */
  protected override cacheOutdated(mask: number[][]): boolean {
    const lr = this.s.longrope;
    if (!lr) return false;
    const last = Math.max(...positionsFromMask(mask, 1).map((r) => r[0]));
    return last + 1 > lr.original && last <= lr.original;
  }

  /** The head's float32 logits of hidden states `h` (soft-capped where the config says, as Gemma 2's). */
  protected logitsOf(h: Tensor): Tensor {
    let logits = h.matmul(this.lmHead.weight.t());
    if (this.s.finalSoftcap) logits = softcapped(logits, this.s.finalSoftcap);
    return logits.dtype === 'float32' ? logits : logits.float();
  }

  /** `inputIds` int32 `[B, T]` → `{ logits [B, T, vocab] (float32), loss? }`. */
  forward(inputIds: Tensor, options: CausalLMForwardOptions = {}): CausalLMOutput {
    return tl.tidy(() => {
      const h = keepLast(this.model.forward(inputIds, options), options.logitsToKeep);
      return causalLMOutput(this.logitsOf(h), options.labels);
    });
  }
}

/**
 * Gemma (`GemmaForCausalLM`, `model_type` gemma): Llama's layout and keys with RMSNorm weights
 * stored as offsets from one (`x · (1 + weight)`, in float32), embeddings scaled by
 * sqrt(hidden_size) in the model's dtype, a GeGLU MLP (`hidden_activation`, else `hidden_act`,
 * default tanh-approximate GELU), `head_dim` from the config, and `lm_head` tied to the
 * embedding unless `tie_word_embeddings` is false.
 *
 * @example
 * ```ts
 * const gemma = await GemmaForCausalLM.fromPretrained('google/gemma-2b');
 * const out = await gemma.generate([tokenizer.encode('The capital of France is')], { maxNewTokens: 20 });
 * ```
 */
export class GemmaForCausalLM extends LlamaForCausalLM {
  static override readonly modelTypes: readonly string[] = ['gemma'];
}

/**
 * Phi-3 (`Phi3ForCausalLM`, `model_type` phi3): Llama's semantics with the hub's fused
 * projections `self_attn.qkv_proj` (q, k, v along the output) and `mlp.gate_up_proj` (gate,
 * up), loaded and saved fused; Mistral's optional `sliding_window`; `resid_pdrop` dropout while
 * training. `partial_rotary_factor` (Phi-4-mini's 0.75) rotates the first int(head_dim · factor)
 * features of each head. `rope_scaling` type `longrope` (or its legacy name `su`) divides the
 * inverse frequencies by `short_factor` while max(position) + 1 ≤ `original_max_position_embeddings`
 * and by `long_factor` beyond, and scales cos and sin by `attention_factor` (default
 * sqrt(1 + ln(s) / ln(original)), s = max_position_embeddings / original), as the hub's. A forward
 * pass picks the factors by its own largest position; `generate` recomputes the sequence once at
 * the step that crosses the boundary (the cached keys were rotated with the short factors), as
 * the hub's Phi-3 drops its cache there, so cached and uncached generation agree. Other
 * `rope_scaling` types are refused.
 *
 * @example
 * ```ts
 * const phi = await Phi3ForCausalLM.fromPretrained('microsoft/Phi-3-mini-4k-instruct', { device: 'webgpu' });
 * const ids = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi!' }], { addGenerationPrompt: true });
 * const out = await phi.generate([ids], { maxNewTokens: 64 });
 * ```
 */
export class Phi3ForCausalLM extends LlamaForCausalLM {
  static override readonly modelTypes: readonly string[] = ['phi3'];
}

/**
 * Qwen3 (`Qwen3ForCausalLM`, `model_type` qwen3: Qwen/Qwen3-0.6B and up): Llama's layout and
 * keys with an RMSNorm over each query and key head before the rotary embedding
 * (`self_attn.q_norm.weight`, `self_attn.k_norm.weight`, `[head_dim]`, `rms_norm_eps`),
 * `head_dim` from the config (default 128, so heads · head_dim may differ from hidden_size),
 * `attention_bias` on q, k, v and o, no MLP bias, and `lm_head` tied to the embedding when
 * `tie_word_embeddings` is set (the small ones). `use_sliding_window` and `layer_types` other
 * than `full_attention` are refused, and `rope_scaling` types other than default, linear and
 * llama3 (Qwen3's `yarn`).
 *
 * @example
 * ```ts
 * const qwen = await Qwen3ForCausalLM.fromPretrained('Qwen/Qwen3-0.6B', { device: 'webgpu' });
 * const ids = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hi!' }], { addGenerationPrompt: true });
 * const out = await qwen.generate([ids], { maxNewTokens: 64, doSample: true, temperature: 0.6, topP: 0.95, topK: 20 });
 * ```
 */
export class Qwen3ForCausalLM extends LlamaForCausalLM {
  static override readonly modelTypes: readonly string[] = ['qwen3'];
}
