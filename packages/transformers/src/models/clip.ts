/**
 * CLIP (`CLIPModel`, `CLIPTextModelWithProjection`, `CLIPVisionModelWithProjection`) with the hub's names:
 * `text_model.embeddings.{token_embedding, position_embedding}`, `text_model.encoder.layers.N.{self_attn.{q,k,v,out}_proj,
 * layer_norm1, mlp.{fc1,fc2}, layer_norm2}`, `text_model.final_layer_norm`;
 * `vision_model.embeddings.{class_embedding, patch_embedding, position_embedding}`, `vision_model.pre_layrnorm` (sic),
 * the same encoder layers, `vision_model.post_layernorm`; `text_projection`, `visual_projection`, `logit_scale`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Conv2d, Embedding, LayerNorm, Linear, Module, ModuleList, Parameter, functional as F, init } from '@tensile/nn';
import { attend, attentionMask, checkPixels, denseLayer, interpolatePositions, mergeHeads, param, splitHeads, type VisionOptions } from '../layers.js';
import { PreTrainedModel, field, type PretrainedConfig } from '../modeling.js';
import type { KeyRules } from '../weights.js';
import { encoderSettings, keyMaskTensor, type EncoderSettings } from './bert.js';

/** The fields of a CLIP config.json this implementation reads (`text_config` and `vision_config` as the hub nests them). */
export interface CLIPConfig extends PretrainedConfig {
  text_config?: Record<string, unknown>;
  vision_config?: Record<string, unknown>;
  projection_dim?: number;
  logit_scale_init_value?: number;
}

/** The hub's `CLIPTextConfig` / `CLIPVisionConfig` defaults, for sub-configs that store only what differs. */
const TEXT_DEFAULTS = {
  vocab_size: 49408, hidden_size: 512, intermediate_size: 2048, projection_dim: 512, num_hidden_layers: 12, num_attention_heads: 8,
  max_position_embeddings: 77, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, attention_dropout: 0, eos_token_id: 49407,
};
const VISION_DEFAULTS = {
  hidden_size: 768, intermediate_size: 3072, projection_dim: 512, num_hidden_layers: 12, num_attention_heads: 12, num_channels: 3,
  image_size: 224, patch_size: 32, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5, attention_dropout: 0,
};

type Tower = 'text' | 'vision';

/**
 * A tower's config over the hub's defaults: a CLIPConfig's `text_config` / `vision_config`, or, for one
 * tower alone (`clip_text_model`, `clip_vision_model`), the config itself.
 */
function towerConfig(c: PretrainedConfig, tower: Tower, where: string, nestedOnly: boolean): PretrainedConfig {
  const key = `${tower}_config`;
  const nested = c[key];
  if (nested !== undefined && (nested === null || typeof nested !== 'object')) throw new Error(`${where}: config field '${key}' should be an object`);
  if (nested === undefined && (nestedOnly || c.model_type === 'clip')) throw new Error(`${where}: config.json has no '${key}'`);
  return { ...(tower === 'text' ? TEXT_DEFAULTS : VISION_DEFAULTS), ...((nested as PretrainedConfig | undefined) ?? c) };
}

/** BERT's encoder settings read from a tower config: CLIP has no hidden dropout, only `attention_dropout`. */
function towerSettings(c: PretrainedConfig, where: string): EncoderSettings {
  return { ...encoderSettings(c, where, 1e-5), hiddenDropout: 0, attnDropout: field<number>(c, 'attention_dropout', 0, where) };
}

const NAMES: Record<string, string> = {
  qProj: 'q_proj', kProj: 'k_proj', vProj: 'v_proj', outProj: 'out_proj', selfAttn: 'self_attn', layerNorm1: 'layer_norm1', layerNorm2: 'layer_norm2',
  tokenEmbedding: 'token_embedding', positionEmbedding: 'position_embedding', classEmbedding: 'class_embedding', patchEmbedding: 'patch_embedding',
  finalLayerNorm: 'final_layer_norm', preLayrnorm: 'pre_layrnorm', postLayernorm: 'post_layernorm',
  textModel: 'text_model', visionModel: 'vision_model', textProjection: 'text_projection', visualProjection: 'visual_projection', logitScale: 'logit_scale',
};

/** A module whose fields map to the hub's snake_case names. */
abstract class Named extends Module {
  protected override stateName(name: string): string {
    return NAMES[name] ?? name;
  }
}

