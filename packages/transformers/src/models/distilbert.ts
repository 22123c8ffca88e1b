/**
 * DistilBERT (`DistilBertModel`, `DistilBertForSequenceClassification`, `DistilBertForMaskedLM`,
 * `DistilBertForTokenClassification`, `DistilBertForQuestionAnswering`, `DistilBertForMultipleChoice`) with the hub's names:
 * `embeddings.{word_embeddings, position_embeddings, LayerNorm}`,
 * `transformer.layer.N.{attention.{q_lin, k_lin, v_lin, out_lin}, sa_layer_norm, ffn.{lin1, lin2},
 * output_layer_norm}`, and for the classifier the `distilbert.` prefix, `pre_classifier` and
 * `classifier`. Post-norm blocks as BERT's, without token types or a pooler.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, ModuleList, functional as F } from '@tensile/nn';
import { activation, attend, denseLayer, initEmbeddings, mergeHeads, splitHeads } from '../layers.js';
import { PreTrainedModel, field, numLabels, type PretrainedConfig } from '../modeling.js';
import { TASK_HEADS, type KeyRules } from '../weights.js';
import { classificationLoss, keyMaskTensor, type ClassifierOutput } from './bert.js';
import { EncoderForMaskedLM, EncoderForMultipleChoice, EncoderForQuestionAnswering, EncoderForTokenClassification, type EncoderOutput } from './encoder-heads.js';

/** The fields of a DistilBERT config.json this implementation reads. */
export interface DistilBertConfig extends PretrainedConfig {
  vocab_size: number;
  dim: number;
  n_layers: number;
  n_heads: number;
  hidden_dim: number;
  max_position_embeddings: number;
  activation?: string;
  dropout?: number;
  attention_dropout?: number;
  seq_classif_dropout?: number;
  qa_dropout?: number;
  pad_token_id?: number;
  initializer_range?: number;
  sinusoidal_pos_embds?: boolean;
  num_labels?: number;
  id2label?: Record<string, string>;
  problem_type?: 'regression' | 'single_label_classification' | 'multi_label_classification' | null;
}

interface Settings {
  dim: number;
  heads: number;
  act: (x: Tensor) => Tensor;
  dropout: number;
  attnDropout: number;
  std: number;
}

function settings(c: DistilBertConfig, where: string): Settings {
  const dim = field<number>(c, 'dim', undefined, where);
  const heads = field<number>(c, 'n_heads', undefined, where);
  if (dim % heads !== 0) throw new Error(`${where}: dim ${dim} is not divisible by n_heads ${heads}`);
  return {
    dim,
    heads,
    act: activation(field<string>(c, 'activation', 'gelu', where), where),
    dropout: field<number>(c, 'dropout', 0.1, where),
    attnDropout: field<number>(c, 'attention_dropout', 0.1, where),
    std: field<number>(c, 'initializer_range', 0.02, where),
  };
}

const NAMES: Record<string, string> = {
  wordEmbeddings: 'word_embeddings', positionEmbeddings: 'position_embeddings', layerNorm: 'LayerNorm',
  qLin: 'q_lin', kLin: 'k_lin', vLin: 'v_lin', outLin: 'out_lin', saLayerNorm: 'sa_layer_norm', outputLayerNorm: 'output_layer_norm',
  preClassifier: 'pre_classifier',
};

/**
 * `sinusoidal_pos_embds`: the position table is fixed, not learned: sin(pos / 10000^(2i/dim)) in
 * the even columns and cos in the odd ones, frozen (the hub sets requires_grad False). A
 * checkpoint's stored table still loads over it.
 */
