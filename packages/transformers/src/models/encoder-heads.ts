/**
 * The task heads the encoders (BERT, RoBERTa, DistilBERT) are fine-tuned with, written once and
 * given each family's key names: masked language modelling (a dense + activation + LayerNorm
 * transform, then a decoder tied to the word embeddings with its own bias), token classification
 * (`classifier` on every token), extractive question answering (`qa_outputs`: start and end logits)
 * and multiple choice (`classifier` on each choice's pooled output, or for DistilBERT on its first
 * token after `pre_classifier` and ReLU). The losses are the hub's.
 *
 * A family's class (`BertForMaskedLM`, `RobertaForQuestionAnswering`, ...) extends one of the
 * generic classes here with its base model, the names of its head's parts and its config's
 * fields; see bert.ts, roberta.ts and distilbert.ts.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Embedding, LayerNorm, Linear, Module, Parameter, functional as F, init } from '@tensile/nn';
import { denseLayer } from '../layers.js';
import { PreTrainedModel, numLabels, type PretrainedConfig } from '../modeling.js';

/** What a base encoder's `forward` gives the heads. */
export interface EncoderOutput {
  /** `[batch, seq, hidden]`. */
  lastHiddenState: Tensor;
  /** `[batch, hidden]` where the base has a pooler. */
  poolerOutput?: Tensor;
}

/** A base encoder (`BertModel`, `RobertaModel`, `DistilBertModel`) as the heads use it. */
export interface Encoder<O> extends Module {
  forward(inputIds: Tensor, options?: O): EncoderOutput;
}

/** What a masked LM's `forward` returns. */
export interface MaskedLMOutput {
  /** `[batch, seq, vocab]`. */
  logits: Tensor;
  /** With labels: cross-entropy over the positions whose label is not -100. */
  loss?: Tensor;
}

/** What a token classifier's `forward` returns. */
export interface TokenClassifierOutput {
  /** `[batch, seq, numLabels]`. */
  logits: Tensor;
  /** With labels: cross-entropy over the tokens whose label is not -100. */
  loss?: Tensor;
}

/** What a question-answering model's `forward` returns. */
export interface QuestionAnsweringOutput {
  /** `[batch, seq]`: the score of each token as the answer's first. */
  startLogits: Tensor;
  /** `[batch, seq]`: the score of each token as the answer's last. */
  endLogits: Tensor;
  /** With `startPositions` and `endPositions`: the mean of the two cross-entropies. */
  loss?: Tensor;
}

/** What a multiple-choice model's `forward` returns. */
export interface MultipleChoiceOutput {
  /** `[batch, numChoices]`. */
  logits: Tensor;
  /** With labels `[batch]` (the right choice, or -100 to leave a question out): cross-entropy. */
  loss?: Tensor;
}

/** Labels of a masked LM or token classifier: `[batch, seq]` int32, class indices or -100. */
export interface TokenLabelsOption {
  labels?: Tensor | null;
}

/**
 * Answer spans of a question-answering model: `[batch]` int32 token indices, clamped to [0, seq] as
 * the hub's: those at or past the sequence length are ignored, negative ones count as token 0.
 */
export interface SpanOptions {
  startPositions?: Tensor | null;
  endPositions?: Tensor | null;
}

/** Values of an int32 tensor when its backend reads synchronously (cpu, wasm), else null. */
function valuesIfSync(t: Tensor): ArrayLike<number> | null {
  return t.backend.readSync && t.size > 0 ? (t.dataSync() as ArrayLike<number>) : null;
}

/** Check integer targets: int32, the expected shape; values (where readable at once) in [0, classes) or `ignore`. */
function checkTargets(where: string, what: string, t: Tensor, shape: readonly number[], classes: number, ignore: number | null, checkValues = true): void {
  if (!(t instanceof tl.Tensor)) throw new TypeError(`${where}: ${what} must be an int32 tensor, got ${typeof t}`);
  if (t.dtype !== 'int32') throw new TypeError(`${where}: ${what} must be int32 (class indices), got ${t.dtype} ${tl.formatShape(t.shape)}`);
  if (!tl.shapesEqual(t.shape, shape)) throw new Error(`${where}: ${what} is ${tl.formatShape(t.shape)}, expected ${tl.formatShape(shape)}`);
  const values = checkValues ? valuesIfSync(t) : null;
  if (!values) return;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === ignore) continue;
    if (ignore === null ? v < 0 : v < 0 || v >= classes) {
      const range = ignore === null ? '>= 0' : `in [0, ${classes}) or ${ignore}`;
      throw new RangeError(`${where}: ${what} holds ${v} at index ${i}; it must be ${range}`);
    }
  }
}

