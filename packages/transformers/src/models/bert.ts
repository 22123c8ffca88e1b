/**
 * BERT (`BertModel`, `BertForSequenceClassification`, and the task heads of encoder-heads.ts:
 * `BertForMaskedLM`, `BertForTokenClassification`, `BertForQuestionAnswering`,
 * `BertForMultipleChoice`) with the hub's names:
 * `embeddings.{word,position,token_type}_embeddings`, `embeddings.LayerNorm`,
 * `encoder.layer.N.{attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
 * intermediate.dense, output.{dense,LayerNorm}}`, `pooler.dense`, and for the classifier the
 * `bert.` prefix and `classifier`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, ModuleList, functional as F } from '@tensile/nn';
import { hostRowsSync } from '../generation.js';
import { activation, attend, denseLayer, initEmbeddings, mergeHeads, splitHeads } from '../layers.js';
import { PreTrainedModel, field, numLabels, type ModelOptions, type PretrainedConfig } from '../modeling.js';
import { TASK_HEADS, type KeyRules } from '../weights.js';
import { EncoderForMaskedLM, EncoderForMultipleChoice, EncoderForQuestionAnswering, EncoderForTokenClassification } from './encoder-heads.js';

/** The fields of a BERT config.json this implementation reads. */
export interface BertConfig extends PretrainedConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act?: string;
  hidden_dropout_prob?: number;
  attention_probs_dropout_prob?: number;
  max_position_embeddings: number;
  type_vocab_size?: number;
  layer_norm_eps?: number;
  pad_token_id?: number;
  position_embedding_type?: string;
  num_labels?: number;
  id2label?: Record<string, string>;
  problem_type?: 'regression' | 'single_label_classification' | 'multi_label_classification' | null;
  classifier_dropout?: number | null;
  initializer_range?: number;
}

/** Settings shared by BERT and ViT encoders. */
export interface EncoderSettings {
  hidden: number;
  layers: number;
  heads: number;
  inner: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  hiddenDropout: number;
  attnDropout: number;
  std: number;
  qkvBias: boolean;
}

export function encoderSettings(c: PretrainedConfig, where: string, defaultEps: number): EncoderSettings {
  const hidden = field<number>(c, 'hidden_size', undefined, where);
  const heads = field<number>(c, 'num_attention_heads', undefined, where);
  if (hidden % heads !== 0) throw new Error(`${where}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads}`);
  return {
    hidden,
    heads,
    layers: field<number>(c, 'num_hidden_layers', undefined, where),
    inner: field<number>(c, 'intermediate_size', undefined, where),
    act: activation(field<string>(c, 'hidden_act', 'gelu', where), where),
    eps: field<number>(c, 'layer_norm_eps', defaultEps, where),
    hiddenDropout: field<number>(c, 'hidden_dropout_prob', 0.1, where),
    attnDropout: field<number>(c, 'attention_probs_dropout_prob', 0.1, where),
    std: field<number>(c, 'initializer_range', 0.02, where),
    qkvBias: field<boolean>(c, 'qkv_bias', true, where),
  };
}

const NAMES: Record<string, string> = {
  wordEmbeddings: 'word_embeddings', positionEmbeddings: 'position_embeddings', tokenTypeEmbeddings: 'token_type_embeddings',
  layerNorm: 'LayerNorm', self_: 'self',
};

/** `attention.self`: query, key and value projections and scaled dot-product attention. */
export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    this.query = denseLayer(s.hidden, s.hidden, s.std, s.qkvBias);
    this.key = denseLayer(s.hidden, s.hidden, s.std, s.qkvBias);
    this.value = denseLayer(s.hidden, s.hidden, s.std, s.qkvBias);
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const [q, k, v] = [this.query, this.key, this.value].map((m) => splitHeads(m.forward(x), this.s.heads));
      return mergeHeads(attend(q, k, v, allowed, 1 / Math.sqrt(this.s.hidden / this.s.heads), this.s.attnDropout, this.training));
    });
  }
}

/** `dense`, dropout, then `LayerNorm` of the sum with the residual. */
class BertOutput extends Module {
  dense: Linear;
  layerNorm: LayerNorm;
  constructor(inFeatures: number, private readonly s: EncoderSettings) {
    super();
    this.dense = denseLayer(inFeatures, s.hidden, s.std);
    this.layerNorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, residual: Tensor): Tensor {
    return tl.tidy(() => this.layerNorm.forward(F.dropout(this.dense.forward(x), this.s.hiddenDropout, this.training).add(residual)));
  }
}

