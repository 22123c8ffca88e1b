/**
 * RoBERTa (`RobertaModel`, `RobertaForSequenceClassification`, `RobertaForMaskedLM`,
 * `RobertaForTokenClassification`, `RobertaForQuestionAnswering`, `RobertaForMultipleChoice`), also XLM-RoBERTa and
 * CamemBERT, which share the architecture: BERT's encoder and key names (see bert.ts) under
 * the `roberta.` prefix, with position ids made from the input ids (padding keeps
 * `pad_token_id`, the other tokens count on from it) and a position table with that padding
 * row. The classifier has no pooler; its head is `classifier.{dense, out_proj}`.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Linear, Module, functional as F } from '@tensile/nn';
import { denseLayer } from '../layers.js';
import { PreTrainedModel, numLabels, type ModelOptions } from '../modeling.js';
import { TASK_HEADS, type KeyRules } from '../weights.js';
import {
  BertEncoderModel, classificationLoss, encoderSettings, type BertConfig, type BertForwardOptions, type ClassifierOutput, type EncoderSettings,
} from './bert.js';
import { EncoderForMaskedLM, EncoderForMultipleChoice, EncoderForQuestionAnswering, EncoderForTokenClassification } from './encoder-heads.js';

/** The fields of a RoBERTa config.json this implementation reads (BERT's; `pad_token_id` defaults to 1). */
export type RobertaConfig = BertConfig;

const MODEL_TYPES = ['roberta', 'xlm-roberta', 'camembert'] as const;

/**
 * Keys with or without the `roberta.` prefix; the `position_ids` and `token_type_ids` buffers
 * skipped quietly, and so is a base checkpoint's pooler, which the classifier does not have
 * (still listed in `loadReport.unexpectedKeys`). Pretraining heads (`lm_head.*`) are reported.
 */
const ROBERTA_KEY_RULES: KeyRules = {
  basePrefix: 'roberta',
  ignore: [/position_ids$/, /embeddings\.token_type_ids$/],
  initialized: TASK_HEADS,
};

/**
 * The RoBERTa encoder (`RobertaModel`): `forward(inputIds, { attentionMask, tokenTypeIds })` →
 * `{ lastHiddenState, poolerOutput }`. Position ids come from `inputIds` (so padding must use
 * `pad_token_id`, as RoBERTa's tokenizers pad); `model_type` roberta, xlm-roberta or camembert.
 *
 * @example
 * ```ts
 * const roberta = await RobertaModel.fromPretrained('FacebookAI/roberta-base');
 * const enc = tokenizer.batch(['hello world', 'hi'], { padding: true });
 * const { lastHiddenState } = roberta.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class RobertaModel extends BertEncoderModel {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules = ROBERTA_KEY_RULES;
  static readonly modelOptions = ['addPoolingLayer'] as const;

  constructor(config: RobertaConfig, options: ModelOptions = {}) {
    super(config, 'RobertaModel', 'from-input-ids', options.addPoolingLayer !== false);
  }
}

/** `classifier`: dropout, `dense`, tanh, dropout, `out_proj`, on the first token's hidden state. */
class RobertaClassificationHead extends Module {
  dense: Linear;
  outProj: Linear;
  constructor(s: EncoderSettings, labels: number, private readonly dropoutP: number) {
    super();
    this.dense = denseLayer(s.hidden, s.hidden, s.std);
    this.outProj = denseLayer(s.hidden, labels, s.std);
  }
  protected override stateName(field: string): string {
    return field === 'outProj' ? 'out_proj' : field;
  }
  forward(hidden: Tensor): Tensor {
    return tl.tidy(() => {
      const x = this.dense.forward(F.dropout(hidden.select(1, 0), this.dropoutP, this.training)).tanh();
      return this.outProj.forward(F.dropout(x, this.dropoutP, this.training));
    });
  }
}

/**
 * RoBERTa with its classification head (`RobertaForSequenceClassification`, no pooler):
 * `forward(inputIds, { attentionMask, tokenTypeIds, labels })` → `{ logits, loss? }`, the loss
 * as `problem_type` says (as BERT's classifier).
 *
 * @example
 * ```ts
 * const clf = await RobertaForSequenceClassification.fromPretrained('./roberta-sst2');
 * const { logits, loss } = clf.forward(ids, { attentionMask, labels: tl.tensor([1, 0], { dtype: 'int32' }) });
 * ```
 */
export class RobertaForSequenceClassification extends PreTrainedModel {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules: KeyRules = { ...ROBERTA_KEY_RULES, ignore: [...ROBERTA_KEY_RULES.ignore, /^(roberta\.)?pooler\./] };

  roberta: RobertaModel;
  classifier: RobertaClassificationHead;

  constructor(config: RobertaConfig) {
    super(config);
    this.roberta = new RobertaModel(config, { addPoolingLayer: false });
    const s = encoderSettings(config, 'RobertaForSequenceClassification', 1e-12);
    const dropout = (config.classifier_dropout ?? null) === null ? s.hiddenDropout : (config.classifier_dropout as number);
    this.classifier = new RobertaClassificationHead(s, numLabels(config), dropout);
  }

  forward(inputIds: Tensor, options: BertForwardOptions & { labels?: Tensor | null } = {}): ClassifierOutput {
    return tl.tidy(() => {
      const logits = this.classifier.forward(this.roberta.forward(inputIds, options).lastHiddenState);
      return options.labels ? { logits, loss: classificationLoss(this.config, logits, options.labels) } : { logits };
    });
  }
}

