/**
 * `AutoModelForCausalLM`, `AutoModelForSequenceClassification` and
 * `AutoModelForImageClassification`: the class for a checkpoint's `model_type`, as the hub's
 * Auto classes pick it, then that class's `fromPretrained`.
 */
import { openSource, readJson, type ModelSource } from './hub.js';
import type { FromPretrainedOptions, PretrainedClass, PretrainedConfig, PreTrainedModel } from './modeling.js';
import { BertForSequenceClassification, BertModel } from './models/bert.js';
import { CLIPModel } from './models/clip.js';
import { DistilBertForSequenceClassification, DistilBertModel } from './models/distilbert.js';
import { GPT2LMHeadModel } from './models/gpt2.js';
import { GPTNeoXForCausalLM } from './models/gpt_neox.js';
import { OPTForCausalLM } from './models/opt.js';
import { GemmaForCausalLM, LlamaForCausalLM, Phi3ForCausalLM, Qwen3ForCausalLM } from './models/llama.js';
import { PhiForCausalLM } from './models/phi.js';
import { RobertaForSequenceClassification, RobertaModel } from './models/roberta.js';
import { ViTForImageClassification } from './models/vit.js';
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
 * The causal LM for a checkpoint: GPT-2, Llama (also Qwen2, Mistral, SmolLM), Gemma, Phi-3, Qwen3 or Phi.
 * Also GPT-NeoX (Pythia) and OPT.
 *
 * @example
 * ```ts
 * const model = await AutoModelForCausalLM.fromPretrained('HuggingFaceTB/SmolLM2-135M', { device: 'wasm' });
 * const out = await model.generate([tokenizer.encode('Once upon a time')], { maxNewTokens: 20 });
 * ```
 */
export const AutoModelForCausalLM = autoClass<CausalLM>('AutoModelForCausalLM', [GPT2LMHeadModel, LlamaForCausalLM, GemmaForCausalLM, Phi3ForCausalLM, Qwen3ForCausalLM, PhiForCausalLM, GPTNeoXForCausalLM, OPTForCausalLM]);

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

/** The image classifier for a checkpoint: ViT. */
export const AutoModelForImageClassification = autoClass<ViTForImageClassification>('AutoModelForImageClassification', [ViTForImageClassification]);

/**
 * The base model for a checkpoint, as the hub's `AutoModel`: BERT, RoBERTa (also XLM-RoBERTa,
 * CamemBERT), DistilBERT or CLIP (the encoders' hidden states; CLIP's paired embeddings).
 *
 * @example
 * ```ts
 * const encoder = await AutoModel.fromPretrained('sentence-transformers/all-MiniLM-L6-v2');
 * ```
 */
export const AutoModel = autoClass<BertModel | RobertaModel | DistilBertModel | CLIPModel>('AutoModel', [BertModel, RobertaModel, DistilBertModel, CLIPModel]);

/** The zero-shot image classifier for a checkpoint, as the hub's: CLIP. */
export const AutoModelForZeroShotImageClassification = autoClass<CLIPModel>('AutoModelForZeroShotImageClassification', [CLIPModel]);