class BertAttention extends Module {
  self_: BertSelfAttention;
  output: BertOutput;
  constructor(s: EncoderSettings) {
    super();
    this.self_ = new BertSelfAttention(s);
    this.output = new BertOutput(s.hidden, s);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => this.output.forward(this.self_.forward(x, allowed), x));
  }
}

/** `intermediate.dense` and the activation. */
export class BertIntermediate extends Module {
  dense: Linear;
  constructor(private readonly s: EncoderSettings) {
    super();
    this.dense = denseLayer(s.hidden, s.inner, s.std);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => this.s.act(this.dense.forward(x)));
  }
}

class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertOutput;
  constructor(s: EncoderSettings) {
    super();
    this.attention = new BertAttention(s);
    this.intermediate = new BertIntermediate(s);
    this.output = new BertOutput(s.inner, s);
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const a = this.attention.forward(x, allowed);
      return this.output.forward(this.intermediate.forward(a), a);
    });
  }
}

/** `encoder.layer.N`. */
export class BertEncoder extends Module {
  layer: ModuleList<BertLayer>;
  constructor(s: EncoderSettings) {
    super();
    this.layer = new ModuleList(Array.from({ length: s.layers }, () => new BertLayer(s)));
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      let h = x;
      for (const layer of this.layer) h = layer.forward(h, allowed);
      return h;
    });
  }
}

/**
 * How position ids are made: BERT's `0 .. t-1`, or RoBERTa's from the input ids
 * (`create_position_ids_from_input_ids`: padding ids keep `pad_token_id`, other tokens count on from it).
 */
export type PositionMode = 'absolute' | 'from-input-ids';

/** RoBERTa's position ids: `cumsum(ids != pad) * (ids != pad) + pad`, int32 `[batch, seq]`. */
export function positionIdsFromInputIds(inputIds: Tensor, pad: number): Tensor {
  return tl.tidy(() => {
    const real = inputIds.ne(pad).cast('int32');
    return real.cumsum(1).mul(real).add(pad);
  });
}