/**
 * The hub's loss for per-token targets (masked LM, token classification): cross-entropy of
 * `logits` `[batch, seq, classes]` against `labels` `[batch, seq]`, -100 ignored, in float32.
 */
export function tokenClassificationLoss(logits: Tensor, labels: Tensor, where = 'tokenClassificationLoss'): Tensor {
  const [b, t, n] = logits.shape;
  checkTargets(where, 'labels', labels, [b, t], n, -100);
  return tl.tidy(() => {
    const flat = logits.reshape([b * t, n]);
    return F.crossEntropy(flat.dtype === 'float32' ? flat : flat.float(), labels.reshape([b * t]), { ignoreIndex: -100 });
  });
}

/**
 * The hub's span loss: start and end positions `[batch]` (or `[batch, 1]`) clamped to [0, seq]
 * (`clamp(0, ignored_index)`), the sequence length then ignored (answers truncated away), and the
 * mean of the start and end cross-entropies. So a negative position is token 0, on every backend:
 * the values are never read on the host, as webgpu cannot read them at once.
 */
export function questionAnsweringLoss(startLogits: Tensor, endLogits: Tensor, startPositions: Tensor, endPositions: Tensor, where = 'questionAnsweringLoss'): Tensor {
  const [b, t] = startLogits.shape;
  const squeeze = (p: Tensor): Tensor => (p.rank === 2 && p.shape[1] === 1 ? p.reshape([p.shape[0]]) : p);
  const [start, end] = [squeeze(startPositions), squeeze(endPositions)];
  // Dtype and shape only: any value is valid once clamped.
  checkTargets(where, 'startPositions', start, [b], t, null, false);
  checkTargets(where, 'endPositions', end, [b], t, null, false);
  return tl.tidy(() => {
    const ce = (logits: Tensor, positions: Tensor) =>
      F.crossEntropy(logits.dtype === 'float32' ? logits : logits.float(), positions.clamp(0, t), { ignoreIndex: t });
    return ce(startLogits, start).add(ce(endLogits, end)).div(2);
  });
}

/** The shared part of every head model: the base encoder under its hub prefix, checked inputs. */
export abstract class EncoderHeadModel<O> extends PreTrainedModel {
  /** The base encoder; its keys sit under `basePrefix` (`bert`, `roberta`, `distilbert`). */
  base: Encoder<O>;

  protected constructor(config: PretrainedConfig, base: Encoder<O>, private readonly basePrefix: string, private readonly names: Readonly<Record<string, string>>, protected readonly where: string) {
    super(config);
    this.base = base;
  }

  protected override stateName(field: string): string {
    return field === 'base' ? this.basePrefix : this.names[field] ?? field;
  }

  /** The base's last hidden state (and pooled output) for `inputIds` `[batch, seq]`. */
  protected encode(inputIds: Tensor, options: O): EncoderOutput {
    const where = `${this.where}.forward`;
    if (!(inputIds instanceof tl.Tensor) || inputIds.rank !== 2) {
      throw new Error(`${where}: inputIds must be an int32 tensor [batch, seq], got ${inputIds instanceof tl.Tensor ? tl.formatShape(inputIds.shape) : typeof inputIds}`);
    }
    return this.base.forward(inputIds, options);
  }
}

/**
 * A decoder to the vocabulary whose weight is the word embedding's (`tie_word_embeddings`, the
 * default) or its own, and whose bias may be shared with the head (BERT's and RoBERTa's
 * `decoder.bias` is the head's `bias`).
 */
export class TiedDecoder extends Module {
  weight: Parameter;
  bias: Parameter;
  constructor(weight: Parameter, bias: Parameter) {
    super();
    this.weight = weight;
    this.bias = bias;
  }
  forward(x: Tensor): Tensor {
    return tl.tidy(() => x.matmul(this.weight.t()).add(this.bias));
  }
}

/** Names of a masked-LM head's parts in a family's checkpoints (dotted where the hub nests them). */
export interface MaskedLMNames {
  dense: string;
  layerNorm: string;
  decoder: string;
  /** The head's bias beside the decoder (BERT's `cls.predictions.bias`), or null where only the decoder has it (DistilBERT's `vocab_projector.bias`). */
  bias: string | null;
}