class CLIPAttention extends Named {
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  outProj: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    [this.qProj, this.kProj, this.vProj, this.outProj] = Array.from({ length: 4 }, () => denseLayer(s.hidden, s.hidden, s.std));
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const [q, k, v] = [this.qProj, this.kProj, this.vProj].map((m) => splitHeads(m.forward(x), this.s.heads));
      return this.outProj.forward(mergeHeads(attend(q, k, v, allowed, 1 / Math.sqrt(this.s.hidden / this.s.heads), this.s.attnDropout, this.training)));
    });
  }
}

class CLIPMLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    this.fc1 = denseLayer(s.hidden, s.inner, s.std);
    this.fc2 = denseLayer(s.inner, s.hidden, s.std);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.fc2.forward(this.s.act(this.fc1.forward(x))));
  }
}

/** Pre-LN: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`. */
class CLIPEncoderLayer extends Named {
  selfAttn: CLIPAttention;
  layerNorm1: LayerNorm;
  mlp: CLIPMLP;
  layerNorm2: LayerNorm;
  constructor(s: EncoderSettings) {
    super();
    this.selfAttn = new CLIPAttention(s);
    this.layerNorm1 = new LayerNorm(s.hidden, { eps: s.eps });
    this.mlp = new CLIPMLP(s);
    this.layerNorm2 = new LayerNorm(s.hidden, { eps: s.eps });
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const h = x.add(this.selfAttn.forward(this.layerNorm1.forward(x), allowed));
      return h.add(this.mlp.forward(this.layerNorm2.forward(h)));
    });
  }
}

class CLIPEncoder extends Module {
  layers: ModuleList<CLIPEncoderLayer>;
  constructor(s: EncoderSettings) {
    super();
    this.layers = new ModuleList(Array.from({ length: s.layers }, () => new CLIPEncoderLayer(s)));
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = layer.forward(h, allowed);
      return h;
    });
  }
}

class CLIPTextEmbeddings extends Named {
  tokenEmbedding: Embedding;
  positionEmbedding: Embedding;
  constructor(c: PretrainedConfig, s: EncoderSettings, where: string) {
    super();
    this.tokenEmbedding = new Embedding(field<number>(c, 'vocab_size', undefined, where), s.hidden);
    this.positionEmbedding = new Embedding(field<number>(c, 'max_position_embeddings', undefined, where), s.hidden);
    for (const e of [this.tokenEmbedding, this.positionEmbedding]) init.normal_(e.weight, 0, s.std);
  }
  forward(inputIds: Tensor): Tensor {
    return tl.tidy(() => {
      const positions = tl.arange(inputIds.shape[1], undefined, 1, { dtype: 'int32', device: inputIds.device }).unsqueeze(0);
      return this.tokenEmbedding.forward(inputIds).add(this.positionEmbedding.forward(positions));
    });
  }
}

/** What a CLIP tower returns (`BaseModelOutputWithPooling`). */
export interface CLIPTowerOutput {
  /** `[batch, seq, hidden]`: the text tower's after `final_layer_norm`; the vision tower's before `post_layernorm`, as the hub has them. */
  lastHiddenState: Tensor;
  /** `[batch, hidden]`: the text tower's state at the EOS token; `post_layernorm` of the vision tower's class token. */
  poolerOutput: Tensor;
}

