/**
 * Whisper (`WhisperForConditionalGeneration`, `WhisperModel`; `model_type` `whisper`), the speech
 * encoder-decoder, with the hub's names: `model.encoder.{conv1, conv2, embed_positions,
 * layers.N, layer_norm}`, `model.decoder.{embed_tokens, embed_positions, layers.N, layer_norm}`,
 * each layer's `self_attn.{q,k,v,out}_proj`, `self_attn_layer_norm`, `fc1`, `fc2`,
 * `final_layer_norm` (and the decoder's `encoder_attn`, `encoder_attn_layer_norm`), and
 * `proj_out` tied to `model.decoder.embed_tokens` (checkpoints often omit `proj_out.weight`).
 *
 * Whisper's semantics, as the hub's `modeling_whisper.py`: log-mel features `[B, mel, 2 *
 * max_source_positions]` through conv1 (kernel 3, padding 1) + GELU and conv2 (kernel 3, stride 2,
 * padding 1) + GELU, plus the stored sinusoidal `embed_positions` (frozen, as the hub freezes
 * them); pre-LN layers; attention with biases on q, v and out but none on k, queries scaled by
 * head_dim**-0.5 before the product; the encoder attends everywhere (Whisper takes no encoder
 * mask), the decoder causally over learned positions and across to the encoder's output.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Conv1d, Embedding, LayerNorm, Linear, Module, ModuleList, functional as F, init } from '@tensile/nn';
import { generationDefault, hostRows, keepLast, planGeneration, GENERATE_OPTIONS, type GenerateOptions } from '../generation.js';
import { activation, attend, attentionMask, denseLayer, mergeHeads, splitHeads, tracedAttentionMask } from '../layers.js';
import { PreTrainedModel, field, type PretrainedConfig } from '../modeling.js';
import { rejectUnknownOptions } from '../options.js';
import { checkTracedSeq2Seq, decodeAfterEncoding, decoderInputsOf, EncoderDecoderCache, maskRows, seq2seqLoss, tracedMaskOf, type Seq2SeqLMForwardOptions, type Seq2SeqLMOutput } from '../seq2seq.js';
import type { KeyRules } from '../weights.js';
import { TiedHead } from './gpt2.js';

/** The fields of a Whisper config.json this implementation reads. */
export interface WhisperConfig extends PretrainedConfig {
  vocab_size: number;
  num_mel_bins: number;
  d_model: number;
  encoder_layers: number;
  encoder_attention_heads: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  encoder_ffn_dim: number;
  decoder_ffn_dim: number;
  /** Encoder positions: the features carry twice as many frames (conv2's stride). */
  max_source_positions?: number;
  max_target_positions?: number;
  activation_function?: string;
  dropout?: number;
  attention_dropout?: number;
  activation_dropout?: number;
  init_std?: number;
  /** Must be 0: dropping whole layers while training is not implemented. */
  encoder_layerdrop?: number;
  decoder_layerdrop?: number;
  /** Must be false (every released Whisper). */
  scale_embedding?: boolean;
  /** SpecAugment while training: not implemented (training with it on throws). */
  apply_spec_augment?: boolean;
  tie_word_embeddings?: boolean;
  decoder_start_token_id?: number;
  pad_token_id?: number;
  eos_token_id?: number;
}

interface Settings {
  vocab: number;
  melBins: number;
  dModel: number;
  encoderLayers: number;
  encoderHeads: number;
  decoderLayers: number;
  decoderHeads: number;
  encoderFfn: number;
  decoderFfn: number;
  maxSource: number;
  maxTarget: number;
  act: (x: Tensor) => Tensor;
  dropout: number;
  attnDropout: number;
  actDropout: number;
  std: number;
  specAugment: boolean;
  tied: boolean;
  decoderStart: number;
  pad: number;
}