/** How a family's masked-LM head is made. */
export interface MaskedLMSpec {
  names: MaskedLMNames;
  hidden: number;
  act: (x: Tensor) => Tensor;
  eps: number;
  std: number;
}

/**
 * A masked LM: `dense`, the activation, `LayerNorm`, then the decoder tied to the word
 * embeddings (unless `tie_word_embeddings` is false) plus the bias. `forward(inputIds, {
 * ...the base's options, labels })` → `{ logits [batch, seq, vocab], loss? }`.
 */
export abstract class EncoderForMaskedLM<O> extends EncoderHeadModel<O> {
  dense: Linear;
  layerNorm: LayerNorm;
  decoder: TiedDecoder;
  bias: Parameter | null;
  private readonly act: (x: Tensor) => Tensor;
  private readonly tiedNames: string[];

  protected constructor(config: PretrainedConfig, base: Encoder<O>, basePrefix: string, embeddings: Embedding, spec: MaskedLMSpec, where: string) {
    const { names } = spec;
    super(config, base, basePrefix, { dense: names.dense, layerNorm: names.layerNorm, decoder: names.decoder, ...(names.bias ? { bias: names.bias } : {}) }, where);
    const tie = (config.tie_word_embeddings ?? true) !== false;
    const vocab = embeddings.numEmbeddings;
    this.act = spec.act;
    this.dense = denseLayer(spec.hidden, spec.hidden, spec.std);
    this.layerNorm = new LayerNorm(spec.hidden, { eps: spec.eps });
    const weight = tie ? embeddings.weight : new Parameter(tl.zeros([vocab, spec.hidden], { dtype: init.parameterDType() }));
    if (!tie) init.normal_(weight, 0, spec.std);
    const bias = new Parameter(tl.zeros([vocab], { dtype: init.parameterDType() }));
    this.bias = names.bias ? bias : null;
    this.decoder = new TiedDecoder(weight, bias);
    this.tiedNames = [...(tie ? [`${names.decoder}.weight`] : []), ...(names.bias ? [`${names.decoder}.bias`] : [])];
  }

  /** The decoder's weight (the word embedding's, when tied) and, beside a head bias, its bias: left out of saved files, as the hub's. */
  override tiedKeys(): string[] {
    return [...this.tiedNames];
  }

  forward(inputIds: Tensor, options: O & TokenLabelsOption = {} as O & TokenLabelsOption): MaskedLMOutput {
    return tl.tidy(() => {
      const { lastHiddenState } = this.encode(inputIds, options);
      const logits = this.decoder.forward(this.layerNorm.forward(this.act(this.dense.forward(lastHiddenState))));
      return options.labels ? { logits, loss: tokenClassificationLoss(logits, options.labels, `${this.where}.forward`) } : { logits };
    });
  }
}

/**
 * A token classifier: dropout and `classifier` on every token's hidden state. `forward(inputIds,
 * { ...the base's options, labels })` → `{ logits [batch, seq, numLabels], loss? }`.
 */
export abstract class EncoderForTokenClassification<O> extends EncoderHeadModel<O> {
  classifier: Linear;
  private readonly dropoutP: number;

  protected constructor(config: PretrainedConfig, base: Encoder<O>, basePrefix: string, hidden: number, std: number, dropout: number, where: string) {
    super(config, base, basePrefix, {}, where);
    this.classifier = denseLayer(hidden, numLabels(config), std);
    this.dropoutP = dropout;
  }

  forward(inputIds: Tensor, options: O & TokenLabelsOption = {} as O & TokenLabelsOption): TokenClassifierOutput {
    return tl.tidy(() => {
      const { lastHiddenState } = this.encode(inputIds, options);
      const logits = this.classifier.forward(F.dropout(lastHiddenState, this.dropoutP, this.training));
      return options.labels ? { logits, loss: tokenClassificationLoss(logits, options.labels, `${this.where}.forward`) } : { logits };
    });
  }
}

/**
 * Extractive question answering: `qa_outputs` (hidden → num_labels, 2) on every token, split into
 * start and end logits. `forward(inputIds, { ...the base's options, startPositions, endPositions })`
 * → `{ startLogits, endLogits, loss? }`.
 */
export abstract class EncoderForQuestionAnswering<O> extends EncoderHeadModel<O> {
  qaOutputs: Linear;
  private readonly dropoutP: number;