/** The task heads' keys: RoBERTa's, with a base checkpoint's pooler skipped quietly (these heads have none). */
const ROBERTA_HEAD_KEY_RULES: KeyRules = { ...ROBERTA_KEY_RULES, ignore: [...ROBERTA_KEY_RULES.ignore, /^(roberta\.)?pooler\./] };

function headSettings(config: RobertaConfig, where: string): { s: EncoderSettings; dropout: number } {
  const s = encoderSettings(config, where, 1e-12);
  return { s, dropout: (config.classifier_dropout ?? null) === null ? s.hiddenDropout : (config.classifier_dropout as number) };
}

/**
 * RoBERTa with its masked-LM head (`RobertaForMaskedLM`): `lm_head.dense`, gelu (whatever
 * `hidden_act` says, as the hub's), `lm_head.layer_norm`, the decoder tied to
 * `roberta.embeddings.word_embeddings`, and `lm_head.bias` (also read as `lm_head.decoder.bias`).
 * `forward(inputIds, { attentionMask, labels })` → `{ logits [batch, seq, vocab], loss? }`.
 *
 * @example
 * ```ts
 * const mlm = await RobertaForMaskedLM.fromPretrained('FacebookAI/roberta-base');
 * const { logits } = mlm.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export class RobertaForMaskedLM extends EncoderForMaskedLM<BertForwardOptions> {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules: KeyRules = {
    ...ROBERTA_HEAD_KEY_RULES,
    ignore: [...ROBERTA_HEAD_KEY_RULES.ignore, /^lm_head\.decoder\.(weight|bias)$/],
    aliases: [[/^lm_head\.decoder\.bias$/, 'lm_head.bias']],
    initialized: [/^lm_head\./],
  };

  constructor(config: RobertaConfig) {
    const where = 'RobertaForMaskedLM';
    const { s } = headSettings(config, where);
    const roberta = new RobertaModel(config, { addPoolingLayer: false });
    const names = { dense: 'lm_head.dense', layerNorm: 'lm_head.layer_norm', decoder: 'lm_head.decoder', bias: 'lm_head.bias' };
    super(config, roberta, 'roberta', roberta.embeddings.wordEmbeddings, { names, hidden: s.hidden, act: (x) => tl.gelu(x), eps: s.eps, std: s.std }, where);
  }

  /** The encoder (`roberta.*`). */
  get roberta(): RobertaModel {
    return this.base as RobertaModel;
  }
}

/**
 * RoBERTa with a linear `classifier` on every token (`RobertaForTokenClassification`):
 * `forward(inputIds, { attentionMask, labels })` → `{ logits [batch, seq, numLabels], loss? }`.
 */
export class RobertaForTokenClassification extends EncoderForTokenClassification<BertForwardOptions> {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules = ROBERTA_HEAD_KEY_RULES;

  constructor(config: RobertaConfig) {
    const where = 'RobertaForTokenClassification';
    const { s, dropout } = headSettings(config, where);
    super(config, new RobertaModel(config, { addPoolingLayer: false }), 'roberta', s.hidden, s.std, dropout, where);
  }

  /** The encoder (`roberta.*`). */
  get roberta(): RobertaModel {
    return this.base as RobertaModel;
  }
}

/**
 * RoBERTa for extractive question answering (`RobertaForQuestionAnswering`, `qa_outputs`):
 * `forward(inputIds, { attentionMask, startPositions, endPositions })` → `{ startLogits, endLogits, loss? }`.
 */
export class RobertaForQuestionAnswering extends EncoderForQuestionAnswering<BertForwardOptions> {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules = ROBERTA_HEAD_KEY_RULES;

  constructor(config: RobertaConfig) {
    const where = 'RobertaForQuestionAnswering';
    const { s } = headSettings(config, where);
    super(config, new RobertaModel(config, { addPoolingLayer: false }), 'roberta', s.hidden, s.std, 0, where);
  }

  /** The encoder (`roberta.*`). */
  get roberta(): RobertaModel {
    return this.base as RobertaModel;
  }
}

/**
 * RoBERTa for multiple choice (`RobertaForMultipleChoice`, SWAG and the like): unlike the other
 * heads it keeps the pooler (`roberta.pooler.dense`, tanh on the first token), whose output goes
 * through dropout (`hidden_dropout_prob`, not `classifier_dropout`, as the hub's) and `classifier`
 * (hidden → 1). Position ids come from each choice's ids (padding must be `pad_token_id`).
 * `forward(inputIds [batch, choices, seq], { attentionMask, tokenTypeIds, labels [batch] })` →
 * `{ logits [batch, choices], loss? }`.
 *
 * @example
 * ```ts
 * const mc = await RobertaForMultipleChoice.fromPretrained('./roberta-swag');
 * const { logits } = mc.forward(choiceIds, { attentionMask: choiceMask });
 * ```
 */
export class RobertaForMultipleChoice extends EncoderForMultipleChoice<BertForwardOptions> {
  static readonly modelTypes = MODEL_TYPES;
  static readonly keyRules = ROBERTA_KEY_RULES;

  constructor(config: RobertaConfig) {
    const where = 'RobertaForMultipleChoice';
    const s = encoderSettings(config, where, 1e-12);
    super(config, new RobertaModel(config), 'roberta', s.hidden, s.std, s.hiddenDropout, where);
  }

  /** The encoder (`roberta.*`, with its pooler). */
  get roberta(): RobertaModel {
    return this.base as RobertaModel;
  }
}