function settings(c: WhisperConfig, where: string): Settings {
  const positive = (key: string, fallback?: number) => {
    const v = field<number>(c, key, fallback, where);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${where}: config field '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const dModel = positive('d_model');
  const encoderHeads = positive('encoder_attention_heads');
  const decoderHeads = positive('decoder_attention_heads');
  for (const [key, h] of [['encoder_attention_heads', encoderHeads], ['decoder_attention_heads', decoderHeads]] as const) {
    if (dModel % h !== 0) throw new Error(`${where}: d_model ${dModel} is not divisible by ${key} ${h}`);
  }
  for (const key of ['encoder_layerdrop', 'decoder_layerdrop']) {
    const v = field<number>(c, key, 0, where);
    if (v !== 0) throw new Error(`${where}: ${key} ${v} is not supported (only 0)`);
  }
  if (field<boolean>(c, 'scale_embedding', false, where)) throw new Error(`${where}: scale_embedding true is not supported (every released Whisper has false)`);
  return {
    vocab: positive('vocab_size'),
    melBins: positive('num_mel_bins'),
    dModel,
    encoderLayers: positive('encoder_layers'),
    encoderHeads,
    decoderLayers: positive('decoder_layers'),
    decoderHeads,
    encoderFfn: positive('encoder_ffn_dim'),
    decoderFfn: positive('decoder_ffn_dim'),
    maxSource: positive('max_source_positions', 1500),
    maxTarget: positive('max_target_positions', 448),
    act: activation(field<string>(c, 'activation_function', 'gelu', where), where),
    dropout: field<number>(c, 'dropout', 0, where),
    attnDropout: field<number>(c, 'attention_dropout', 0, where),
    actDropout: field<number>(c, 'activation_dropout', 0, where),
    std: field<number>(c, 'init_std', 0.02, where),
    specAugment: field<boolean>(c, 'apply_spec_augment', false, where),
    tied: field<boolean>(c, 'tie_word_embeddings', true, where),
    decoderStart: field<number>(c, 'decoder_start_token_id', 50257, where),
    pad: field<number>(c, 'pad_token_id', 50256, where),
  };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', outProj: 'out_proj', selfAttn: 'self_attn', selfAttnLayerNorm: 'self_attn_layer_norm',
  encoderAttn: 'encoder_attn', encoderAttnLayerNorm: 'encoder_attn_layer_norm', finalLayerNorm: 'final_layer_norm', layerNorm: 'layer_norm',
  embedTokens: 'embed_tokens', embedPositions: 'embed_positions', projOut: 'proj_out',
};

/** Whisper's sinusoids `[length, channels]`: sin then cos of positions over log-spaced timescales up to 10000. */
export function whisperSinusoids(length: number, channels: number): Float32Array {
  const half = channels / 2;
  if (!Number.isInteger(half) || half < 2) throw new Error(`whisperSinusoids: channels must be even and at least 4, got ${channels}`);
  // In float32 as torch: exp(-log(10000) / (half - 1) * i), then position * that.
  const f = Math.fround;
  const inc = f(Math.log(10000) / (half - 1));
  const out = new Float32Array(length * channels);
  for (let i = 0; i < half; i++) {
    const inv = f(Math.exp(f(-inc * i)));
    for (let p = 0; p < length; p++) {
      const t = f(p * inv);
      out[p * channels + i] = Math.sin(t);
      out[p * channels + half + i] = Math.cos(t);
    }
  }
  return out;
}

/** `q_proj`, `k_proj` (no bias), `v_proj`, `out_proj`; queries scaled by head_dim**-0.5. */
class WhisperAttention extends Module {
  kProj: Linear;
  vProj: Linear;
  qProj: Linear;
  outProj: Linear;
  private readonly headDim: number;
  constructor(private readonly s: Settings, private readonly heads: number) {
    super();
    this.kProj = denseLayer(s.dModel, s.dModel, s.std, false);
    this.vProj = denseLayer(s.dModel, s.dModel, s.std);
    this.qProj = denseLayer(s.dModel, s.dModel, s.std);
    this.outProj = denseLayer(s.dModel, s.dModel, s.std);
    this.headDim = s.dModel / heads;
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  /** Keys and values `[B, H, S, D]` of `x`. */
  keysValues(x: Tensor): [Tensor, Tensor] {
    return [splitHeads(this.kProj.forward(x), this.heads), splitHeads(this.vProj.forward(x), this.heads)];
  }
  forward(x: Tensor, kv: [Tensor, Tensor], allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const q = splitHeads(this.qProj.forward(x).mul(this.headDim ** -0.5), this.heads);
      const y = attend(q, kv[0], kv[1], allowed, 1, this.s.attnDropout, this.training);
      return this.outProj.forward(mergeHeads(y));
    });
  }
}

