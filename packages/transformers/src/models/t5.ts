/**
 * T5 (`T5ForConditionalGeneration`, `T5Model`, `T5EncoderModel`; `model_type` `t5` and mT5's
 * `mt5`), the encoder-decoder, with the hub's names: `shared`, `{encoder,decoder}.block.N.layer.M`
 * with `SelfAttention.{q,k,v,o}` (and `relative_attention_bias` in block 0), the decoder's
 * `EncDecAttention`, `DenseReluDense.{wi,wo}` or gated `{wi_0,wi_1,wo}`, each sub-layer's
 * `layer_norm`, `final_layer_norm`, and `lm_head` (tied to `shared` unless `tie_word_embeddings`
 * is false). `{encoder,decoder}.embed_tokens.weight` are `shared.weight` again: read when a
 * checkpoint holds them, never saved.
 *
 * T5's semantics: an RMS layer norm without mean or bias (in float32), attention scores not
 * scaled by 1/sqrt(d), relative position buckets (bidirectional in the encoder, causal in the
 * decoder; exact for small offsets, log-spaced up to `relative_attention_max_distance`) whose
 * learned bias, computed in each stack's first block, every block adds; cross-attention without
 * a position bias; a tied head scaled by d_model**-0.5.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, Linear, Module, ModuleList, functional as F, init } from '@tensile/nn';
import { keepLast } from '../generation.js';
import { RMSNorm, activation, attentionMask, mergeHeads, minValue, splitHeads, tracedAttentionMask } from '../layers.js';
import { PreTrainedModel, field, type PretrainedConfig } from '../modeling.js';
import { checkIds, checkTracedSeq2Seq, decoderInputsOf, EncoderDecoderCache, maskRows, tracedMaskOf, Seq2SeqLM, seq2seqLoss, type Seq2SeqLMForwardOptions, type Seq2SeqLMOutput } from '../seq2seq.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of a T5 config.json this implementation reads. */
export interface T5Config extends PretrainedConfig {
  vocab_size: number;
  d_model: number;
  d_kv: number;
  d_ff: number;
  num_layers: number;
  num_decoder_layers?: number | null;
  num_heads: number;
  relative_attention_num_buckets?: number;
  relative_attention_max_distance?: number;
  dropout_rate?: number;
  layer_norm_epsilon?: number;
  initializer_factor?: number;
  /** `'relu'` (original T5), `'gated-gelu'` (T5 v1.1, Flan-T5, mT5: the tanh GELU), or `'ACT'` / `'gated-ACT'`. */
  feed_forward_proj?: string;
  tie_word_embeddings?: boolean;
  is_encoder_decoder?: boolean;
  decoder_start_token_id?: number;
  pad_token_id?: number;
  eos_token_id?: number;
}

interface Settings {
  vocab: number;
  dModel: number;
  dKv: number;
  dFf: number;
  inner: number;
  layers: number;
  decoderLayers: number;
  heads: number;
  buckets: number;
  maxDistance: number;
  dropout: number;
  eps: number;
  factor: number;
  gated: boolean;
  act: (x: Tensor) => Tensor;
  tied: boolean;
  decoderStart: number;
  pad: number;
}

