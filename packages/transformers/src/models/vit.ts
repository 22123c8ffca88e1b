/**
 * ViT for image classification (`ViTForImageClassification`) with the hub's names:
 * `vit.embeddings.{cls_token, position_embeddings, patch_embeddings.projection}`,
 * `vit.encoder.layer.N.{layernorm_before, attention.attention.{query,key,value},
 * attention.output.dense, layernorm_after, intermediate.dense, output.dense}`,
 * `vit.layernorm`, `classifier`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Conv2d, LayerNorm, Linear, Module, ModuleList, Parameter, functional as F, init } from '@tensile/nn';
import { checkPixels, denseLayer, interpolatePositions, param, type VisionOptions } from '../layers.js';
import { PreTrainedModel, field, numLabels, type PretrainedConfig } from '../modeling.js';
import { TASK_HEADS, type KeyRules } from '../weights.js';
import { BertIntermediate, BertSelfAttention, classificationLoss, encoderSettings, type ClassifierOutput, type EncoderSettings } from './bert.js';

/** The fields of a ViT config.json this implementation reads. */
export interface ViTConfig extends PretrainedConfig {
  image_size: number;
  patch_size: number;
  num_channels?: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act?: string;
  layer_norm_eps?: number;
  qkv_bias?: boolean;
  hidden_dropout_prob?: number;
  attention_probs_dropout_prob?: number;
  num_labels?: number;
  id2label?: Record<string, string>;
}

const NAMES: Record<string, string> = {
  clsToken: 'cls_token', positionEmbeddings: 'position_embeddings', patchEmbeddings: 'patch_embeddings',
  layernormBefore: 'layernorm_before', layernormAfter: 'layernorm_after',
};

class ViTPatchEmbeddings extends Module {
  projection: Conv2d;
  constructor(channels: number, hidden: number, patch: number) {
    super();
    this.projection = new Conv2d(channels, hidden, patch, { stride: patch });
  }
  forward(pixels: Tensor): Tensor {
    return tl.tidy(() => this.projection.forward(pixels).flatten(2).transpose(1, 2));
  }
}

class ViTEmbeddings extends Module {
  clsToken: Parameter;
  patchEmbeddings: ViTPatchEmbeddings;
  positionEmbeddings: Parameter;
  readonly imageSize: number;
  readonly channels: number;
  readonly patch: number;
  constructor(c: ViTConfig, private readonly s: EncoderSettings) {
    super();
    const w = 'ViTForImageClassification';
    this.imageSize = field<number>(c, 'image_size', undefined, w);
    const patch = field<number>(c, 'patch_size', undefined, w);
    this.patch = patch;
    this.channels = field<number>(c, 'num_channels', 3, w);
    const patches = (this.imageSize / patch) ** 2;
    if (!Number.isInteger(patches)) throw new Error(`${w}: image_size ${this.imageSize} is not a multiple of patch_size ${patch}`);
    this.clsToken = param([1, 1, s.hidden]);
    this.patchEmbeddings = new ViTPatchEmbeddings(this.channels, s.hidden, patch);
    this.positionEmbeddings = param([1, patches + 1, s.hidden]);
    init.truncNormal_(this.clsToken, 0, s.std);
    init.truncNormal_(this.positionEmbeddings, 0, s.std);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(pixels: Tensor, interpolate = false): Tensor {
    return tl.tidy(() => {
      checkPixels(pixels, this.channels, this.imageSize, this.patch, interpolate, 'ViTForImageClassification.forward');
      const x = this.patchEmbeddings.forward(pixels);
      const cls = this.clsToken.expand([x.shape[0], 1, this.s.hidden]);
      const positions = interpolate ? interpolatePositions(this.positionEmbeddings, pixels.shape[2], pixels.shape[3], this.patch) : this.positionEmbeddings;
      return F.dropout(tl.cat([cls, x], 1).add(positions), this.s.hiddenDropout, this.training);
    });
  }
}

class ViTSelfOutput extends Module {
  dense: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    this.dense = denseLayer(s.hidden, s.hidden, s.std);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => F.dropout(this.dense.forward(x), this.s.hiddenDropout, this.training));
  }
}