/** `embeddings`: word, position and token-type tables summed, then `LayerNorm` and dropout. */
export class BertEmbeddings extends Module {
  wordEmbeddings: Embedding;
  positionEmbeddings: Embedding;
  tokenTypeEmbeddings: Embedding;
  layerNorm: LayerNorm;
  private readonly pad: number;
  constructor(c: BertConfig, private readonly s: EncoderSettings, private readonly where = 'BertModel', private readonly positions: PositionMode = 'absolute') {
    super();
    const fromIds = positions === 'from-input-ids';
    // RoBERTa's padding id is 1 (`<pad>`), and its position table has that padding row too.
    this.pad = field<number>(c, 'pad_token_id', fromIds ? 1 : 0, where);
    this.wordEmbeddings = new Embedding(field<number>(c, 'vocab_size', undefined, where), s.hidden, { paddingIdx: this.pad });
    this.positionEmbeddings = new Embedding(field<number>(c, 'max_position_embeddings', undefined, where), s.hidden, { paddingIdx: fromIds ? this.pad : null });
    this.tokenTypeEmbeddings = new Embedding(field<number>(c, 'type_vocab_size', 2, where), s.hidden);
    initEmbeddings([this.wordEmbeddings, this.positionEmbeddings, this.tokenTypeEmbeddings], s.std);
    this.layerNorm = new LayerNorm(s.hidden, { eps: s.eps });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(inputIds: Tensor, tokenTypeIds: Tensor): Tensor {
    return tl.tidy(() => {
      const t = inputIds.shape[1];
      const rows = this.positionEmbeddings.numEmbeddings;
      const fromIds = this.positions === 'from-input-ids';
      // From the ids, the last of t tokens sits at position pad + t.
      if ((fromIds ? this.pad + t + 1 : t) > rows) {
        const why = fromIds ? ` (positions start after pad_token_id ${this.pad})` : '';
        throw new Error(`${this.where}.forward: ${t} tokens exceed max_position_embeddings ${rows}${why}`);
      }
      const positions = fromIds
        ? positionIdsFromInputIds(inputIds, this.pad)
        : tl.arange(t, undefined, 1, { dtype: 'int32', device: inputIds.device }).unsqueeze(0);
      const x = this.wordEmbeddings.forward(inputIds).add(this.tokenTypeEmbeddings.forward(tokenTypeIds)).add(this.positionEmbeddings.forward(positions));
      return F.dropout(this.layerNorm.forward(x), this.s.hiddenDropout, this.training);
    });
  }
}

/** `pooler.dense`: tanh(dense(first token)). */
export class BertPooler extends Module {
  dense: Linear;
  constructor(s: EncoderSettings) {
    super();
    this.dense = denseLayer(s.hidden, s.hidden, s.std);
  }
  forward(hidden: Tensor): Tensor {
    return tl.tidy(() => this.dense.forward(hidden.select(1, 0)).tanh());
  }
}

/** Per-call options of `BertModel.forward`. */
export interface BertForwardOptions {
  /** `[batch, seq]`: 1 where a token is attended, 0 at padding (host arrays or a tensor on a backend that reads synchronously). */
  attentionMask?: Tensor | number[][] | null;
  /** `[batch, seq]` int32 segment ids (default zeros). */
  tokenTypeIds?: Tensor | null;
}

/** What `BertModel.forward` returns. */
export interface BertOutputs {
  /** `[batch, seq, hidden]`. */
  lastHiddenState: Tensor;
  /** `[batch, hidden]`: tanh(dense(first token)). */
  poolerOutput: Tensor;
}

/** A `[batch, seq]` attention mask (1 attended, 0 padding) as a bool key mask `[batch, 1, 1, seq]`, or null. */
export function keyMaskTensor(mask: Tensor | number[][] | null | undefined, b: number, t: number, device: string, where: string): Tensor | null {
  if (!mask) return null;
  let m: Tensor;
  if (Array.isArray(mask)) {
    const rows = hostRowsSync(mask, where);
    m = tl.tensor(Uint8Array.from(rows.flat(), (v) => (v ? 1 : 0)), { dtype: 'bool', device }).reshape([b, t]);
  } else {
    m = mask.dtype === 'bool' ? mask : mask.ne(0);
  }
  if (m.shape[0] !== b || m.shape[1] !== t) throw new Error(`${where}: attentionMask is ${tl.formatShape(m.shape)}, expected [${b}, ${t}]`);
  return m.reshape([b, 1, 1, t]);
}

/** How BERT checkpoints' keys map, for the encoder and the classifier alike: with or without the `bert.` prefix; `position_ids` skipped. */
const BERT_KEY_RULES: KeyRules = {
  basePrefix: 'bert',
  ignore: [/position_ids$/],
  initialized: TASK_HEADS,
};

/** Refuse the relative position embeddings (`relative_key`, `relative_key_query`): only absolute ones are here. */
function absolutePositionsOnly(config: BertConfig, where: string): void {
  if ((config.position_embedding_type ?? 'absolute') !== 'absolute') {
    throw new Error(`${where}: position_embedding_type '${config.position_embedding_type}' is not supported (absolute)`);
  }
}

/** The encoder BERT and RoBERTa share: embeddings, layers and the optional pooler; they differ in position ids. */
export abstract class BertEncoderModel extends PreTrainedModel {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler | null;
  private readonly where: string;

  protected constructor(config: BertConfig, where: string, positions: PositionMode, addPoolingLayer: boolean) {
    super(config);
    const s = encoderSettings(config, where, 1e-12);
    absolutePositionsOnly(config, where);
    this.where = where;
    this.embeddings = new BertEmbeddings(config, s, where, positions);
    this.encoder = new BertEncoder(s);
    this.pooler = addPoolingLayer ? new BertPooler(s) : null;
  }