const ACTIVATIONS = ['relu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'silu', 'swish', 'tanh'];

function settings(c: T5Config, where: string): Settings {
  const positive = (key: string, fallback?: number) => {
    const v = field<number>(c, key, fallback, where);
    if (typeof v !== 'number') throw new Error(`${where}: config field '${key}' should be a number, got ${JSON.stringify(v)}`);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${where}: config field '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const proj = field<string>(c, 'feed_forward_proj', 'relu', where);
  const parts = proj.split('-');
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated') || !ACTIVATIONS.includes(parts[parts.length - 1])) {
    throw new Error(`${where}: feed_forward_proj '${proj}' is not supported: 'ACT' or 'gated-ACT' with ACT one of ${ACTIVATIONS.join(', ')} ('relu' for T5, 'gated-gelu' for T5 v1.1 and Flan-T5)`);
  }
  // The hub's rule: 'gated-gelu' is the tanh approximation (gelu_new); otherwise the name as it is.
  const actName = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
  const layers = positive('num_layers');
  const decoderLayers = c.num_decoder_layers === undefined || c.num_decoder_layers === null ? layers : positive('num_decoder_layers');
  const buckets = positive('relative_attention_num_buckets', 32);
  if (buckets < 2) throw new Error(`${where}: relative_attention_num_buckets ${buckets} is too few (at least 2)`);
  const maxDistance = positive('relative_attention_max_distance', 128);
  const heads = positive('num_heads');
  const dKv = positive('d_kv');
  const eos = c.eos_token_id;
  if (eos !== undefined && eos !== null && typeof eos !== 'number' && !Array.isArray(eos)) {
    throw new Error(`${where}: config field 'eos_token_id' should be a number, got ${JSON.stringify(eos)}`);
  }
  return {
    vocab: positive('vocab_size'),
    dModel: positive('d_model'),
    dKv,
    dFf: positive('d_ff'),
    inner: heads * dKv,
    layers,
    decoderLayers,
    heads,
    buckets,
    maxDistance,
    dropout: field<number>(c, 'dropout_rate', 0.1, where),
    eps: field<number>(c, 'layer_norm_epsilon', 1e-6, where),
    factor: field<number>(c, 'initializer_factor', 1, where),
    gated: parts.length === 2,
    act: activation(actName, where),
    tied: field<boolean>(c, 'tie_word_embeddings', true, where),
    decoderStart: field<number>(c, 'decoder_start_token_id', 0, where),
    pad: field<number>(c, 'pad_token_id', 0, where),
  };
}

const NAMES: Record<string, string> = {
  selfAttention: 'SelfAttention', encDecAttention: 'EncDecAttention', denseReluDense: 'DenseReluDense', layerNorm: 'layer_norm',
  finalLayerNorm: 'final_layer_norm', embedTokens: 'embed_tokens', relativeAttentionBias: 'relative_attention_bias', wi0: 'wi_0', wi1: 'wi_1',
  lmHead: 'lm_head',
};

/** A bias-free `Linear` from N(0, std²), as the hub's `_init_weights` draws T5's. */
function dense(inFeatures: number, outFeatures: number, std: number): Linear {
  const l = new Linear(inFeatures, outFeatures, { bias: false });
  init.normal_(l.weight, 0, std);
  return l;
}

/**
 * T5's bucket of a relative position (`key - query`), as the hub's `_relative_position_bucket`
 * computes it in PyTorch's float32: offsets below `max_exact` (half the buckets, or a quarter
 * when bidirectional) keep a bucket each, larger ones share log-spaced buckets up to
 * `maxDistance` and the last bucket beyond; `bidirectional` (the encoder) spends half the buckets
 * on keys after the query, causal (the decoder) only looks back.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let buckets = numBuckets;
  let base = 0;
  let n: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) base = buckets;
    n = Math.abs(relative);
  } else {
    n = Math.max(-relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (n < maxExact) return base + n;
  const f = Math.fround;
  // float32 throughout, as torch: log(n / max_exact) / log(max_distance / max_exact) * (buckets - max_exact), truncated.
  const ratio = f(f(Math.log(f(n / maxExact))) / f(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f(ratio * (buckets - maxExact)));
  return base + Math.min(large, buckets - 1);
}

/**
 * The distances at which `relativePositionBucket` steps up, for one direction: bucket(n) is
 * how many of them `n` (>= 0, away from the query) has reached. Found by running the host
 * function itself over 0 .. max_distance (it is constant beyond), so the count is exact.
 */
function bucketSteps(bidirectional: boolean, numBuckets: number, maxDistance: number): number[] {
  const where = 'tracedRelativePositionBucket';
  const limit = Math.max(maxDistance, numBuckets) + 1;
  const steps: number[] = [];
  let previous = relativePositionBucket(0, bidirectional, numBuckets, maxDistance);
  if (previous !== 0) throw new Error(`${where}: bucket of distance 0 is ${previous}, expected 0`);
  for (let n = 1; n <= limit; n++) {
    const b = relativePositionBucket(-n, bidirectional, numBuckets, maxDistance);
    if (!(b >= previous)) throw new Error(`${where}: buckets of ${numBuckets} up to max_distance ${maxDistance} are not monotone in the distance (${previous} then ${b} at ${n}); this config cannot be traced`);
    for (let k = previous; k < b; k++) steps.push(n);
    previous = b;
  }
  const last = bidirectional ? Math.floor(numBuckets / 2) - 1 : numBuckets - 1;
  if (previous !== last) throw new Error(`${where}: buckets of ${numBuckets} up to max_distance ${maxDistance} end at ${previous} by distance ${limit}, expected ${last}; this config cannot be traced`);
  return steps;
}

/**
 * `relativePositionBucket` with tensor ops on int32 `relative` (`key - query`, any shape), for a
 * traced (exported) forward whose lengths are dynamic. Rather than float32 logs in the graph
 * (onnxruntime's Log need not round as PyTorch's does, and one ulp moves a distance across a
 * bucket edge), it counts the host function's step distances that `|relative|` has reached:
 * the buckets are monotone in the distance, so this gives the host's buckets exactly.
 */
export function tracedRelativePositionBucket(relative: Tensor, bidirectional: boolean, numBuckets: number, maxDistance: number): Tensor {
  const steps = bucketSteps(bidirectional, numBuckets, maxDistance);
  return tl.tidy(() => {
    const rel = relative.dtype === 'int32' ? relative : relative.cast('int32');
    const n = bidirectional ? rel.abs() : tl.where(rel.lt(0), rel.neg(), 0);
    const edges = tl.tensor(Int32Array.from(steps), { dtype: 'int32', device: rel.device });
    const reached = n.unsqueeze(-1).ge(edges).cast('int32').sum(-1).cast('int32');
    if (!bidirectional) return reached;
    // Keys after the query take the upper half of the buckets.
    return tl.where(rel.gt(0), reached.add(Math.floor(numBuckets / 2)), reached);
  });
}

/** Bucket ids `[queries, keys]` for queries at `past .. past + queries` over keys `0 .. keys`. */
function bucketIds(past: number, queries: number, keys: number, bidirectional: boolean, s: Settings, device: string): Tensor {
  const ids = new Int32Array(queries * keys);
  for (let i = 0; i < queries; i++) {
    for (let j = 0; j < keys; j++) ids[i * keys + j] = relativePositionBucket(j - (past + i), bidirectional, s.buckets, s.maxDistance);
  }
  return tl.tensor(ids, { dtype: 'int32', device }).reshape([queries, keys]);
}

/** Clamp float16 hidden states as the hub does (to the largest finite value, 1000 below it once one is infinite); other dtypes pass. */
function clampHalf(x: Tensor): Tensor {
  if (x.dtype !== 'float16') return x;
  const bound = x.abs().eq(Infinity).any().float().mul(-1000).add(65504).cast('float16');
  return x.clamp(bound.neg(), bound);
}

/** `q`, `k`, `v`, `o` (no biases), unscaled scores plus the position bias, softmax in float32. */
class T5Attention extends Module {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  relativeAttentionBias: Embedding | null = null;

  constructor(private readonly s: Settings, hasBias: boolean) {
    super();
    const f = s.factor;
    this.q = dense(s.dModel, s.inner, f * (s.dModel * s.dKv) ** -0.5);
    this.k = dense(s.dModel, s.inner, f * s.dModel ** -0.5);
    this.v = dense(s.dModel, s.inner, f * s.dModel ** -0.5);
    this.o = dense(s.inner, s.dModel, f * s.inner ** -0.5);
    if (hasBias) {
      this.relativeAttentionBias = new Embedding(s.buckets, s.heads);
      init.normal_(this.relativeAttentionBias.weight, 0, f * s.dModel ** -0.5);
    }
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** The learned bias `[1, heads, queries, keys]` of queries at `past ..` over keys `0 .. keys`. */
  positionBias(past: number, queries: number, keys: number, bidirectional: boolean): Tensor {
    return tl.tidy(() => {
      const ids = bucketIds(past, queries, keys, bidirectional, this.s, this.q.weight.device);
      return this.relativeAttentionBias!.forward(ids).permute([2, 0, 1]).unsqueeze(0);
    });
  }

  /** `positionBias` of a traced no-cache forward: queries and keys `0 .. T` of `ids` `[B, T]`, with tensor ops. */
  tracedPositionBias(ids: Tensor, bidirectional: boolean): Tensor {
    return tl.tidy(() => {
      const index = tl.arange(0, ids.shape[1], 1, { dtype: 'int32', device: this.q.weight.device });
      const relative = index.unsqueeze(0).sub(index.unsqueeze(1));
      const buckets = tracedRelativePositionBucket(relative, bidirectional, this.s.buckets, this.s.maxDistance);
      return this.relativeAttentionBias!.forward(buckets).permute([2, 0, 1]).unsqueeze(0);
    });
  }

  /** Keys and values `[B, H, S, D]` of `x`. */
  keysValues(x: Tensor): [Tensor, Tensor] {
    return [splitHeads(this.k.forward(x), this.s.heads), splitHeads(this.v.forward(x), this.s.heads)];
  }

  /** `x` attends to `keys`/`values` (or its own), adding `bias` (`[1|B, H, T, S]`) and masking to `allowed`. */
  forward(x: Tensor, kv: [Tensor, Tensor], bias: Tensor | null, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const q = splitHeads(this.q.forward(x), this.s.heads);
      const [k, v] = kv;
      let scores = q.matmul(k.transpose(-1, -2)); // no 1/sqrt(d_kv): T5 folds it into the initialisation
      if (bias) scores = scores.add(bias.dtype === scores.dtype ? bias : bias.cast(scores.dtype));
      if (allowed) scores = tl.where(allowed, scores, minValue(scores.dtype));
      let weights = scores.dtype === 'float32' ? scores.softmax(-1) : scores.float().softmax(-1).cast(scores.dtype);
      weights = F.dropout(weights, this.s.dropout, this.training);
      return this.o.forward(mergeHeads(weights.matmul(v)));
    });
  }
}