function sinusoidalPositions(e: Embedding): void {
  const [n, dim] = [e.numEmbeddings, e.embeddingDim];
  const table = new Float32Array(n * dim);
  for (let pos = 0; pos < n; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / 10000 ** ((2 * Math.floor(j / 2)) / dim);
      table[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  tl.noGrad(() => e.weight.assign(tl.tensor(table, { dtype: e.weight.dtype, device: e.weight.device }).reshape([n, dim])));
  e.weight.requiresGrad = false;
}

class Embeddings extends Module {
  wordEmbeddings: Embedding;
  positionEmbeddings: Embedding;
  layerNorm: LayerNorm;
  constructor(c: DistilBertConfig, private readonly s: Settings, where: string) {
    super();
    const pad = field<number>(c, 'pad_token_id', 0, where);
    this.wordEmbeddings = new Embedding(field<number>(c, 'vocab_size', undefined, where), s.dim, { paddingIdx: pad });
    this.positionEmbeddings = new Embedding(field<number>(c, 'max_position_embeddings', undefined, where), s.dim);
    initEmbeddings([this.wordEmbeddings, this.positionEmbeddings], s.std);
    if (field<boolean>(c, 'sinusoidal_pos_embds', false, where)) sinusoidalPositions(this.positionEmbeddings);
    this.layerNorm = new LayerNorm(s.dim, { eps: 1e-12 });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(inputIds: Tensor): Tensor {
    return tl.tidy(() => {
      const t = inputIds.shape[1];
      if (t > this.positionEmbeddings.numEmbeddings) {
        throw new Error(`DistilBertModel.forward: ${t} tokens exceed max_position_embeddings ${this.positionEmbeddings.numEmbeddings}`);
      }
      const positions = tl.arange(t, undefined, 1, { dtype: 'int32', device: inputIds.device }).unsqueeze(0);
      const x = this.wordEmbeddings.forward(inputIds).add(this.positionEmbeddings.forward(positions));
      return F.dropout(this.layerNorm.forward(x), this.s.dropout, this.training);
    });
  }
}

/** `attention.{q,k,v,out}_lin`: padding keys (mask 0) get the dtype's minimum before the softmax. */
class MultiHeadSelfAttention extends Module {
  qLin: Linear;
  kLin: Linear;
  vLin: Linear;
  outLin: Linear;
  constructor(private readonly s: Settings) {
    super();
    [this.qLin, this.kLin, this.vLin, this.outLin] = Array.from({ length: 4 }, () => denseLayer(s.dim, s.dim, s.std));
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const [q, k, v] = [this.qLin, this.kLin, this.vLin].map((m) => splitHeads(m.forward(x), this.s.heads));
      const context = attend(q, k, v, allowed, 1 / Math.sqrt(this.s.dim / this.s.heads), this.s.attnDropout, this.training);
      return this.outLin.forward(mergeHeads(context));
    });
  }
}

/** `ffn`: lin2(act(lin1(x))), then dropout. */
class FFN extends Module {
  lin1: Linear;
  lin2: Linear;
  constructor(hiddenDim: number, private readonly s: Settings) {
    super();
    this.lin1 = denseLayer(s.dim, hiddenDim, s.std);
    this.lin2 = denseLayer(hiddenDim, s.dim, s.std);
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => F.dropout(this.lin2.forward(this.s.act(this.lin1.forward(x))), this.s.dropout, this.training));
  }
}

/** `transformer.layer.N`: `sa = sa_layer_norm(attention(x) + x)`, `out = output_layer_norm(ffn(sa) + sa)`. */
class TransformerBlock extends Module {
  attention: MultiHeadSelfAttention;
  saLayerNorm: LayerNorm;
  ffn: FFN;
  outputLayerNorm: LayerNorm;
  constructor(hiddenDim: number, s: Settings) {
    super();
    this.attention = new MultiHeadSelfAttention(s);
    this.saLayerNorm = new LayerNorm(s.dim, { eps: 1e-12 });
    this.ffn = new FFN(hiddenDim, s);
    this.outputLayerNorm = new LayerNorm(s.dim, { eps: 1e-12 });
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      const sa = this.saLayerNorm.forward(this.attention.forward(x, allowed).add(x));
      return this.outputLayerNorm.forward(this.ffn.forward(sa).add(sa));
    });
  }
}

class Transformer extends Module {
  layer: ModuleList<TransformerBlock>;
  constructor(layers: number, hiddenDim: number, s: Settings) {
    super();
    this.layer = new ModuleList(Array.from({ length: layers }, () => new TransformerBlock(hiddenDim, s)));
  }
  forward(x: Tensor, allowed: Tensor | null): Tensor {
    return tl.tidy(() => {
      let h = x;
      for (const layer of this.layer) h = layer.forward(h, allowed);
      return h;
    });
  }
}

/** Per-call options of `DistilBertModel.forward`. */
export interface DistilBertForwardOptions {
  /** `[batch, seq]`: 1 where a token is attended, 0 at padding (host arrays or a tensor on a backend that reads synchronously). */
  attentionMask?: Tensor | number[][] | null;
}

