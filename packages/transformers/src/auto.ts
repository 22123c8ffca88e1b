/**
 * `AutoModelForCausalLM`, `AutoModelForSequenceClassification`, the encoder task heads
 * (`AutoModelForMaskedLM`, `AutoModelForTokenClassification`, `AutoModelForQuestionAnswering`,
 * `AutoModelForMultipleChoice`) and
 * `AutoModelForImageClassification`: the class for a checkpoint's `model_type`, as the hub's
 * Auto classes pick it, then that class's `fromPretrained`.
 */
import { openSource, readJson, type ModelSource } from './hub.js';
import type { FromPretrainedOptions, PretrainedClass, PretrainedConfig, PreTrainedModel } from './modeling.js';
import { BertForMaskedLM, BertForMultipleChoice, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification, BertModel } from './models/bert.js';
import { CLIPModel } from './models/clip.js';
import {
  DistilBertForMaskedLM, DistilBertForMultipleChoice, DistilBertForQuestionAnswering, DistilBertForSequenceClassification, DistilBertForTokenClassification, DistilBertModel,
} from './models/distilbert.js';
import { GPT2LMHeadModel } from './models/gpt2.js';
import { GPTNeoXForCausalLM } from './models/gpt_neox.js';
import { OPTForCausalLM } from './models/opt.js';
import { GemmaForCausalLM, LlamaForCausalLM, Phi3ForCausalLM, Qwen3ForCausalLM } from './models/llama.js';
import { PhiForCausalLM } from './models/phi.js';
import { Gemma2ForCausalLM } from './models/gemma2.js';
import { MixtralForCausalLM } from './models/mixtral.js';
import { Qwen2MoeForCausalLM } from './models/qwen2_moe.js';
import {
  RobertaForMaskedLM, RobertaForMultipleChoice, RobertaForQuestionAnswering, RobertaForSequenceClassification, RobertaForTokenClassification, RobertaModel,
} from './models/roberta.js';
import { ViTForImageClassification } from './models/vit.js';
import { T5ForConditionalGeneration, T5Model } from './models/t5.js';
import { WhisperForConditionalGeneration, WhisperModel } from './models/whisper.js';
import type { CausalLM } from './generation.js';

/** A model class that loads from the hub's layout. */
export type LoadableClass<T extends PreTrainedModel> = PretrainedClass<T> & { fromPretrained(source: string | ModelSource, options?: FromPretrainedOptions): Promise<T> };

/** A task's classes, looked up by the `model_type` of config.json. */
export interface AutoClass<T extends PreTrainedModel> {
  /** The `model_type`s it knows. */
  readonly modelTypes: readonly string[];
  /** The class that reads `modelType`; an error naming the known ones when there is none. */
  classFor(modelType: string): LoadableClass<T>;
  /** Read config.json's `model_type` (after `options.config`), then load with that class. */
  fromPretrained(source: string | ModelSource, options?: FromPretrainedOptions): Promise<T>;
}

function autoClass<T extends PreTrainedModel>(name: string, classes: readonly LoadableClass<T>[]): AutoClass<T> {
  const modelTypes = classes.flatMap((c) => [...c.modelTypes]);
  const classFor = (modelType: string): LoadableClass<T> => {
    const found = classes.find((c) => c.modelTypes.includes(modelType));
    if (!found) throw new Error(`${name}: model_type '${modelType}' is not one it knows (${modelTypes.join(', ')})`);
    return found;
  };
  return {
    modelTypes,
    classFor,
    async fromPretrained(source, options = {}) {
      const src = typeof source === 'string' ? await openSource(source, options) : source;
      const config = { ...(await readJson<PretrainedConfig>(src, 'config.json')), ...(options.config ?? {}) };
      if (typeof config.model_type !== 'string') throw new Error(`${name}.fromPretrained: config.json of ${src.description} has no model_type; load it with the model's own class`);
      return classFor(config.model_type).fromPretrained(src, options);
    },
  };
}

/**
 * The causal LM for a checkpoint: GPT-2, Llama (also Qwen2, Mistral, SmolLM), Gemma, Gemma 2, Phi-3, Qwen3, Mixtral or Phi.
 * Also GPT-NeoX (Pythia) and OPT.
 *
 * @example
 * ```ts
 * const model = await AutoModelForCausalLM.fromPretrained('HuggingFaceTB/SmolLM2-135M', { device: 'wasm' });
 * const out = await model.generate([tokenizer.encode('Once upon a time')], { maxNewTokens: 20 });
 * ```
 */
export const AutoModelForCausalLM = autoClass<CausalLM>('AutoModelForCausalLM', [GPT2LMHeadModel, LlamaForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, Qwen3ForCausalLM, MixtralForCausalLM, Qwen2MoeForCausalLM, PhiForCausalLM, GPTNeoXForCausalLM, OPTForCausalLM]);

/**
 * The sequence classifier for a checkpoint: BERT, RoBERTa (also XLM-RoBERTa, CamemBERT) or DistilBERT.
 *
 * @example
 * ```ts
 * const clf = await AutoModelForSequenceClassification.fromPretrained('./sst2-checkpoint');
 * const { logits } = clf.forward(ids, { attentionMask });
 * ```
 */