/** `layer.0`: RMS norm, self-attention (with the stack's position bias), dropout, residual. */
class T5LayerSelfAttention extends Module {
  selfAttention: T5Attention;
  layerNorm: RMSNorm;
  constructor(private readonly s: Settings, hasBias: boolean) {
    super();
    this.selfAttention = new T5Attention(s, hasBias);
    this.layerNorm = new RMSNorm(s.dModel, s.eps);
    init.constant_(this.layerNorm.weight, s.factor);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, bias: Tensor, allowed: Tensor | null, cache: EncoderDecoderCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const h = this.layerNorm.forward(x);
      const [k, v] = this.selfAttention.keysValues(h);
      const kv = cache ? cache.self.update(layer, k, v) : ([k, v] as [Tensor, Tensor]);
      return clampHalf(x.add(F.dropout(this.selfAttention.forward(h, kv, bias, allowed), this.s.dropout, this.training)));
    });
  }
}

/** The decoder's `layer.1`: RMS norm, attention to the encoder's output (no position bias), dropout, residual. */
class T5LayerCrossAttention extends Module {
  encDecAttention: T5Attention;
  layerNorm: RMSNorm;
  constructor(private readonly s: Settings) {
    super();
    this.encDecAttention = new T5Attention(s, false);
    this.layerNorm = new RMSNorm(s.dModel, s.eps);
    init.constant_(this.layerNorm.weight, s.factor);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, encoded: Tensor, allowed: Tensor | null, cache: EncoderDecoderCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const kv = cache ? cache.cross(layer, () => this.encDecAttention.keysValues(encoded)) : this.encDecAttention.keysValues(encoded);
      const y = this.encDecAttention.forward(this.layerNorm.forward(x), kv, null, allowed);
      return clampHalf(x.add(F.dropout(y, this.s.dropout, this.training)));
    });
  }
}