class ViTAttention extends Module {
  attention: BertSelfAttention;
  output: ViTSelfOutput;
  constructor(s: EncoderSettings) {
    super();
    this.attention = new BertSelfAttention(s);
    this.output = new ViTSelfOutput(s);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.output.forward(this.attention.forward(x, null)));
  }
}

class ViTOutput extends Module {
  dense: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    this.dense = denseLayer(s.inner, s.hidden, s.std);
  }
  forward(x: Tensor, residual: Tensor): Tensor {
    return tl.tidy(() => F.dropout(this.dense.forward(x), this.s.hiddenDropout, this.training).add(residual));
  }
}

class ViTLayer extends Module {
  attention: ViTAttention;
  intermediate: BertIntermediate;
  output: ViTOutput;
  layernormBefore: LayerNorm;
  layernormAfter: LayerNorm;
  constructor(s: EncoderSettings) {
    super();
    this.attention = new ViTAttention(s);
    this.intermediate = new BertIntermediate(s);
    this.output = new ViTOutput(s);
    this.layernormBefore = new LayerNorm(s.hidden, { eps: s.eps });
    this.layernormAfter = new LayerNorm(s.hidden, { eps: s.eps });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      const h = this.attention.forward(this.layernormBefore.forward(x)).add(x);
      return this.output.forward(this.intermediate.forward(this.layernormAfter.forward(h)), h);
    });
  }
}

class ViTEncoder extends Module {
  layer: ModuleList<ViTLayer>;
  constructor(s: EncoderSettings) {
    super();
    this.layer = new ModuleList(Array.from({ length: s.layers }, () => new ViTLayer(s)));
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => {
      let h = x;
      for (const layer of this.layer) h = layer.forward(h);
      return h;
    });
  }
}

/** The ViT encoder without a pooler (`ViTModel(add_pooling_layer=False)`): `[B, C, H, W]` → `[B, 1 + patches, hidden]`. */
export class ViTModel extends Module {
  embeddings: ViTEmbeddings;
  encoder: ViTEncoder;
  layernorm: LayerNorm;
  constructor(config: ViTConfig) {
    super();
    const s = encoderSettings(config, 'ViTModel', 1e-12);
    this.embeddings = new ViTEmbeddings(config, s);
    this.encoder = new ViTEncoder(s);
    this.layernorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  forward(pixelValues: Tensor, options: VisionOptions = {}): Tensor {
    return tl.tidy(() => this.layernorm.forward(this.encoder.forward(this.embeddings.forward(pixelValues, options.interpolatePosEncoding === true))));
  }
}

/**
 * ViT with a linear classifier on the first (class) token (`ViTForImageClassification`):
 * `forward(pixelValues, { labels?, interpolatePosEncoding? })` → `{ logits, loss? }`.
 *
 * @example
 * ```ts
 * const vit = await ViTForImageClassification.fromPretrained('google/vit-base-patch16-224');
 * const { logits } = vit.forward(pixels); // pixels [B, 3, 224, 224], normalised as preprocessor_config.json says
 * ```
 */
export class ViTForImageClassification extends PreTrainedModel {
  static readonly modelTypes = ['vit'] as const;
  static readonly keyRules: KeyRules = { basePrefix: 'vit', ignore: [/^vit\.pooler\./], initialized: TASK_HEADS };

  vit: ViTModel;
  classifier: Linear;

  constructor(config: ViTConfig) {
    super(config);
    this.vit = new ViTModel(config);
    this.classifier = denseLayer(config.hidden_size, numLabels(config), field<number>(config, 'initializer_range', 0.02, 'ViTForImageClassification'));
  }

  forward(pixelValues: Tensor, options: VisionOptions & { labels?: Tensor | null } = {}): ClassifierOutput {
    return tl.tidy(() => {
      const logits = this.classifier.forward(this.vit.forward(pixelValues, options).select(1, 0));
      return options.labels ? { logits, loss: classificationLoss(this.config, logits, options.labels) } : { logits };
    });
  }
}