/** `text_model`: causal attention (plus the padding mask), pooled at the EOS token. */
export class CLIPTextTransformer extends Named {
  embeddings: CLIPTextEmbeddings;
  encoder: CLIPEncoder;
  finalLayerNorm: LayerNorm;
  /** `eos_token_id`: 2 (configs saved before the hub fixed it) pools at the largest input id, as CLIP's EOT is its largest id. */
  readonly eosTokenId: number;
  constructor(c: PretrainedConfig, private readonly where: string) {
    super();
    const s = towerSettings(c, where);
    this.eosTokenId = field<number>(c, 'eos_token_id', 49407, where);
    this.embeddings = new CLIPTextEmbeddings(c, s, where);
    this.encoder = new CLIPEncoder(s);
    this.finalLayerNorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  forward(inputIds: Tensor, attentionMaskRows?: Tensor | number[][] | null): CLIPTowerOutput {
    return tl.tidy(() => {
      const where = `${this.where}.forward`;
      if (inputIds.rank !== 2) throw new Error(`${where}: inputIds must be [batch, seq], got ${tl.formatShape(inputIds.shape)}`);
      const [b, t] = inputIds.shape;
      const rows = this.embeddings.positionEmbedding.numEmbeddings;
      if (t > rows) throw new Error(`${where}: ${t} tokens exceed max_position_embeddings ${rows}`);
      let allowed = attentionMask(1, t, t, { device: inputIds.device });
      const keys = keyMaskTensor(attentionMaskRows, b, t, inputIds.device, where);
      if (keys) allowed = allowed.logicalAnd(keys);
      const lastHiddenState = this.finalLayerNorm.forward(this.encoder.forward(this.embeddings.forward(inputIds), allowed));
      // argmax takes the first of equal values, as PyTorch's: the first EOT where padding repeats it.
      const ids = inputIds.cast('int32');
      const at = (this.eosTokenId === 2 ? ids : ids.eq(this.eosTokenId).cast('int32')).argmax(-1);
      const h = lastHiddenState.shape[2];
      const poolerOutput = lastHiddenState.gather(1, at.reshape([b, 1, 1]).expand([b, 1, h])).squeeze(1);
      return { lastHiddenState, poolerOutput };
    });
  }
}

class CLIPVisionEmbeddings extends Named {
  classEmbedding: Parameter;
  patchEmbedding: Conv2d;
  positionEmbedding: Embedding;
  readonly imageSize: number;
  readonly patch: number;
  readonly channels: number;
  constructor(c: PretrainedConfig, private readonly s: EncoderSettings, private readonly where: string) {
    super();
    this.imageSize = field<number>(c, 'image_size', undefined, where);
    const patch = field<number>(c, 'patch_size', undefined, where);
    this.patch = patch;
    this.channels = field<number>(c, 'num_channels', 3, where);
    const patches = (this.imageSize / patch) ** 2;
    if (!Number.isInteger(patches)) throw new Error(`${where}: image_size ${this.imageSize} is not a multiple of patch_size ${patch}`);
    this.classEmbedding = param([s.hidden]);
    this.patchEmbedding = new Conv2d(this.channels, s.hidden, patch, { stride: patch, bias: false });
    this.positionEmbedding = new Embedding(patches + 1, s.hidden);
    init.normal_(this.classEmbedding, 0, s.hidden ** -0.5);
    init.normal_(this.positionEmbedding.weight, 0, s.std);
  }
  forward(pixels: Tensor, interpolate = false): Tensor {
    return tl.tidy(() => {
      checkPixels(pixels, this.channels, this.imageSize, this.patch, interpolate, `${this.where}.forward`);
      const x = this.patchEmbedding.forward(pixels).flatten(2).transpose(1, 2);
      const cls = this.classEmbedding.reshape([1, 1, this.s.hidden]).expand([x.shape[0], 1, this.s.hidden]);
      // position_ids are 0 .. patches: the whole table, in order.
      const table = this.positionEmbedding.weight.unsqueeze(0);
      return tl.cat([cls, x], 1).add(interpolate ? interpolatePositions(table, pixels.shape[2], pixels.shape[3], this.patch) : table);
    });
  }
}

/** `vision_model`: `pre_layrnorm`, the encoder, and `post_layernorm` of the class token as the pooled output. */
export class CLIPVisionTransformer extends Named {
  embeddings: CLIPVisionEmbeddings;
  preLayrnorm: LayerNorm;
  encoder: CLIPEncoder;
  postLayernorm: LayerNorm;
  constructor(c: PretrainedConfig, where: string) {
    super();
    const s = towerSettings(c, where);
    this.embeddings = new CLIPVisionEmbeddings(c, s, where);
    this.preLayrnorm = new LayerNorm(s.hidden, { eps: s.eps });
    this.encoder = new CLIPEncoder(s);
    this.postLayernorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  forward(pixelValues: Tensor, options: VisionOptions = {}): CLIPTowerOutput {
    return tl.tidy(() => {
      const lastHiddenState = this.encoder.forward(this.preLayrnorm.forward(this.embeddings.forward(pixelValues, options.interpolatePosEncoding === true)), null);
      return { lastHiddenState, poolerOutput: this.postLayernorm.forward(lastHiddenState.select(1, 0)) };
    });
  }
}

/** Per-call options of CLIP's text side. */
export interface CLIPTextOptions {
  /** `[batch, seq]`: 1 where a token is attended, 0 at padding (host arrays or a tensor on a backend that reads synchronously). */
  attentionMask?: Tensor | number[][] | null;
}

/** What `CLIPModel.forward` returns. */
export interface CLIPOutput {
  /** `[images, texts]`: `logitsPerText` transposed. */
  logitsPerImage: Tensor;
  /** `[texts, images]`: `exp(logit_scale) · text · imageᵀ` of the L2-normalised embeddings. */
  logitsPerText: Tensor;
  /** `[texts, projection_dim]`, L2-normalised. */
  textEmbeds: Tensor;
  /** `[images, projection_dim]`, L2-normalised. */
  imageEmbeds: Tensor;
  /** With `returnLoss`: the symmetric contrastive loss (the mean of the cross-entropies over texts and over images, pair i matching i). */
  loss?: Tensor;
}

/** `x / ‖x‖₂` over the last dim. */
function normalize(x: Tensor): Tensor {
  return tl.tidy(() => x.div(x.square().sum(-1, true).sqrt()));
}

/** The hub's `clip_loss`: `(CE(logitsPerText, arange) + CE(logitsPerTextᵀ, arange)) / 2`. */
function clipLoss(logitsPerText: Tensor): Tensor {
  return tl.tidy(() => {
    const n = logitsPerText.shape[0];
    const target = tl.arange(n, undefined, 1, { dtype: 'int32', device: logitsPerText.device });
    const wide = logitsPerText.float();
    return F.crossEntropy(wide, target).add(F.crossEntropy(wide.t(), target)).div(2);
  });
}

const CLIP_KEY_RULES: KeyRules = { basePrefix: null, ignore: [/position_ids$/] };

/**
 * CLIP (`CLIPModel`): a text and a vision tower projected into one space.
 * `forward(inputIds, pixelValues, { attentionMask, returnLoss, interpolatePosEncoding })` →
 * `{ logitsPerImage, logitsPerText, textEmbeds, imageEmbeds, loss? }`; `getTextFeatures` and
 * `getImageFeatures` give the projected, unnormalised features. The `position_ids` buffers are skipped.
 *
 * @example
 * ```ts
 * // Zero-shot image classification: the image's features against those of one prompt per label.
 * const clip = await CLIPModel.fromPretrained('openai/clip-vit-base-patch32');
 * const tokenizer = await AutoTokenizer.fromPretrained('openai/clip-vit-base-patch32');
 * const labels = ['a photo of a cat', 'a photo of a dog'];
 * const processor = await AutoImageProcessor.fromPretrained('openai/clip-vit-base-patch32');
 * const enc = tokenizer.batch(labels, { padding: true });
 * // [1, 3, 224, 224]: resized, centre-cropped and normalised as preprocessor_config.json says.
 * const { pixelValues } = processor.preprocess({ data: imageData.data, width: imageData.width, height: imageData.height });
 * const { logitsPerImage } = clip.forward(enc.inputIds, pixelValues, { attentionMask: enc.mask });
 * const probs = await logitsPerImage.softmax(-1).array(); // [[p(cat), p(dog)]]
 * ```
 */
export class CLIPModel extends PreTrainedModel {
  static readonly modelTypes = ['clip'] as const;
  static readonly keyRules = CLIP_KEY_RULES;