/** Keys with or without the `distilbert.` prefix; a `position_ids` buffer skipped. Pretraining heads (`vocab_*`) are reported. */
const DISTILBERT_KEY_RULES: KeyRules = { basePrefix: 'distilbert', ignore: [/position_ids$/], initialized: TASK_HEADS };

/**
 * The DistilBERT encoder (`DistilBertModel`): `forward(inputIds, { attentionMask })` →
 * `{ lastHiddenState }` `[batch, seq, dim]`. Checkpoints load with or without the
 * `distilbert.` prefix; the masked-LM head (`vocab_transform`, `vocab_layer_norm`,
 * `vocab_projector`) is reported as unused.
 *
 * @example
 * ```ts
 * const distil = await DistilBertModel.fromPretrained('distilbert/distilbert-base-uncased');
 * const enc = tokenizer.batch(['hello world', 'hi'], { padding: true });
 * const { lastHiddenState } = distil.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class DistilBertModel extends PreTrainedModel {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules = DISTILBERT_KEY_RULES;

  embeddings: Embeddings;
  transformer: Transformer;

  constructor(config: DistilBertConfig) {
    super(config);
    const w = 'DistilBertModel';
    const s = settings(config, w);
    this.embeddings = new Embeddings(config, s, w);
    this.transformer = new Transformer(field<number>(config, 'n_layers', undefined, w), field<number>(config, 'hidden_dim', undefined, w), s);
  }

  forward(inputIds: Tensor, options: DistilBertForwardOptions = {}): { lastHiddenState: Tensor } {
    return tl.tidy(() => {
      const where = 'DistilBertModel.forward';
      if (inputIds.rank !== 2) throw new Error(`${where}: inputIds must be [batch, seq], got ${tl.formatShape(inputIds.shape)}`);
      const [b, t] = inputIds.shape;
      const allowed = keyMaskTensor(options.attentionMask, b, t, inputIds.device, where);
      return { lastHiddenState: this.transformer.forward(this.embeddings.forward(inputIds), allowed) };
    });
  }
}

/**
 * DistilBERT with its classifier (`DistilBertForSequenceClassification`): the first token's
 * hidden state through `pre_classifier`, ReLU, dropout (`seq_classif_dropout`) and
 * `classifier`. `forward(inputIds, { attentionMask, labels })` → `{ logits, loss? }`, the loss
 * as `problem_type` says.
 *
 * @example
 * ```ts
 * const clf = await DistilBertForSequenceClassification.fromPretrained('distilbert/distilbert-base-uncased-finetuned-sst-2-english');
 * const { logits, loss } = clf.forward(ids, { attentionMask, labels: tl.tensor([1, 0], { dtype: 'int32' }) });
 * ```
 */
export class DistilBertForSequenceClassification extends PreTrainedModel {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules = DISTILBERT_KEY_RULES;

  distilbert: DistilBertModel;
  preClassifier: Linear;
  classifier: Linear;
  private readonly dropoutP: number;

  constructor(config: DistilBertConfig) {
    super(config);
    const w = 'DistilBertForSequenceClassification';
    this.distilbert = new DistilBertModel(config);
    const s = settings(config, w);
    this.preClassifier = denseLayer(s.dim, s.dim, s.std);
    this.classifier = denseLayer(s.dim, numLabels(config), s.std);
    this.dropoutP = field<number>(config, 'seq_classif_dropout', 0.2, w);
  }
  protected override stateName(field: string): string {
    return NAMES[field] ?? field;
  }

  forward(inputIds: Tensor, options: DistilBertForwardOptions & { labels?: Tensor | null } = {}): ClassifierOutput {
    return tl.tidy(() => {
      const first = this.distilbert.forward(inputIds, options).lastHiddenState.select(1, 0);
      const logits = this.classifier.forward(F.dropout(this.preClassifier.forward(first).relu(), this.dropoutP, this.training));
      return options.labels ? { logits, loss: classificationLoss(this.config, logits, options.labels) } : { logits };
    });
  }
}