  forward(inputIds: Tensor, options: BertForwardOptions = {}): BertOutputs {
    return tl.tidy(() => {
      const where = `${this.where}.forward`;
      if (inputIds.rank !== 2) throw new Error(`${where}: inputIds must be [batch, seq], got ${tl.formatShape(inputIds.shape)}`);
      const [b, t] = inputIds.shape;
      const types = options.tokenTypeIds ?? tl.zeros([b, t], { dtype: 'int32', device: inputIds.device });
      const allowed = keyMaskTensor(options.attentionMask, b, t, inputIds.device, where);
      const lastHiddenState = this.encoder.forward(this.embeddings.forward(inputIds, types), allowed);
      const poolerOutput = this.pooler ? this.pooler.forward(lastHiddenState) : lastHiddenState.select(1, 0);
      return { lastHiddenState, poolerOutput };
    });
  }
}

/**
 * The BERT encoder (`BertModel`): `forward(inputIds, { attentionMask, tokenTypeIds })` →
 * `{ lastHiddenState, poolerOutput }`. Checkpoints load with or without the `bert.` prefix;
 * pretraining heads (`cls.*`) and the `position_ids` buffer are skipped.
 *
 * @example
 * ```ts
 * const bert = await BertModel.fromPretrained('google-bert/bert-base-uncased');
 * const enc = tokenizer.batch(['hello world', 'hi'], { padding: true });
 * const { poolerOutput } = bert.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class BertModel extends BertEncoderModel {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules = BERT_KEY_RULES;
  static readonly modelOptions = ['addPoolingLayer'] as const;

  constructor(config: BertConfig, options: ModelOptions = {}) {
    super(config, 'BertModel', 'absolute', options.addPoolingLayer !== false);
  }
}

/** Classification losses as the hub computes them from `problem_type` (or from the labels' dtype). */
export function classificationLoss(config: PretrainedConfig, logits: Tensor, labels: Tensor): Tensor {
  return tl.tidy(() => {
    const n = numLabels(config);
    let problem = config.problem_type as string | null | undefined;
    if (!problem) problem = n === 1 ? 'regression' : labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
    if (problem === 'single_label_classification') return F.crossEntropy(logits.reshape([-1, n]), labels.reshape([-1]).cast('int32'));
    // Float32 targets meet float16 logits as PyTorch's type promotion has it: the loss in float32.
    const wide = logits.float();
    if (problem === 'regression') return F.mseLoss(n === 1 ? wide.reshape([-1]) : wide, (n === 1 ? labels.reshape([-1]) : labels).float());
    return F.binaryCrossEntropyWithLogits(wide, labels.float());
  });
}

/** What a sequence or image classifier's `forward` returns. */
export interface ClassifierOutput {
  /** `[batch, numLabels]`. */
  logits: Tensor;
  /** With labels: cross-entropy (int labels), MSE (one label) or BCE-with-logits (multi-label), as `problem_type` says. */
  loss?: Tensor;
}

/**
 * BERT with a linear classifier on the pooled output (`BertForSequenceClassification`).
 *
 * @example
 * ```ts
 * const clf = await BertForSequenceClassification.fromPretrained('./bert-sst2');
 * const { logits, loss } = clf.forward(ids, { attentionMask, labels: tl.tensor([1, 0], { dtype: 'int32' }) });
 * ```
 */
export class BertForSequenceClassification extends PreTrainedModel {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules = BERT_KEY_RULES;

  bert: BertModel;
  classifier: Linear;
  private readonly dropoutP: number;

  constructor(config: BertConfig) {
    super(config);
    this.bert = new BertModel(config);
    const s = encoderSettings(config, 'BertForSequenceClassification', 1e-12);
    this.dropoutP = (config.classifier_dropout ?? null) === null ? s.hiddenDropout : (config.classifier_dropout as number);
    this.classifier = denseLayer(s.hidden, numLabels(config), s.std);
  }