  textModel: CLIPTextTransformer;
  visionModel: CLIPVisionTransformer;
  visualProjection: Linear;
  textProjection: Linear;
  logitScale: Parameter;

  constructor(config: CLIPConfig) {
    super(config);
    const w = 'CLIPModel';
    const text = towerConfig(config, 'text', w, true);
    const vision = towerConfig(config, 'vision', w, true);
    const dim = field<number>(config, 'projection_dim', 512, w);
    this.textModel = new CLIPTextTransformer(text, `${w} text_config`);
    this.visionModel = new CLIPVisionTransformer(vision, `${w} vision_config`);
    const textHidden = text.hidden_size as number;
    const visionHidden = vision.hidden_size as number;
    this.visualProjection = denseLayer(visionHidden, dim, visionHidden ** -0.5, false);
    this.textProjection = denseLayer(textHidden, dim, textHidden ** -0.5, false);
    this.logitScale = param([], field<number>(config, 'logit_scale_init_value', 2.6592, w));
  }

  protected override stateName(name: string): string {
    return NAMES[name] ?? name;
  }

  /** `[texts, projection_dim]`: `text_projection` of the text tower's pooled output (not normalised). */
  getTextFeatures(inputIds: Tensor, options: CLIPTextOptions = {}): Tensor {
    return tl.tidy(() => this.textProjection.forward(this.textModel.forward(inputIds, options.attentionMask).poolerOutput));
  }

  /** `[images, projection_dim]`: `visual_projection` of the vision tower's pooled output (not normalised). */
  getImageFeatures(pixelValues: Tensor, options: VisionOptions = {}): Tensor {
    return tl.tidy(() => this.visualProjection.forward(this.visionModel.forward(pixelValues, options).poolerOutput));
  }