/**
 * DistilBERT with its masked-LM head (`DistilBertForMaskedLM`): `vocab_transform`, the
 * `activation`, `vocab_layer_norm`, and `vocab_projector` (its weight tied to
 * `distilbert.embeddings.word_embeddings`, its own bias). `forward(inputIds, { attentionMask,
 * labels })` → `{ logits [batch, seq, vocab], loss? }`.
 *
 * @example
 * ```ts
 * const mlm = await DistilBertForMaskedLM.fromPretrained('distilbert/distilbert-base-uncased');
 * const { logits } = mlm.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class DistilBertForMaskedLM extends EncoderForMaskedLM<DistilBertForwardOptions> {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules: KeyRules = { ...DISTILBERT_KEY_RULES, ignore: [...DISTILBERT_KEY_RULES.ignore, /^vocab_projector\.weight$/], initialized: [/^vocab_(transform|layer_norm|projector)\./] };

  constructor(config: DistilBertConfig) {
    const where = 'DistilBertForMaskedLM';
    const s = settings(config, where);
    const distilbert = new DistilBertModel(config);
    const names = { dense: 'vocab_transform', layerNorm: 'vocab_layer_norm', decoder: 'vocab_projector', bias: null };
    super(config, distilbert, 'distilbert', distilbert.embeddings.wordEmbeddings, { names, hidden: s.dim, act: s.act, eps: 1e-12, std: s.std }, where);
  }

  /** The encoder (`distilbert.*`). */
  get distilbert(): DistilBertModel {
    return this.base as DistilBertModel;
  }
}

/**
 * DistilBERT with a linear `classifier` on every token (`DistilBertForTokenClassification`,
 * after `dropout`): `forward(inputIds, { attentionMask, labels })` → `{ logits [batch, seq, numLabels], loss? }`.
 */
export class DistilBertForTokenClassification extends EncoderForTokenClassification<DistilBertForwardOptions> {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules = DISTILBERT_KEY_RULES;

  constructor(config: DistilBertConfig) {
    const where = 'DistilBertForTokenClassification';
    const s = settings(config, where);
    super(config, new DistilBertModel(config), 'distilbert', s.dim, s.std, s.dropout, where);
  }

  /** The encoder (`distilbert.*`). */
  get distilbert(): DistilBertModel {
    return this.base as DistilBertModel;
  }
}

/**
 * DistilBERT for extractive question answering (`DistilBertForQuestionAnswering`): `qa_outputs`
 * after dropout `qa_dropout`. `forward(inputIds, { attentionMask, startPositions, endPositions })`
 * → `{ startLogits, endLogits, loss? }`.
 */
export class DistilBertForQuestionAnswering extends EncoderForQuestionAnswering<DistilBertForwardOptions> {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules = DISTILBERT_KEY_RULES;

  constructor(config: DistilBertConfig) {
    const where = 'DistilBertForQuestionAnswering';
    const s = settings(config, where);
    super(config, new DistilBertModel(config), 'distilbert', s.dim, s.std, field<number>(config, 'qa_dropout', 0.1, where), where);
  }

  /** The encoder (`distilbert.*`). */
  get distilbert(): DistilBertModel {
    return this.base as DistilBertModel;
  }
}

/**
 * DistilBERT for multiple choice (`DistilBertForMultipleChoice`): it has no pooler, so each
 * choice's first token goes through `pre_classifier`, ReLU, dropout (`seq_classif_dropout`) and
 * `classifier` (dim → 1), as its sequence classifier does. `forward(inputIds [batch, choices,
 * seq], { attentionMask, labels [batch] })` → `{ logits [batch, choices], loss? }`.
 */
export class DistilBertForMultipleChoice extends EncoderForMultipleChoice<DistilBertForwardOptions> {
  static readonly modelTypes = ['distilbert'] as const;
  static readonly keyRules = DISTILBERT_KEY_RULES;

  preClassifier: Linear;

  constructor(config: DistilBertConfig) {
    const where = 'DistilBertForMultipleChoice';
    const s = settings(config, where);
    super(config, new DistilBertModel(config), 'distilbert', s.dim, s.std, field<number>(config, 'seq_classif_dropout', 0.2, where), where, { preClassifier: 'pre_classifier' });
    this.preClassifier = denseLayer(s.dim, s.dim, s.std);
  }

  /** The first token's hidden state through `pre_classifier` and ReLU (the dropout follows). */
  protected override pool(out: EncoderOutput): Tensor {
    return this.preClassifier.forward(out.lastHiddenState.select(1, 0)).relu();
  }

  /** The encoder (`distilbert.*`). */
  get distilbert(): DistilBertModel {
    return this.base as DistilBertModel;
  }
}