/**
 * `DenseReluDense`: `wo(act(wi(x)))`, or gated `wo(act(wi_0(x)) · wi_1(x))`. `wo` runs in the
 * model's dtype: the hub keeps it in float32 (`_keep_in_fp32_modules`) because real checkpoints
 * overflow float16 there; the loader has one dtype per model, so in float16 only the residual
 * clamp (clampHalf) stands between an overflow and inf (see the README's T5 section).
 */
class T5DenseActDense extends Module {
  wi: Linear | null = null;
  wi0: Linear | null = null;
  wi1: Linear | null = null;
  wo: Linear;
  constructor(private readonly s: Settings) {
    super();
    const std = s.factor * s.dModel ** -0.5;
    if (s.gated) {
      this.wi0 = dense(s.dModel, s.dFf, std);
      this.wi1 = dense(s.dModel, s.dFf, std);
    } else {
      this.wi = dense(s.dModel, s.dFf, std);
    }
    this.wo = dense(s.dFf, s.dModel, s.factor * s.dFf ** -0.5);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const h = this.wi ? this.s.act(this.wi.forward(x)) : this.s.act(this.wi0!.forward(x)).mul(this.wi1!.forward(x));
      return this.wo.forward(F.dropout(h, this.s.dropout, this.training));
    });
  }
}