/** The feed-forward half of a layer: `fc2(dropout(act(fc1(final_layer_norm(x)))))`, dropout, residual. */
function feedForward(x: Tensor, norm: LayerNorm, fc1: Linear, fc2: Linear, s: Settings, training: boolean): Tensor {
  const h = F.dropout(s.act(fc1.forward(norm.forward(x))), s.actDropout, training);
  return x.add(F.dropout(fc2.forward(h), s.dropout, training));
}

class WhisperEncoderLayer extends Module {
  selfAttn: WhisperAttention;
  selfAttnLayerNorm: LayerNorm;
  fc1: Linear;
  fc2: Linear;
  finalLayerNorm: LayerNorm;
  constructor(private readonly s: Settings) {
    super();
    this.selfAttn = new WhisperAttention(s, s.encoderHeads);
    this.selfAttnLayerNorm = new LayerNorm(s.dModel);
    this.fc1 = denseLayer(s.dModel, s.encoderFfn, s.std);
    this.fc2 = denseLayer(s.encoderFfn, s.dModel, s.std);
    this.finalLayerNorm = new LayerNorm(s.dModel);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const h = this.selfAttnLayerNorm.forward(x);
      const y = x.add(F.dropout(this.selfAttn.forward(h, this.selfAttn.keysValues(h), null), this.s.dropout, this.training));
      return feedForward(y, this.finalLayerNorm, this.fc1, this.fc2, this.s, this.training);
    });
  }
}

class WhisperDecoderLayer extends Module {
  selfAttn: WhisperAttention;
  selfAttnLayerNorm: LayerNorm;
  encoderAttn: WhisperAttention;
  encoderAttnLayerNorm: LayerNorm;
  fc1: Linear;
  fc2: Linear;
  finalLayerNorm: LayerNorm;
  constructor(private readonly s: Settings) {
    super();
    this.selfAttn = new WhisperAttention(s, s.decoderHeads);
    this.selfAttnLayerNorm = new LayerNorm(s.dModel);
    this.encoderAttn = new WhisperAttention(s, s.decoderHeads);
    this.encoderAttnLayerNorm = new LayerNorm(s.dModel);
    this.fc1 = denseLayer(s.dModel, s.decoderFfn, s.std);
    this.fc2 = denseLayer(s.decoderFfn, s.dModel, s.std);
    this.finalLayerNorm = new LayerNorm(s.dModel);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor, encoded: Tensor, cache: EncoderDecoderCache | null, layer: number): Tensor {
    return tl.tidy(() => {
      const { dropout } = this.s;
      const h = this.selfAttnLayerNorm.forward(x);
      const [k, v] = this.selfAttn.keysValues(h);
      const kv = cache ? cache.self.update(layer, k, v) : ([k, v] as [Tensor, Tensor]);
      let y = x.add(F.dropout(this.selfAttn.forward(h, kv, allowed), dropout, this.training));
      // The encoder's keys and values: computed on the first decoder step, then read from the cache.
      const cross = cache ? cache.cross(layer, () => this.encoderAttn.keysValues(encoded)) : this.encoderAttn.keysValues(encoded);
      y = y.add(F.dropout(this.encoderAttn.forward(this.encoderAttnLayerNorm.forward(y), cross, null), dropout, this.training));
      return feedForward(y, this.finalLayerNorm, this.fc1, this.fc2, this.s, this.training);
    });
  }
}

/** The audio encoder (`model.encoder`): two convolutions, the sinusoidal positions, the layers, `layer_norm`. */
export class WhisperEncoder extends Module {
  conv1: Conv1d;
  conv2: Conv1d;
  embedPositions: Embedding;
  layers: ModuleList<WhisperEncoderLayer>;
  layerNorm: LayerNorm;