  protected constructor(config: PretrainedConfig, base: Encoder<O>, basePrefix: string, hidden: number, std: number, dropout: number, where: string) {
    super(config, base, basePrefix, { qaOutputs: 'qa_outputs' }, where);
    const n = numLabels(config);
    if (n !== 2) throw new Error(`${where}: num_labels must be 2 (start and end), got ${n}`);
    this.qaOutputs = denseLayer(hidden, n, std);
    this.dropoutP = dropout;
  }

  forward(inputIds: Tensor, options: O & SpanOptions = {} as O & SpanOptions): QuestionAnsweringOutput {
    const where = `${this.where}.forward`;
    const { startPositions, endPositions } = options;
    if (!startPositions !== !endPositions) throw new Error(`${where}: give startPositions and endPositions together (got only ${startPositions ? 'startPositions' : 'endPositions'})`);
    return tl.tidy(() => {
      const { lastHiddenState } = this.encode(inputIds, options);
      const logits = this.qaOutputs.forward(F.dropout(lastHiddenState, this.dropoutP, this.training));
      const startLogits = logits.select(2, 0).contiguous();
      const endLogits = logits.select(2, 1).contiguous();
      if (!startPositions || !endPositions) return { startLogits, endLogits };
      return { startLogits, endLogits, loss: questionAnsweringLoss(startLogits, endLogits, startPositions, endPositions, where) };
    });
  }
}

/** The per-choice inputs of a multiple-choice model: every `[batch, choices, seq]` tensor flattened to `[batch * choices, seq]`. */
export type ChoiceOptions<O> = { [K in keyof O]?: O[K] | Tensor | number[][][] | null } & { labels?: Tensor | null };

/**
 * Multiple choice: each choice's summary (`pool`: the pooled output for BERT and RoBERTa) through
 * dropout and `classifier` (hidden → 1). `forward(inputIds [batch, choices, seq], { attentionMask,
 * tokenTypeIds, labels [batch] })` → `{ logits [batch, choices], loss? }`.
 */
export abstract class EncoderForMultipleChoice<O> extends EncoderHeadModel<O> {
  classifier: Linear;
  private readonly dropoutP: number;

  protected constructor(config: PretrainedConfig, base: Encoder<O>, basePrefix: string, hidden: number, std: number, dropout: number, where: string, names: Readonly<Record<string, string>> = {}) {
    super(config, base, basePrefix, names, where);
    this.classifier = denseLayer(hidden, 1, std);
    this.dropoutP = dropout;
  }

  /** Each choice's `[batch * choices, hidden]` summary before the dropout: the base's pooled output. */
  protected pool(out: EncoderOutput, where: string): Tensor {
    if (!out.poolerOutput) throw new Error(`${where}: the base model has no pooler`);
    return out.poolerOutput;
  }

  forward(inputIds: Tensor, options: ChoiceOptions<O> = {}): MultipleChoiceOutput {
    const where = `${this.where}.forward`;
    if (!(inputIds instanceof tl.Tensor) || inputIds.rank !== 3) {
      throw new Error(`${where}: inputIds must be an int32 tensor [batch, choices, seq], got ${inputIds instanceof tl.Tensor ? tl.formatShape(inputIds.shape) : typeof inputIds}`);
    }
    const [b, c, t] = inputIds.shape;
    const { labels, ...rest } = options;
    const flat: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (value === null || value === undefined) continue;
      if (value instanceof tl.Tensor) {
        if (!tl.shapesEqual(value.shape, [b, c, t])) throw new Error(`${where}: ${key} is ${tl.formatShape(value.shape)}, expected [${b}, ${c}, ${t}] as inputIds`);
        flat[key] = value.reshape([b * c, t]);
      } else if (Array.isArray(value)) {
        if (value.length !== b || value.some((r) => !Array.isArray(r) || r.length !== c)) throw new Error(`${where}: ${key} must be [${b}, ${c}, ${t}] as inputIds`);
        flat[key] = (value as number[][][]).flat();
      } else {
        flat[key] = value;
      }
    }
    // The hub's CrossEntropyLoss: -100 ignored, any other label must name a choice.
    if (labels) checkTargets(where, 'labels', labels, [b], c, -100);
    return tl.tidy(() => {
      const pooled = this.pool(this.base.forward(inputIds.reshape([b * c, t]), flat as O), where);
      const logits = this.classifier.forward(F.dropout(pooled, this.dropoutP, this.training)).reshape([b, c]);
      if (!labels) return { logits };
      return { logits, loss: F.crossEntropy(logits.dtype === 'float32' ? logits : logits.float(), labels) };
    });
  }
}