/** The last sub-layer: RMS norm, `DenseReluDense`, dropout, residual. */
class T5LayerFF extends Module {
  denseReluDense: T5DenseActDense;
  layerNorm: RMSNorm;
  constructor(private readonly s: Settings) {
    super();
    this.denseReluDense = new T5DenseActDense(s);
    this.layerNorm = new RMSNorm(s.dModel, s.eps);
    init.constant_(this.layerNorm.weight, s.factor);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => clampHalf(x.add(F.dropout(this.denseReluDense.forward(this.layerNorm.forward(x)), this.s.dropout, this.training))));
  }
}

class T5Block extends Module {
  layer: ModuleList<Module>;
  constructor(s: Settings, isDecoder: boolean, hasBias: boolean) {
    super();
    const parts: Module[] = [new T5LayerSelfAttention(s, hasBias)];
    if (isDecoder) parts.push(new T5LayerCrossAttention(s));
    parts.push(new T5LayerFF(s));
    this.layer = new ModuleList(parts);
  }
  forward(x: Tensor, bias: Tensor, allowed: Tensor | null, cross: { encoded: Tensor; allowed: Tensor | null } | null, cache: EncoderDecoderCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const parts = [...this.layer];
      let h = (parts[0] as T5LayerSelfAttention).forward(x, bias, allowed, cache, layer);
      if (cross) h = (parts[1] as T5LayerCrossAttention).forward(h, cross.encoded, cross.allowed, cache, layer);
      return (parts[parts.length - 1] as T5LayerFF).forward(h);
    });
  }
}

/** What a stack reads beside its input ids. */
interface StackInputs {
  /** Host rows of the stack's own attention mask (covering cached + new positions in the decoder). */
  keyMask: number[][] | null;
  /** The decoder's: the encoder's output and its mask's host rows. */
  encoded?: Tensor;
  encoderMask?: number[][] | null;
  cache?: EncoderDecoderCache | null;
  /**
   * While traced (exported), instead of the host rows: the masks as bool `[B, T]` / `[B, S]`
   * tensors (or null), and the masks and position bias are built with tensor ops.
   */
  traced?: { keyMask: Tensor | null; encoderMask: Tensor | null };
}

/**
 * An encoder or decoder stack (`encoder.*`, `decoder.*`): `embed_tokens` (the model's `shared`),
 * blocks, `final_layer_norm`, dropout before and after.
 */
export class T5Stack extends Module {
  embedTokens: Embedding;
  block: ModuleList<T5Block>;
  finalLayerNorm: RMSNorm;