  constructor(private readonly s: Settings) {
    super();
    this.conv1 = new Conv1d(s.melBins, s.dModel, 3, { padding: 1 });
    this.conv2 = new Conv1d(s.dModel, s.dModel, 3, { stride: 2, padding: 1 });
    this.embedPositions = new Embedding(s.maxSource, s.dModel);
    // The hub initialises the table to the sinusoids and freezes it (requires_grad_(False)).
    tl.noGrad(() => this.embedPositions.weight.assign(tl.tensor(whisperSinusoids(s.maxSource, s.dModel), { device: this.embedPositions.weight.device, dtype: this.embedPositions.weight.dtype }).reshape([s.maxSource, s.dModel])));
    this.embedPositions.weight.requiresGrad = false;
    this.layers = new ModuleList(Array.from({ length: s.encoderLayers }, () => new WhisperEncoderLayer(s)));
    this.layerNorm = new LayerNorm(s.dModel);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputFeatures` float `[B, num_mel_bins, 2 * max_source_positions]` → `[B, max_source_positions, d_model]`. */
  forward(inputFeatures: Tensor, where = 'WhisperEncoder.forward'): Tensor {
    const { melBins, maxSource } = this.s;
    const frames = 2 * maxSource;
    if (inputFeatures.rank !== 3 || inputFeatures.shape[1] !== melBins || inputFeatures.shape[2] !== frames) {
      throw new Error(`${where}: inputFeatures must be [batch, ${melBins}, ${frames}] (num_mel_bins, 2 x max_source_positions: 30 s of log-mel frames; pad the audio as WhisperFeatureExtractor does), got ${tl.formatShape(inputFeatures.shape)}`);
    }
    if (!tl.isFloating(inputFeatures.dtype)) throw new Error(`${where}: inputFeatures must be float, got ${inputFeatures.dtype}`);
    if (this.training && this.s.specAugment) throw new Error(`${where}: apply_spec_augment (SpecAugment while training) is not implemented; set it false in the config`);
    return tl.tidy(() => {
      const w = this.conv1.weight;
      const x0 = inputFeatures.dtype === w.dtype ? inputFeatures : inputFeatures.cast(w.dtype);
      let x = tl.gelu(this.conv1.forward(x0));
      x = tl.gelu(this.conv2.forward(x)).permute([0, 2, 1]);
      x = F.dropout(x.add(this.embedPositions.weight), this.s.dropout, this.training);
      for (const layer of this.layers) x = layer.forward(x);
      return this.layerNorm.forward(x);
    });
  }
}

/** The text decoder (`model.decoder`): token and learned positions, the layers, `layer_norm`. */
export class WhisperDecoder extends Module {
  embedTokens: Embedding;
  embedPositions: Embedding;
  layers: ModuleList<WhisperDecoderLayer>;
  layerNorm: LayerNorm;

  constructor(private readonly s: Settings) {
    super();
    this.embedTokens = new Embedding(s.vocab, s.dModel, { paddingIdx: s.pad >= 0 && s.pad < s.vocab ? s.pad : null });
    this.embedPositions = new Embedding(s.maxTarget, s.dModel);
    for (const e of [this.embedTokens, this.embedPositions]) init.normal_(e.weight, 0, s.std);
    this.layers = new ModuleList(Array.from({ length: s.decoderLayers }, () => new WhisperDecoderLayer(s)));
    this.layerNorm = new LayerNorm(s.dModel);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  /** `inputIds` `[B, T]` (positions after the cache's) over `encoded` → `[B, T, d_model]`. */
  forward(
    inputIds: Tensor, encoded: Tensor, options: { cache?: EncoderDecoderCache | null; keyMask?: number[][] | null; where?: string; traced?: { keyMask: Tensor | null } } = {},
  ): Tensor {
    const where = options.where ?? 'WhisperDecoder.forward';
    if (options.traced) return this.tracedForward(inputIds, encoded, options.traced.keyMask, where);
    const cache = options.cache ?? null;
    const [b, t] = inputIds.shape;
    const past = cache?.length ?? 0;
    if (past + t > this.s.maxTarget) throw new Error(`${where}: ${past + t} decoder positions exceed max_target_positions ${this.s.maxTarget}`);
    return tl.tidy(() => {
      const device = this.embedTokens.weight.device;
      let x = this.embedTokens.forward(inputIds).add(this.embedPositions.weight.narrow(0, past, t));
      x = F.dropout(x, this.s.dropout, this.training);
      const allowed = attentionMask(b, t, past + t, { keyMask: options.keyMask ?? null, device });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, allowed, encoded, cache, i++);
      cache?.self.advance();
      return this.layerNorm.forward(x);
    });
  }

  /**
   * `forward` while traced (exported), no cache: the positions gathered at `0 .. T` and the causal
   * mask (and `keyMask`, bool `[B, T]`) built with tensor ops, so the export follows the batch and length.
   */
  private tracedForward(inputIds: Tensor, encoded: Tensor, keyMask: Tensor | null, where: string): Tensor {
    const t = inputIds.shape[1];
    if (t > this.s.maxTarget) throw new Error(`${where}: ${t} decoder positions exceed max_target_positions ${this.s.maxTarget}`);
    return tl.tidy(() => {
      const positions = tl.arange(0, t, 1, { dtype: 'int32', device: this.embedTokens.weight.device });
      let x = this.embedTokens.forward(inputIds).add(this.embedPositions.forward(positions));
      x = F.dropout(x, this.s.dropout, this.training);
      const allowed = tracedAttentionMask(inputIds, { keyMask });
      let i = 0;
      for (const layer of this.layers) x = layer.forward(x, allowed, encoded, null, i++);
      return this.layerNorm.forward(x);
    });
  }
}

/** Per-call options of Whisper's `forward`: an encoder-decoder's, without an encoder attention mask (Whisper's encoder sees all 3000 frames). */
export type WhisperForwardOptions = Omit<Seq2SeqLMForwardOptions, 'attentionMask'>;

/** What `WhisperForConditionalGeneration.forward` returns (`encoderLastHiddenState` is `[batch, max_source_positions, d_model]`). */
export type WhisperOutput = Seq2SeqLMOutput;

/** Options of `WhisperForConditionalGeneration.generate`. */
export interface WhisperGenerateOptions extends Omit<GenerateOptions, 'attentionMask'> {
  /** The first decoder token (default: generation_config.json's, then config.json's `decoder_start_token_id`). */
  decoderStartTokenId?: number;
  /**
   * The decoder's prompt `[batch, n]` (or one row for every input), start token included, e.g.
   * `<|startoftranscript|><|en|><|transcribe|><|notimestamps|>`; default the start token alone.
   * Language detection and timestamps are not done here: give the language and task tokens.
   */
  decoderInputIds?: Tensor | number[][] | number[];
  /** Tokens never generated (default: generation_config.json's `suppress_tokens`). */
  suppressTokens?: number[] | null;
  /** Tokens not generated first, right after the prompt (default: generation_config.json's `begin_suppress_tokens`). */
  beginSuppressTokens?: number[] | null;
}

const WHISPER_GENERATE_OPTIONS = new Set<string>([...GENERATE_OPTIONS].filter((k) => k !== 'attentionMask').concat(['decoderStartTokenId', 'decoderInputIds', 'suppressTokens', 'beginSuppressTokens']));

/** The encoder's output from `encoderOutputs` or by running the encoder on `inputFeatures`. */
function encoderState(encoder: WhisperEncoder, s: Settings, inputFeatures: Tensor | null, options: WhisperForwardOptions, where: string): Tensor {
  const given = options.encoderOutputs ? ('lastHiddenState' in options.encoderOutputs ? options.encoderOutputs.lastHiddenState : options.encoderOutputs) : null;
  if (given) {
    if (given.rank !== 3 || given.shape[1] !== s.maxSource || given.shape[2] !== s.dModel) {
      throw new Error(`${where}: encoderOutputs must be [batch, ${s.maxSource}, ${s.dModel}], got ${tl.formatShape(given.shape)}`);
    }
    if (inputFeatures && inputFeatures.shape[0] !== given.shape[0]) throw new Error(`${where}: encoderOutputs has ${given.shape[0]} rows, inputFeatures ${inputFeatures.shape[0]}`);
    return given;
  }
  if (!inputFeatures) throw new Error(`${where}: give inputFeatures or encoderOutputs`);
  return encoder.forward(inputFeatures, where);
}

const TRACED_SUPPORTED = 'trace forward(inputFeatures, { decoderInputIds }), with decoderAttentionMask a [batch, seq] tensor input if any';

/**
 * The decoder's output of a traced (exported) forward, no cache: the encoder as at run time (its
 * 3000 frames are fixed; only the batch follows the input), the decoder with tensor-op positions
 * and masks. Refused options are checked before any op is traced.
 */
function tracedWhisper(
  encoder: WhisperEncoder, decoder: WhisperDecoder, s: Settings, inputFeatures: Tensor | null, options: WhisperForwardOptions, where: string,
): { hidden: Tensor; encoded: Tensor } {
  checkTracedSeq2Seq(options, where, TRACED_SUPPORTED);
  const encoded = encoderState(encoder, s, inputFeatures, options, where);
  const ids = decoderInputsOf(options, s, encoded.shape[0], where);
  const keyMask = tracedMaskOf(options.decoderAttentionMask, ids.shape[0], ids.shape[1], 'decoderAttentionMask', where, TRACED_SUPPORTED);
  return { hidden: decoder.forward(ids, encoded, { where, traced: { keyMask } }), encoded };
}

/** `model` of `WhisperForConditionalGeneration`: the encoder and decoder under the hub's `model.` prefix. */
class WhisperStacks extends Module {
  encoder: WhisperEncoder;
  decoder: WhisperDecoder;
  constructor(s: Settings) {
    super();
    this.encoder = new WhisperEncoder(s);
    this.decoder = new WhisperDecoder(s);
  }
  /** `inputFeatures` and `decoderInputIds` → the decoder's last hidden state. */
  forward(inputFeatures: Tensor, decoderInputIds: Tensor): Tensor {
    return tl.tidy(() => this.decoder.forward(decoderInputIds, this.encoder.forward(inputFeatures)));
  }
}

/** What `WhisperModel.forward` returns. */
export interface WhisperModelOutput {
  /** The decoder's last hidden state `[B, T, d_model]`. */
  lastHiddenState: Tensor;
  encoderLastHiddenState: Tensor;
}

/**
 * Whisper without a head (`WhisperModel`, the hub's `AutoModel` for `whisper`): `encoder` and
 * `decoder`; loads from `WhisperForConditionalGeneration` checkpoints too (their `model.` prefix
 * is dropped and `proj_out.weight` left unused).
 */
export class WhisperModel extends PreTrainedModel {
  static readonly modelTypes = ['whisper'] as const;
  static readonly keyRules: KeyRules = { basePrefix: 'model', ignore: [/^proj_out\.weight$/] };

  encoder: WhisperEncoder;
  decoder: WhisperDecoder;
  private readonly s: Settings;

  constructor(config: WhisperConfig) {
    super(config);
    this.s = settings(config, this.constructor.name);
    this.encoder = new WhisperEncoder(this.s);
    this.decoder = new WhisperDecoder(this.s);
  }

  /** `inputFeatures` (or `encoderOutputs`) and `decoderInputIds` → `{ lastHiddenState, encoderLastHiddenState }`. */
  forward(inputFeatures: Tensor | null, options: Omit<WhisperForwardOptions, 'labels' | 'logitsToKeep'> = {}): WhisperModelOutput {
    const where = `${this.constructor.name}.forward`;
    if (tl.autograd.isTracing()) {
      return tl.tidy(() => {
        const { hidden, encoded } = tracedWhisper(this.encoder, this.decoder, this.s, inputFeatures, options, where);
        return { lastHiddenState: hidden, encoderLastHiddenState: encoded };
      });
    }
    return tl.tidy(() => {
      const encoded = encoderState(this.encoder, this.s, inputFeatures, options, where);
      const ids = decoderInputsOf(options, this.s, encoded.shape[0], where);
      const past = options.cache?.length ?? 0;
      const keyMask = maskRows(options.decoderAttentionMask, ids.shape[0], past + ids.shape[1], 'decoderAttentionMask (cached + new positions)', where);
      return { lastHiddenState: this.decoder.forward(ids, encoded, { cache: options.cache, keyMask, where }), encoderLastHiddenState: encoded };
    });
  }
}

/**
 * Whisper with its language-model head (`WhisperForConditionalGeneration`): log-mel
 * `inputFeatures` (from `WhisperFeatureExtractor`) through the encoder, the decoder over
 * `decoderInputIds` (or the labels shifted right), `proj_out` tied to the token embedding;
 * `generate` decodes greedily or by sampling from a prompt, with the shared generation loop.
 *
 * @example
 * ```ts
 * const whisper = await WhisperForConditionalGeneration.fromPretrained('openai/whisper-tiny', { device: 'wasm' });
 * const { inputFeatures } = extractor.extract(samples, { samplingRate: 16000, device: 'wasm' });
 * const out = await whisper.generate(inputFeatures, { decoderInputIds: [[50258, 50259, 50360, 50364]], maxNewTokens: 40 });
 * ```
 */
export class WhisperForConditionalGeneration extends PreTrainedModel {
  static readonly modelTypes = ['whisper'] as const;
  static readonly keyRules: KeyRules = { basePrefix: 'model', ignore: [] };

  model: WhisperStacks;
  projOut: Linear | TiedHead;
  private readonly s: Settings;

  constructor(config: WhisperConfig) {
    super(config);
    const where = this.constructor.name;
    this.s = settings(config, where);
    if (config.is_encoder_decoder === false) throw new Error(`${where}: config field 'is_encoder_decoder' is false; Whisper is an encoder-decoder`);
    this.model = new WhisperStacks(this.s);
    this.projOut = this.s.tied ? new TiedHead(this.model.decoder.embedTokens) : denseLayer(this.s.dModel, this.s.vocab, this.s.std, false);
  }

  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  override tiedKeys(): string[] {
    return this.s.tied ? ['proj_out.weight'] : [];
  }

  /** `inputFeatures` `[B, num_mel_bins, frames]` → the encoder's last hidden state `[B, max_source_positions, d_model]`. */
  encode(inputFeatures: Tensor): Tensor {
    return this.model.encoder.forward(inputFeatures, `${this.constructor.name}.encode`);
  }

  /** A cache for `batch` rows of up to `maxLength` decoder positions, on the model's device and dtype. */
  createCache(batch: number, maxLength: number): EncoderDecoderCache {
    const { decoderLayers, decoderHeads, dModel } = this.s;
    return new EncoderDecoderCache({ layers: decoderLayers, batch, heads: decoderHeads, headDim: dModel / decoderHeads, maxLength, device: this.device, dtype: this.dtype });
  }

  /**
   * `inputFeatures` float `[B, num_mel_bins, frames]` (or `encoderOutputs`) and `decoderInputIds`
   * `[B, T]` (or `labels`, shifted right) → `{ logits [B, T, vocab], loss?, encoderLastHiddenState }`.
   */
  forward(inputFeatures: Tensor | null, options: WhisperForwardOptions = {}): WhisperOutput {
    const where = `${this.constructor.name}.forward`;
    if (tl.autograd.isTracing()) {
      return tl.tidy(() => {
        const { hidden, encoded } = tracedWhisper(this.model.encoder, this.model.decoder, this.s, inputFeatures, options, where);
        return { logits: hidden.matmul(this.projOut.weight.t()), encoderLastHiddenState: encoded };
      });
    }
    return tl.tidy(() => {
      const encoded = encoderState(this.model.encoder, this.s, inputFeatures, options, where);
      const ids = decoderInputsOf(options, this.s, encoded.shape[0], where);
      const cache = options.cache ?? null;
      const keyMask = maskRows(options.decoderAttentionMask, ids.shape[0], (cache?.length ?? 0) + ids.shape[1], 'decoderAttentionMask (cached + new positions)', where);
      const h = keepLast(this.model.decoder.forward(ids, encoded, { cache, keyMask, where }), options.logitsToKeep);
      const logits = h.matmul(this.projOut.weight.t());
      const out: WhisperOutput = { logits, encoderLastHiddenState: encoded };
      if (options.labels) out.loss = seq2seqLoss(logits, options.labels);
      return out;
    });
  }

  /**
   * Encode `inputFeatures` once, then decode up to `maxNewTokens` tokens after the decoder prompt
   * (`decoderInputIds`, default the start token). Resolves to the decoder sequences, prompt
   * included (int32 on the model's device); a row stops after
   * an eos token (then gets the pad token), the call when every row has. `suppressTokens` and
   * `beginSuppressTokens` work as the hub's logits processors; language detection, timestamps,
   * long-form audio and the rest of the hub's Whisper-specific generation are not implemented
   * (unknown options throw, naming the option).
   *
   * @example
   * ```ts
   * const ids = await whisper.generate(inputFeatures, { decoderInputIds: [[50258, 50259, 50360, 50364]], maxNewTokens: 60 });
   * console.log(tokenizer.batchDecode(await ids.array() as number[][], { skipSpecialTokens: true }));
   * ```
   */
  async generate(inputFeatures: Tensor, options: WhisperGenerateOptions = {}): Promise<Tensor> {
    const where = `${this.constructor.name}.generate`;
    rejectUnknownOptions(options, WHISPER_GENERATE_OPTIONS, where);
    if (!inputFeatures || typeof inputFeatures !== 'object' || !('shape' in inputFeatures)) throw new Error(`${where}: inputFeatures must be a float tensor [batch, num_mel_bins, frames] (from WhisperFeatureExtractor.extract)`);
    const batch = inputFeatures.shape[0];
    const plan = planGeneration(this, options, where);
    const prompt = await this.promptOf(options, batch, where);
    const vocab = this.s.vocab;
    const tokenList = (value: unknown, name: string): number[] => {
      if (value === null || value === undefined) return [];
      if (!Array.isArray(value) || !value.every((t) => Number.isInteger(t) && t >= 0 && t < vocab)) throw new Error(`${where}: ${name} must be token ids in [0, ${vocab}), got ${JSON.stringify(value)}`);
      return value as number[];
    };
    const suppress = tokenList(options.suppressTokens === undefined ? generationDefault(this, 'suppress_tokens') : options.suppressTokens, 'suppressTokens');
    const beginSuppress = tokenList(options.beginSuppressTokens === undefined ? generationDefault(this, 'begin_suppress_tokens') : options.beginSuppressTokens, 'beginSuppressTokens');
    const promptLength = prompt[0].length;
    if (promptLength + plan.maxNewTokens > this.s.maxTarget) {
      throw new Error(`${where}: ${promptLength} prompt + ${plan.maxNewTokens} new tokens exceed max_target_positions ${this.s.maxTarget}`);
    }
    const device = this.device;
    // Additive -inf rows for the suppressed tokens: every step's, and the first step's (the hub's
    // SuppressTokensLogitsProcessor and SuppressTokensAtBeginLogitsProcessor).
    const bias = (tokens: number[]) => {
      if (!tokens.length) return null;
      const row = new Float32Array(vocab);
      for (const t of tokens) row[t] = -Infinity;
      return tl.keep(tl.tensor(row, { device }));
    };
    const always = bias(suppress);
    const first = bias([...suppress, ...beginSuppress]);
    try {
      return await decodeAfterEncoding(this, prompt.map((r) => [...r]), plan, () => this.encode(inputFeatures), ({ decoderInputIds, encoderOutputs, cache, step }) => {
        const { logits } = this.forward(null, { decoderInputIds, encoderOutputs, cache, logitsToKeep: 1 });
        const add = step === 0 ? first : always;
        return add ? logits.add(add.dtype === logits.dtype ? add : add.cast(logits.dtype)) : logits;
      });
    } finally {
      always?.dispose();
      first?.dispose();
    }
  }

  /** The decoder prompt rows: `decoderInputIds` (one row repeated for every input, or one per input), else the start token. */
  private async promptOf(options: WhisperGenerateOptions, batch: number, where: string): Promise<number[][]> {
    const given = options.decoderInputIds;
    if (given === undefined) {
      const forced = this.generationConfig.forced_decoder_ids;
      if (Array.isArray(forced) && forced.length) {
        throw new Error(`${where}: generation_config.json sets forced_decoder_ids ${JSON.stringify(forced)} (language and task tokens), which generate does not apply; give the whole prompt as decoderInputIds (e.g. <|startoftranscript|><|en|><|transcribe|><|notimestamps|>)`);
      }
      const start = options.decoderStartTokenId ?? (generationDefault(this, 'decoder_start_token_id') as number | undefined);
      if (typeof start !== 'number' || !Number.isInteger(start)) throw new Error(`${where}: no decoder start token: give decoderStartTokenId or decoderInputIds, or set decoder_start_token_id in config.json`);
      return Array.from({ length: batch }, () => [start]);
    }
    if (options.decoderStartTokenId !== undefined) throw new Error(`${where}: give decoderStartTokenId or decoderInputIds (whose first token is the start token), not both`);
    const rows = Array.isArray(given) && given.every((v) => typeof v === 'number') ? [given as number[]] : await hostRows(given as Tensor | number[][], `${where}: decoderInputIds`);
    if (!rows.length || !rows[0].length) throw new Error(`${where}: decoderInputIds must be a non-empty [batch, n]`);
    if (rows.some((r) => r.some((t) => !Number.isInteger(t) || t < 0 || t >= this.s.vocab))) throw new Error(`${where}: decoderInputIds must be token ids in [0, ${this.s.vocab})`);
    if (rows.length === 1 && batch > 1) return Array.from({ length: batch }, () => [...rows[0]]);
    if (rows.length !== batch) throw new Error(`${where}: decoderInputIds has ${rows.length} rows, inputFeatures ${batch}`);
    return rows;
  }
}
