/**
 * @tensile/transformers: Hugging Face checkpoints on any Tensile backend. Models load from
 * the hub's layout key for key (`fromPretrained`), tokenizers come from `tokenizer.json`
 * (`AutoTokenizer`), causal LMs generate with a preallocated key/value cache, and every
 * model trains with `@tensile/optim` and saves checkpoints the hub's PyTorch code loads.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-wasm';
 * import { AutoTokenizer, GPT2LMHeadModel, textStreamer } from '@tensile/transformers';
 *
 * const tokenizer = await AutoTokenizer.fromPretrained('openai-community/gpt2');
 * const model = await GPT2LMHeadModel.fromPretrained('openai-community/gpt2', { device: 'wasm' });
 * const ids = [tokenizer.encode('The meaning of life is')];
 * await model.generate(ids, { maxNewTokens: 30, onToken: textStreamer(tokenizer, (s) => process.stdout.write(s)) });
 * ```
 */
export { AutoTokenizer, PreTrainedTokenizer, textStreamer, type BatchEncoding, type BatchOptions, type ChatMessage, type EncodeOptions } from './tokenizer.js';
export { AutoImageProcessor, ImageProcessor, Resample, resizeImage, type ImageProcessorConfig, type PreprocessOptions, type RawImage, type SizeSpec } from './image-processing.js';
export { PreTrainedModel, type FromPretrainedOptions, type GenerationConfig, type PretrainedClass, type PretrainedConfig } from './modeling.js';
export { CausalLM, causalLMLoss, processRow, type CausalLMForwardOptions, type CausalLMOutput, type GenerateOptions } from './generation.js';
export { KVCache, RMSNorm, GemmaRMSNorm, Conv1D, attend, applyRotary, softcapped, ropeInverseFrequencies, type RopeScaling, type VisionOptions } from './layers.js';
export { GPT2LMHeadModel, GPT2Model, TiedHead, type GPT2Config } from './models/gpt2.js';
export { GPTNeoXForCausalLM, GPTNeoXModel, type GPTNeoXConfig } from './models/gpt_neox.js';
export { OPTForCausalLM, OPTModel, OPTDecoder, type OPTConfig } from './models/opt.js';
export { GemmaForCausalLM, LlamaForCausalLM, LlamaModel, Phi3ForCausalLM, Qwen3ForCausalLM, type LlamaConfig } from './models/llama.js';
export { PhiForCausalLM, PhiModel, type PhiConfig } from './models/phi.js';
export { Gemma2ForCausalLM } from './models/gemma2.js';
export { MixtralForCausalLM, MixtralSparseMoeBlock, loadBalancingLoss, routeToExperts, type MoECausalLMOutput, type MoEForwardOptions } from './models/mixtral.js';
export { Qwen2MoeForCausalLM, Qwen2MoeSparseMoeBlock } from './models/qwen2_moe.js';
export {
  BertModel, BertForSequenceClassification, BertForMaskedLM, BertForTokenClassification, BertForQuestionAnswering, BertForMultipleChoice, classificationLoss, type BertConfig, type BertForwardOptions, type BertOutputs, type ClassifierOutput,
} from './models/bert.js';
export {
  RobertaModel, RobertaForSequenceClassification, RobertaForMaskedLM, RobertaForTokenClassification, RobertaForQuestionAnswering, RobertaForMultipleChoice, type RobertaConfig,
} from './models/roberta.js';
export {
  DistilBertModel, DistilBertForSequenceClassification, DistilBertForMaskedLM, DistilBertForTokenClassification, DistilBertForQuestionAnswering, DistilBertForMultipleChoice, type DistilBertConfig, type DistilBertForwardOptions,
} from './models/distilbert.js';
export {
  EncoderForMaskedLM, EncoderForMultipleChoice, EncoderForQuestionAnswering, EncoderForTokenClassification, EncoderHeadModel, TiedDecoder,
  questionAnsweringLoss, tokenClassificationLoss,
  type ChoiceOptions, type Encoder, type EncoderOutput, type MaskedLMNames, type MaskedLMOutput, type MaskedLMSpec, type MultipleChoiceOutput,
  type QuestionAnsweringOutput, type SpanOptions, type TokenClassifierOutput, type TokenLabelsOption,
} from './models/encoder-heads.js';
export { ViTForImageClassification, ViTModel, type ViTConfig } from './models/vit.js';
export {
  CLIPModel, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, CLIPTextTransformer, CLIPVisionTransformer,
  type CLIPConfig, type CLIPOutput, type CLIPTextOptions, type CLIPTowerOutput,
} from './models/clip.js';
export {
  T5ForConditionalGeneration, MT5ForConditionalGeneration, T5Model, T5EncoderModel, MT5EncoderModel, T5Stack, relativePositionBucket,
  type T5Config, type T5ModelOutput,
} from './models/t5.js';
export {
  WhisperForConditionalGeneration, WhisperModel, WhisperEncoder, WhisperDecoder, whisperSinusoids,
  type WhisperConfig, type WhisperForwardOptions, type WhisperGenerateOptions, type WhisperModelOutput, type WhisperOutput,
} from './models/whisper.js';
export { WhisperFeatureExtractor, melFilterBank, type AudioInput, type ExtractOptions, type FeatureExtractorConfig } from './audio-processing.js';
export {
  Seq2SeqLM, EncoderDecoderCache, shiftTokensRight, type Seq2SeqGenerateOptions, type Seq2SeqLMForwardOptions, type Seq2SeqLMOutput,
} from './seq2seq.js';
export {
  AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoModelForSpeechSeq2Seq, AutoModelForImageClassification, AutoModelForSequenceClassification,
  AutoModelForMaskedLM, AutoModelForMultipleChoice, AutoModelForQuestionAnswering, AutoModelForTokenClassification, AutoModelForZeroShotImageClassification, type AutoClass, type LoadableClass,
} from './auto.js';
export { openSource, readJson, defaultCacheDir, MissingFileError, type HubOptions, type ModelSource } from './hub.js';
/** Re-exported from @tensile/core, where every package's progress bar now lives. */
export { ProgressBar, type ProgressOptions } from '@tensile/core';
export { loadWeights, mapKey, weightFiles, type KeyRules, type LoadReport } from './weights.js';