  constructor(private readonly s: Settings, shared: Embedding, readonly isDecoder: boolean) {
    super();
    this.embedTokens = shared;
    const n = isDecoder ? s.decoderLayers : s.layers;
    this.block = new ModuleList(Array.from({ length: n }, (_, i) => new T5Block(s, isDecoder, i === 0)));
    this.finalLayerNorm = new RMSNorm(s.dModel, s.eps);
    init.constant_(this.finalLayerNorm.weight, s.factor);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` → hidden states `[B, T, d_model]`. */
  forward(inputIds: Tensor, inputs: StackInputs): Tensor {
    return tl.tidy(() => {
      const [b, t] = inputIds.shape;
      const cache = this.isDecoder ? (inputs.cache ?? null) : null;
      const past = cache?.length ?? 0;
      const device = this.embedTokens.weight.device;
      let x = F.dropout(this.embedTokens.forward(inputIds), this.s.dropout, this.training);
      const first = [...this.block][0].layer;
      const attention = ([...first][0] as T5LayerSelfAttention).selfAttention;
      if (inputs.traced) {
        const { keyMask, encoderMask } = inputs.traced;
        const allowed = this.isDecoder ? tracedAttentionMask(inputIds, { keyMask }) : keyMask ? keyMask.unsqueeze(1).unsqueeze(1) : null;
        const bias = attention.tracedPositionBias(inputIds, !this.isDecoder);
        const cross = this.isDecoder ? { encoded: inputs.encoded!, allowed: encoderMask ? encoderMask.unsqueeze(1).unsqueeze(1) : null } : null;
        let i = 0;
        for (const block of this.block) x = block.forward(x, bias, allowed, cross, null, i++);
        return F.dropout(this.finalLayerNorm.forward(x), this.s.dropout, this.training);
      }
      const allowed = this.isDecoder || inputs.keyMask ? attentionMask(b, t, past + t, { keyMask: inputs.keyMask, causal: this.isDecoder, device }) : null;
      const bias = attention.positionBias(past, t, past + t, !this.isDecoder);
      let cross: { encoded: Tensor; allowed: Tensor | null } | null = null;
      if (this.isDecoder) {
        const encoded = inputs.encoded!;
        const s = encoded.shape[1];
        cross = { encoded, allowed: inputs.encoderMask ? attentionMask(b, t, s, { keyMask: inputs.encoderMask, causal: false, device }) : null };
      }
      let i = 0;
      for (const block of this.block) x = block.forward(x, bias, allowed, cross, cache, i++);
      cache?.self.advance();
      return F.dropout(this.finalLayerNorm.forward(x), this.s.dropout, this.training);
    });
  }
}

const TRACED_SUPPORTED = 'trace forward(inputIds, { decoderInputIds }), with attentionMask and decoderAttentionMask [batch, seq] tensor inputs if any';

/**
 * The decoder's output `[B, T, d_model]` of a traced (exported) forward: the no-cache forward
 * only, its masks tensors, so the export follows the batch and both sequence axes.
 */
function tracedDecoder(
  decoder: T5Stack, state: { encoded: Tensor; tracedMask: Tensor | null }, options: Seq2SeqLMForwardOptions, s: Settings, where: string,
): Tensor {
  checkTracedSeq2Seq(options, where, TRACED_SUPPORTED);
  const ids = decoderInputsOf(options, s, state.encoded.shape[0], where);
  const keyMask = tracedMaskOf(options.decoderAttentionMask, ids.shape[0], ids.shape[1], 'decoderAttentionMask', where, TRACED_SUPPORTED);
  return decoder.forward(ids, { keyMask: null, encoded: state.encoded, traced: { keyMask, encoderMask: state.tracedMask } });
}

/** The encoder's last hidden state from `encoderOutputs` or by running the encoder. */
function encoderState(
  encoder: T5Stack, inputIds: Tensor | null, options: Pick<Seq2SeqLMForwardOptions, 'attentionMask' | 'encoderOutputs'>, where: string,
): { encoded: Tensor; mask: number[][] | null; tracedMask: Tensor | null } {
  const given = options.encoderOutputs ? ('lastHiddenState' in options.encoderOutputs ? options.encoderOutputs.lastHiddenState : options.encoderOutputs) : null;
  if (!given && !inputIds) throw new Error(`${where}: give inputIds or encoderOutputs`);
  if (inputIds) checkIds(inputIds, 'inputIds', where);
  if (given && given.rank !== 3) throw new Error(`${where}: encoderOutputs must be [batch, seq, d_model], got ${tl.formatShape(given.shape)}`);
  if (given && inputIds && (given.shape[0] !== inputIds.shape[0] || given.shape[1] !== inputIds.shape[1])) {
    throw new Error(`${where}: encoderOutputs ${tl.formatShape(given.shape)} do not match inputIds ${tl.formatShape(inputIds.shape)}`);
  }
  const [b, t] = given ? given.shape : inputIds!.shape;
  if (tl.autograd.isTracing()) {
    const tracedMask = tracedMaskOf(options.attentionMask, b, t, 'attentionMask', where, TRACED_SUPPORTED);
    return { encoded: given ?? encoder.forward(inputIds!, { keyMask: null, traced: { keyMask: tracedMask, encoderMask: null } }), mask: null, tracedMask };
  }
  const mask = maskRows(options.attentionMask, b, t, 'attentionMask', where);
  return { encoded: given ?? encoder.forward(inputIds!, { keyMask: mask }), mask, tracedMask: null };
}

/** Shared by the three classes: `shared` and the stacks, their settings and the hub's key rules. */
function sharedEmbedding(s: Settings): Embedding {
  const shared = new Embedding(s.vocab, s.dModel);
  init.normal_(shared.weight, 0, s.factor);
  return shared;
}

const T5_IGNORE = [/^(encoder|decoder)\.embed_tokens\.weight$/, /^lm_head\.weight$/];

/**
 * T5 with its language-model head (`T5ForConditionalGeneration`; mT5's configs too): the
 * encoder over `inputIds`, the decoder over `decoderInputIds` (or the labels shifted right),
 * cross-attending to the encoder's output; `generate` decodes from `decoder_start_token_id`.
 *
 * @example
 * ```ts
 * const t5 = await T5ForConditionalGeneration.fromPretrained('google-t5/t5-small', { device: 'wasm' });
 * const ids = tl.tensor([tokenizer.encode('translate English to German: Hello')], { dtype: 'int32', device: 'wasm' });
 * const out = await t5.generate(ids, { maxNewTokens: 20 }); // [[0, ...]]: the decoder's tokens
 * const { loss } = t5.forward(ids, { labels: tl.tensor([tokenizer.encode('Hallo')], { dtype: 'int32', device: 'wasm' }) });
 * ```
 */
export class T5ForConditionalGeneration extends Seq2SeqLM {
  static readonly modelTypes = ['t5', 'mt5'] as const;
  static readonly keyRules: KeyRules = { basePrefix: null, ignore: T5_IGNORE };

  shared: Embedding;
  encoder: T5Stack;
  decoder: T5Stack;
  lmHead: Linear | TiedHead;
  private readonly s: Settings;

  constructor(config: T5Config) {
    super(config);
    const where = this.constructor.name;
    this.s = settings(config, where);
    if (config.is_encoder_decoder === false) throw new Error(`${where}: config field 'is_encoder_decoder' is false; ${where} is an encoder-decoder (T5EncoderModel reads the encoder alone)`);
    this.shared = sharedEmbedding(this.s);
    this.encoder = new T5Stack(this.s, this.shared, false);
    this.decoder = new T5Stack(this.s, this.shared, true);
    this.lmHead = this.s.tied ? new TiedHead(this.shared) : dense(this.s.dModel, this.s.vocab, this.s.factor * this.s.dModel ** -0.5);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight', ...(this.s.tied ? ['lm_head.weight'] : [])];
  }

  /** `inputIds` int32 `[B, T]` → the encoder's last hidden state `[B, T, d_model]`. */
  encode(inputIds: Tensor, options: { attentionMask?: Tensor | number[][] | null } = {}): Tensor {
    return tl.tidy(() => encoderState(this.encoder, inputIds, options, `${this.constructor.name}.encode`).encoded);
  }

  createCache(batch: number, maxLength: number): EncoderDecoderCache {
    return new EncoderDecoderCache({ layers: this.s.decoderLayers, batch, heads: this.s.heads, headDim: this.s.dKv, maxLength, device: this.device, dtype: this.dtype });
  }

  /**
   * `inputIds` int32 `[B, S]` (or `encoderOutputs`) and `decoderInputIds` `[B, T]` (or `labels`,
   * shifted right) → `{ logits [B, T, vocab], loss?, encoderLastHiddenState }`.
   */
  forward(inputIds: Tensor | null, options: Seq2SeqLMForwardOptions = {}): Seq2SeqLMOutput {
    const where = `${this.constructor.name}.forward`;
    if (tl.autograd.isTracing()) {
      // Checked before the encoder runs, so a refused option throws before any op is traced.
      checkTracedSeq2Seq(options, where, TRACED_SUPPORTED);
      return tl.tidy(() => {
        const state = encoderState(this.encoder, inputIds, options, where);
        let h = tracedDecoder(this.decoder, state, options, this.s, where);
        if (this.s.tied) h = h.mul(this.s.dModel ** -0.5);
        return { logits: h.matmul(this.lmHead.weight.t()), encoderLastHiddenState: state.encoded };
      });
    }
    return tl.tidy(() => {
      const { encoded, mask } = encoderState(this.encoder, inputIds, options, where);
      const ids = decoderInputsOf(options, this.s, encoded.shape[0], where);
      const past = options.cache?.length ?? 0;
      const keyMask = maskRows(options.decoderAttentionMask, ids.shape[0], past + ids.shape[1], 'decoderAttentionMask (cached + new positions)', where);
      let h = keepLast(this.decoder.forward(ids, { keyMask, encoded, encoderMask: mask, cache: options.cache }), options.logitsToKeep);
      // The tied head sees the decoder's output rescaled by d_model**-0.5 (Mesh TensorFlow's rule).
      if (this.s.tied) h = h.mul(this.s.dModel ** -0.5);
      const logits = h.matmul(this.lmHead.weight.t());
      const out: Seq2SeqLMOutput = { logits, encoderLastHiddenState: encoded };
      if (options.labels) out.loss = seq2seqLoss(logits, options.labels);
      return out;
    });
  }
}

/** mT5 (`model_type` `mt5`): T5's code under the hub's mT5 name. */
export class MT5ForConditionalGeneration extends T5ForConditionalGeneration {}

/** What `T5Model.forward` returns. */
export interface T5ModelOutput {
  /** The decoder's last hidden state `[B, T, d_model]`. */
  lastHiddenState: Tensor;
  encoderLastHiddenState: Tensor;
}

/**
 * T5 without a head (`T5Model`, the hub's `AutoModel` for `t5`): `shared`, the encoder and the
 * decoder; `forward` gives the decoder's last hidden state.
 */
export class T5Model extends PreTrainedModel {
  static readonly modelTypes = ['t5', 'mt5'] as const;
  static readonly keyRules: KeyRules = { basePrefix: null, ignore: T5_IGNORE };

  shared: Embedding;
  encoder: T5Stack;
  decoder: T5Stack;
  private readonly s: Settings;

  constructor(config: T5Config) {
    super(config);
    this.s = settings(config, this.constructor.name);
    this.shared = sharedEmbedding(this.s);
    this.encoder = new T5Stack(this.s, this.shared, false);
    this.decoder = new T5Stack(this.s, this.shared, true);
  }

  override tiedKeys(): string[] {
    return ['encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'];
  }

  /** `inputIds` (or `encoderOutputs`) and `decoderInputIds` → `{ lastHiddenState, encoderLastHiddenState }`. */
  forward(inputIds: Tensor | null, options: Omit<Seq2SeqLMForwardOptions, 'labels' | 'cache' | 'logitsToKeep'> = {}): T5ModelOutput {
    const where = `${this.constructor.name}.forward`;
    if (tl.autograd.isTracing()) {
      return tl.tidy(() => {
        const state = encoderState(this.encoder, inputIds, options, where);
        return { lastHiddenState: tracedDecoder(this.decoder, state, options, this.s, where), encoderLastHiddenState: state.encoded };
      });
    }
    return tl.tidy(() => {
      const { encoded, mask } = encoderState(this.encoder, inputIds, options, where);
      const ids = decoderInputsOf(options, this.s, encoded.shape[0], where);
      const keyMask = maskRows(options.decoderAttentionMask, ids.shape[0], ids.shape[1], 'decoderAttentionMask', where);
      return { lastHiddenState: this.decoder.forward(ids, { keyMask, encoded, encoderMask: mask }), encoderLastHiddenState: encoded };
    });
  }
}

/**
 * T5's encoder alone (`T5EncoderModel`: `shared` and `encoder.*`), as sentence encoders and
 * text-to-image pipelines use it; loads from a full T5 checkpoint, whose decoder and head keys it
 * leaves unused.
 *
 * @example
 * ```ts
 * const encoder = await T5EncoderModel.fromPretrained('google/flan-t5-small');
 * const { lastHiddenState } = encoder.forward(ids, { attentionMask });
 * ```
 */
export class T5EncoderModel extends PreTrainedModel {
  static readonly modelTypes = ['t5', 'mt5'] as const;
  static readonly keyRules: KeyRules = { basePrefix: null, ignore: [/^decoder\./, /^lm_head\.weight$/, /^encoder\.embed_tokens\.weight$/] };

  shared: Embedding;
  encoder: T5Stack;

  constructor(config: T5Config) {
    super(config);
    const s = settings(config, this.constructor.name);
    this.shared = sharedEmbedding(s);
    this.encoder = new T5Stack(s, this.shared, false);
  }

  override tiedKeys(): string[] {
    return ['encoder.embed_tokens.weight'];
  }

  /** `inputIds` int32 `[B, T]` → `{ lastHiddenState [B, T, d_model] }`. */
  forward(inputIds: Tensor, options: { attentionMask?: Tensor | number[][] | null } = {}): { lastHiddenState: Tensor } {
    return tl.tidy(() => ({ lastHiddenState: encoderState(this.encoder, inputIds, options, `${this.constructor.name}.forward`).encoded }));
  }
}

/** mT5's encoder (`MT5EncoderModel`). */
export class MT5EncoderModel extends T5EncoderModel {}