  forward(inputIds: Tensor, pixelValues: Tensor, options: CLIPTextOptions & VisionOptions & { returnLoss?: boolean } = {}): CLIPOutput {
    return tl.tidy(() => {
      const imageEmbeds = normalize(this.getImageFeatures(pixelValues, options));
      const textEmbeds = normalize(this.getTextFeatures(inputIds, options));
      const logitsPerText = textEmbeds.matmul(imageEmbeds.t()).mul(this.logitScale.exp());
      const out: CLIPOutput = { logitsPerImage: logitsPerText.t(), logitsPerText, textEmbeds, imageEmbeds };
      if (!options.returnLoss) return out;
      const [texts, images] = logitsPerText.shape;
      if (texts !== images) throw new Error(`CLIPModel.forward: returnLoss pairs text i with image i; got ${texts} texts and ${images} images`);
      return { ...out, loss: clipLoss(logitsPerText) };
    });
  }
}

/** A tower's own `projection_dim` (`CLIPTextConfig` / `CLIPVisionConfig`), else the CLIPConfig's. */
function towerProjection(config: PretrainedConfig, tower: Tower, where: string): number {
  const nested = config[`${tower}_config`] as PretrainedConfig | undefined;
  return field<number>(nested ?? {}, 'projection_dim', field<number>(config, 'projection_dim', 512, where), where);
}

/**
 * CLIP's text tower and `text_projection` (`CLIPTextModelWithProjection`), from a `clip_text_model`
 * config or a whole CLIP checkpoint (whose vision keys are then reported as unused):
 * `forward(inputIds, { attentionMask })` → `{ textEmbeds, lastHiddenState }`, the embeddings not normalised.
 *
 * @example
 * ```ts
 * const text = await CLIPTextModelWithProjection.fromPretrained('openai/clip-vit-base-patch32', { logger: null });
 * const { textEmbeds } = text.forward(enc.inputIds, { attentionMask: enc.mask });
 * ```
 */
export class CLIPTextModelWithProjection extends PreTrainedModel {
  static readonly modelTypes = ['clip', 'clip_text_model'] as const;
  static readonly keyRules = CLIP_KEY_RULES;

  textModel: CLIPTextTransformer;
  textProjection: Linear;

  constructor(config: PretrainedConfig) {
    super(config);
    const w = 'CLIPTextModelWithProjection';
    const text = towerConfig(config, 'text', w, false);
    this.textModel = new CLIPTextTransformer(text, w);
    const hidden = text.hidden_size as number;
    this.textProjection = denseLayer(hidden, towerProjection(config, 'text', w), hidden ** -0.5, false);
  }

  protected override stateName(name: string): string {
    return NAMES[name] ?? name;
  }

  forward(inputIds: Tensor, options: CLIPTextOptions = {}): { textEmbeds: Tensor; lastHiddenState: Tensor } {
    return tl.tidy(() => {
      const { lastHiddenState, poolerOutput } = this.textModel.forward(inputIds, options.attentionMask);
      return { textEmbeds: this.textProjection.forward(poolerOutput), lastHiddenState };
    });
  }
}

/**
 * CLIP's vision tower and `visual_projection` (`CLIPVisionModelWithProjection`), from a
 * `clip_vision_model` config or a whole CLIP checkpoint (whose text keys are then reported as unused):
 * `forward(pixelValues)` → `{ imageEmbeds, lastHiddenState }`, the embeddings not normalised.
 *
 * @example
 * ```ts
 * const vision = await CLIPVisionModelWithProjection.fromPretrained('openai/clip-vit-base-patch32', { logger: null });
 * const { imageEmbeds } = vision.forward(pixels); // [B, 3, 224, 224]
 * ```
 */
export class CLIPVisionModelWithProjection extends PreTrainedModel {
  static readonly modelTypes = ['clip', 'clip_vision_model'] as const;
  static readonly keyRules = CLIP_KEY_RULES;

  visionModel: CLIPVisionTransformer;
  visualProjection: Linear;

  constructor(config: PretrainedConfig) {
    super(config);
    const w = 'CLIPVisionModelWithProjection';
    const vision = towerConfig(config, 'vision', w, false);
    this.visionModel = new CLIPVisionTransformer(vision, w);
    const hidden = vision.hidden_size as number;
    this.visualProjection = denseLayer(hidden, towerProjection(config, 'vision', w), hidden ** -0.5, false);
  }

  protected override stateName(name: string): string {
    return NAMES[name] ?? name;
  }

  forward(pixelValues: Tensor, options: VisionOptions = {}): { imageEmbeds: Tensor; lastHiddenState: Tensor } {
    return tl.tidy(() => {
      const { lastHiddenState, poolerOutput } = this.visionModel.forward(pixelValues, options);
      return { imageEmbeds: this.visualProjection.forward(poolerOutput), lastHiddenState };
    });
  }
}