  forward(inputIds: Tensor, options: BertForwardOptions & { labels?: Tensor | null } = {}): ClassifierOutput {
    return tl.tidy(() => {
      const { poolerOutput } = this.bert.forward(inputIds, options);
      const logits = this.classifier.forward(F.dropout(poolerOutput, this.dropoutP, this.training));
      return options.labels ? { logits, loss: classificationLoss(this.config, logits, options.labels) } : { logits };
    });
  }
}

/** `classifier_dropout`, else `hidden_dropout_prob`, as the hub's token and choice classifiers read it. */
function classifierDropout(config: BertConfig, s: EncoderSettings): number {
  return (config.classifier_dropout ?? null) === null ? s.hiddenDropout : (config.classifier_dropout as number);
}

/**
 * The task heads' keys: the `bert.` prefix optional; a pretraining checkpoint's pooler skipped
 * quietly (these heads have none, as the hub's `add_pooling_layer=False`), and for the masked LM
 * its next-sentence head (`cls.seq_relationship`), the tied copy of the embeddings
 * (`cls.predictions.decoder.weight`) and `cls.predictions.decoder.bias`, read as
 * `cls.predictions.bias` where a checkpoint has only that name.
 */
const BERT_HEAD_KEY_RULES: KeyRules = { basePrefix: 'bert', ignore: [/position_ids$/, /^(bert\.)?pooler\./], initialized: TASK_HEADS };
const BERT_MLM_KEY_RULES: KeyRules = {
  basePrefix: 'bert',
  ignore: [...BERT_HEAD_KEY_RULES.ignore, /^cls\.seq_relationship\./, /^cls\.predictions\.decoder\.(weight|bias)$/],
  aliases: [[/^cls\.predictions\.decoder\.bias$/, 'cls.predictions.bias']],
  initialized: [/^cls\.predictions\./],
};

/**
 * BERT with its masked-LM head (`BertForMaskedLM`): `cls.predictions.transform.{dense, LayerNorm}`
 * (the `hidden_act` between), the decoder tied to `bert.embeddings.word_embeddings`, and
 * `cls.predictions.bias`. `forward(inputIds, { attentionMask, tokenTypeIds, labels })` →
 * `{ logits [batch, seq, vocab], loss? }`, the loss cross-entropy over labels other than -100.
 *
 * @example
 * ```ts
 * const mlm = await BertForMaskedLM.fromPretrained('google-bert/bert-base-uncased');
 * const { logits } = mlm.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class BertForMaskedLM extends EncoderForMaskedLM<BertForwardOptions> {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules = BERT_MLM_KEY_RULES;

  constructor(config: BertConfig) {
    const where = 'BertForMaskedLM';
    const s = encoderSettings(config, where, 1e-12);
    const bert = new BertModel(config, { addPoolingLayer: false });
    const names = { dense: 'cls.predictions.transform.dense', layerNorm: 'cls.predictions.transform.LayerNorm', decoder: 'cls.predictions.decoder', bias: 'cls.predictions.bias' };
    super(config, bert, 'bert', bert.embeddings.wordEmbeddings, { names, hidden: s.hidden, act: s.act, eps: s.eps, std: s.std }, where);
  }

  /** The encoder (`bert.*`). */
  get bert(): BertModel {
    return this.base as BertModel;
  }
}

/**
 * BERT with a linear `classifier` on every token (`BertForTokenClassification`, NER and the like):
 * `forward(inputIds, { attentionMask, tokenTypeIds, labels })` → `{ logits [batch, seq, numLabels], loss? }`.
 */
export class BertForTokenClassification extends EncoderForTokenClassification<BertForwardOptions> {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules = BERT_HEAD_KEY_RULES;

  constructor(config: BertConfig) {
    const where = 'BertForTokenClassification';
    const s = encoderSettings(config, where, 1e-12);
    super(config, new BertModel(config, { addPoolingLayer: false }), 'bert', s.hidden, s.std, classifierDropout(config, s), where);
  }

  /** The encoder (`bert.*`). */
  get bert(): BertModel {
    return this.base as BertModel;
  }
}

/**
 * BERT for extractive question answering (`BertForQuestionAnswering`): `qa_outputs` gives each
 * token a start and an end score. `forward(inputIds, { attentionMask, tokenTypeIds, startPositions,
 * endPositions })` → `{ startLogits, endLogits, loss? }`.
 */
export class BertForQuestionAnswering extends EncoderForQuestionAnswering<BertForwardOptions> {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules = BERT_HEAD_KEY_RULES;

  constructor(config: BertConfig) {
    const where = 'BertForQuestionAnswering';
    const s = encoderSettings(config, where, 1e-12);
    super(config, new BertModel(config, { addPoolingLayer: false }), 'bert', s.hidden, s.std, 0, where);
  }

  /** The encoder (`bert.*`). */
  get bert(): BertModel {
    return this.base as BertModel;
  }
}

/**
 * BERT for multiple choice (`BertForMultipleChoice`, SWAG and the like): each choice's pooled
 * output through `classifier` (hidden → 1). `forward(inputIds [batch, choices, seq], {
 * attentionMask, tokenTypeIds, labels [batch] })` → `{ logits [batch, choices], loss? }`.
 */
export class BertForMultipleChoice extends EncoderForMultipleChoice<BertForwardOptions> {
  static readonly modelTypes = ['bert'] as const;
  static readonly keyRules: KeyRules = { basePrefix: 'bert', ignore: [/position_ids$/], initialized: TASK_HEADS };

  constructor(config: BertConfig) {
    const where = 'BertForMultipleChoice';
    const s = encoderSettings(config, where, 1e-12);
    super(config, new BertModel(config), 'bert', s.hidden, s.std, classifierDropout(config, s), where);
  }

  /** The encoder (`bert.*`). */
  get bert(): BertModel {
    return this.base as BertModel;
  }
}