export const AutoModelForSequenceClassification = autoClass<BertForSequenceClassification | RobertaForSequenceClassification | DistilBertForSequenceClassification>(
  'AutoModelForSequenceClassification', [BertForSequenceClassification, RobertaForSequenceClassification, DistilBertForSequenceClassification],
);

/**
 * The masked LM for a checkpoint: BERT, RoBERTa (also XLM-RoBERTa, CamemBERT) or DistilBERT.
 *
 * @example
 * ```ts
 * const mlm = await AutoModelForMaskedLM.fromPretrained('google-bert/bert-base-uncased');
 * const { logits } = mlm.forward(enc.inputIds, { attentionMask: enc.attentionMask });
 * ```
 */
export const AutoModelForMaskedLM = autoClass<BertForMaskedLM | RobertaForMaskedLM | DistilBertForMaskedLM>(
  'AutoModelForMaskedLM', [BertForMaskedLM, RobertaForMaskedLM, DistilBertForMaskedLM],
);

/** The token classifier (NER, POS tagging) for a checkpoint: BERT, RoBERTa (also XLM-RoBERTa, CamemBERT) or DistilBERT. */
export const AutoModelForTokenClassification = autoClass<BertForTokenClassification | RobertaForTokenClassification | DistilBertForTokenClassification>(
  'AutoModelForTokenClassification', [BertForTokenClassification, RobertaForTokenClassification, DistilBertForTokenClassification],
);

/** The extractive question-answering model for a checkpoint: BERT, RoBERTa (also XLM-RoBERTa, CamemBERT) or DistilBERT. */
export const AutoModelForQuestionAnswering = autoClass<BertForQuestionAnswering | RobertaForQuestionAnswering | DistilBertForQuestionAnswering>(
  'AutoModelForQuestionAnswering', [BertForQuestionAnswering, RobertaForQuestionAnswering, DistilBertForQuestionAnswering],
);

/** The multiple-choice model for a checkpoint: BERT, RoBERTa (also XLM-RoBERTa, CamemBERT) or DistilBERT. */
export const AutoModelForMultipleChoice = autoClass<BertForMultipleChoice | RobertaForMultipleChoice | DistilBertForMultipleChoice>(
  'AutoModelForMultipleChoice', [BertForMultipleChoice, RobertaForMultipleChoice, DistilBertForMultipleChoice],
);

/**
 * The encoder-decoder (sequence-to-sequence) LM for a checkpoint: T5 (also T5 v1.1, Flan-T5 and
 * mT5's `mt5`).
 *
 * @example
 * ```ts
 * const t5 = await AutoModelForSeq2SeqLM.fromPretrained('google/flan-t5-small', { device: 'wasm' });
 * const out = await t5.generate([tokenizer.encode('translate English to German: Hello')], { maxNewTokens: 20 });
 * ```
 */
export const AutoModelForSeq2SeqLM = autoClass<T5ForConditionalGeneration>('AutoModelForSeq2SeqLM', [T5ForConditionalGeneration]);

/**
 * The speech-to-text encoder-decoder for a checkpoint, as the hub's `AutoModelForSpeechSeq2Seq`:
 * Whisper (the hub keeps it out of `AutoModelForSeq2SeqLM`, and so does this).
 *
 * @example
 * ```ts
 * const whisper = await AutoModelForSpeechSeq2Seq.fromPretrained('openai/whisper-tiny', { device: 'wasm' });
 * ```
 */
export const AutoModelForSpeechSeq2Seq = autoClass<WhisperForConditionalGeneration>('AutoModelForSpeechSeq2Seq', [WhisperForConditionalGeneration]);

/** The image classifier for a checkpoint: ViT. */
export const AutoModelForImageClassification = autoClass<ViTForImageClassification>('AutoModelForImageClassification', [ViTForImageClassification]);

/**
 * The base model for a checkpoint, as the hub's `AutoModel`: BERT, RoBERTa (also XLM-RoBERTa,
 * CamemBERT), DistilBERT, CLIP (the encoders' hidden states; CLIP's paired embeddings), T5
 * (`T5Model`, as the hub's: the decoder's hidden states; `T5EncoderModel` loads the encoder alone)
 * or Whisper (`WhisperModel`).
 *
 * @example
 * ```ts
 * const encoder = await AutoModel.fromPretrained('sentence-transformers/all-MiniLM-L6-v2');
 * ```
 */
export const AutoModel = autoClass<BertModel | RobertaModel | DistilBertModel | CLIPModel | T5Model | WhisperModel>('AutoModel', [BertModel, RobertaModel, DistilBertModel, CLIPModel, T5Model, WhisperModel]);

/** The zero-shot image classifier for a checkpoint, as the hub's: CLIP. */
export const AutoModelForZeroShotImageClassification = autoClass<CLIPModel>('AutoModelForZeroShotImageClassification', [CLIPModel]);
