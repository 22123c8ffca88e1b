/**
 * `PreTrainedModel`: the base of every architecture here, with `fromPretrained` (config,
 * weights key for key, dtype and device) and `savePretrained` (a directory the hub's
 * PyTorch code loads).
 */
import * as tl from '@tensile/core';
import type { DType } from '@tensile/core';
import { Module, init, serializeSafetensors, type StateDict } from '@tensile/nn';
import { nodeModules, openSource, readJson, readJsonIfExists, type HubOptions, type ModelSource } from './hub.js';
import { rejectUnknownOptions } from './options.js';
import { defaultDType, loadWeights, type KeyRules, type LoadReport } from './weights.js';

/** A hub `config.json`: the hub's snake_case field names, kept as they are. */
export type PretrainedConfig = Record<string, unknown> & {
  architectures?: string[];
  model_type?: string;
  torch_dtype?: string;
};

/** Options of `fromPretrained`. */
export interface FromPretrainedOptions extends HubOptions {
  /**
   * Floating dtype of the weights: default float16 on webgpu and cuda where the backend holds
   * it, float32 elsewhere. Checkpoints stored in another dtype are converted, with a note.
   */
  dtype?: DType;
  /** Backend to load onto (default: the current backend). */
  device?: string;
  /** Where notes about conversions go (default `console.warn`); `null` keeps quiet. */
  logger?: ((message: string) => void) | null;
  /** Override config fields after reading config.json (a smaller `max_position_embeddings`, say). */
  config?: Record<string, unknown>;
  /**
   * `BertModel` and `RobertaModel` only: false leaves the pooler out (the hub's
   * `add_pooling_layer=False`); the checkpoint's pooler weights are then reported unused.
   */
  addPoolingLayer?: boolean;
}

const FROM_PRETRAINED_OPTIONS = new Set<string>([
  'dtype', 'device', 'logger', 'config', 'revision', 'cacheDir', 'endpoint', 'token', 'progress', 'localFilesOnly', 'forceDownload', 'addPoolingLayer',
] satisfies (keyof FromPretrainedOptions)[]);

/** The `fromPretrained` options that go to a model's constructor, for the classes that take them. */
export interface ModelOptions {
  addPoolingLayer?: boolean;
}

/** A model class `fromPretrained` can build. */
export interface PretrainedClass<T extends PreTrainedModel> {
  new (config: any, options?: ModelOptions): T;
  /** The `ModelOptions` its constructor takes (none unless listed). */
  readonly modelOptions?: readonly (keyof ModelOptions)[];
  /** The hub's `model_type`s this class reads. */
  readonly modelTypes: readonly string[];
  /** How checkpoint keys map to the class's own. */
  readonly keyRules: KeyRules;
}

/** The hub's `generation_config.json` fields generation reads. */
export interface GenerationConfig {
  bos_token_id?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
  do_sample?: boolean;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  repetition_penalty?: number;
  max_new_tokens?: number;
  [key: string]: unknown;
}


/**
 * The base of the hub architectures: a `Module` that knows its hub config and loads and
 * saves checkpoints in the hub's layout.
 */
export abstract class PreTrainedModel extends Module {
  /** The hub config, field names as in config.json. */
  readonly config: PretrainedConfig;
  /** From generation_config.json when the checkpoint has one. */
  generationConfig: GenerationConfig = {};
  /** What `fromPretrained` found: unused checkpoint keys, tied keys, conversion notes. */
  loadReport: LoadReport | null = null;

  constructor(config: PretrainedConfig) {
    super();
    this.config = { ...config };
  }

  /** The backend holding the weights. */
  get device(): string {
    return this.parameters()[0]?.device ?? tl.currentBackendName();
  }

  /** The dtype of the floating weights. */
  get dtype(): DType {
    return this.parameters()[0]?.dtype ?? 'float32';
  }

  /** State-dict keys that share storage with another key and are left out of saved files (tied heads). */
  tiedKeys(): string[] {
    return [];
  }

  /**
   * Load a checkpoint: `source` is a local directory in the hub's layout (`config.json`,
   * `model.safetensors` or `model.safetensors.index.json` and its shards), an `http(s)` base
   * URL, or a hub repo id downloaded into the cache (Node) with a progress bar, checksums and
   * resumable downloads. Keys load as the hub stores them: with or without the base prefix,
   * without a tied head, with extra buffers, in float16 or bfloat16 (converted, with a note).
   *
   * @example
   * ```ts
   * const model = await GPT2LMHeadModel.fromPretrained('openai-community/gpt2', { device: 'wasm' });
   * const local = await LlamaForCausalLM.fromPretrained('./SmolLM2-135M', { dtype: 'float32' });
   * ```
   */
  static async fromPretrained<T extends PreTrainedModel>(this: PretrainedClass<T>, source: string | ModelSource, options: FromPretrainedOptions = {}): Promise<T> {
    const name = (this as unknown as { name: string }).name;
    rejectUnknownOptions(options, FROM_PRETRAINED_OPTIONS, `${name}.fromPretrained`);
    const modelOptions: ModelOptions = {};
    for (const key of ['addPoolingLayer'] as const) {
      if (options[key] === undefined) continue;
      if (!this.modelOptions?.includes(key)) throw new Error(`${name}.fromPretrained: option '${key}' is not one ${name} takes (it has no such part)`);
      modelOptions[key] = options[key];
    }
    const src = typeof source === 'string' ? await openSource(source, options) : source;
    const config = { ...(await readJson<PretrainedConfig>(src, 'config.json')), ...(options.config ?? {}) };
    if (config.model_type && !this.modelTypes.includes(config.model_type)) {
      throw new Error(`${name}.fromPretrained: config.json of ${src.description} has model_type '${config.model_type}'; ${name} reads ${this.modelTypes.join(', ')}`);
    }
    const device = options.device ?? tl.currentBackendName();
    await tl.ready(device);
    const dtype = options.dtype ?? defaultDType(device);
    if (!tl.isFloating(dtype)) throw new Error(`${name}.fromPretrained: dtype must be float32 or float16, got ${dtype}`);
    const notes: string[] = [];
    let targetDType = dtype;
    if (!tl.isDTypeSupported(dtype, device)) {
      notes.push(`${dtype} is not supported on '${device}'; the weights stay float32`);
      targetDType = 'float32';
    }
    const previous = tl.currentBackendName();
    let model: T;
    if (previous !== device) await tl.setBackend(device);
    try {
      // No initialisation (the checkpoint overwrites it) and parameters made in the target
      // dtype: a float16 model never holds a float32 copy (GPT-2's embedding alone is 154 MB).
      model = init.skipInit(() => new this(config, modelOptions), { dtype: targetDType as 'float32' | 'float16' });
    } finally {
      if (previous !== device) await tl.setBackend(previous);
    }
    try {
      const initStd = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
      const report = await loadWeights(model, src, this.keyRules, device, model.tiedKeys(), initStd);
      report.notes.unshift(...notes);
      if (targetDType !== 'float32') {
        model.to({ dtype: targetDType }); // the floating buffers (parameters already are)
        report.notes.push(`weights loaded as ${targetDType} for '${device}'`);
      }
      model.loadReport = report;
      model.generationConfig = (await readJsonIfExists<GenerationConfig>(src, 'generation_config.json')) ?? {};
    } catch (e) {
      model.dispose();
      throw e;
    }
    model.eval();
    const log = options.logger === undefined ? (m: string) => console.warn(m) : options.logger;
    if (log) for (const note of model.loadReport.notes) log(`${name}.fromPretrained(${src.description}): ${note}`);
    return model;
  }

  /** The state dict as the hub saves it: own keys, tied heads left out. */
  hubStateDict(): StateDict {
    const dict = this.stateDict();
    for (const key of this.tiedKeys()) delete dict[key];
    return dict;
  }

  /**
   * Write `config.json`, `model.safetensors` (float32 or the model's dtype, hub keys, tied
   * heads left out as the hub's `save_pretrained` does) and `generation_config.json` into
   * `directory` (Node), so the hub's PyTorch code, or `fromPretrained`, loads it back.
   *
   * @example
   * ```ts
   * await model.savePretrained('./finetuned');
   * ```
   */
  async savePretrained(directory: string): Promise<void> {
    const { fs, path } = await nodeModules();
    await fs.mkdir(directory, { recursive: true });
    const config = { ...this.config, torch_dtype: this.dtype };
    const bytes = await serializeSafetensors(this.hubStateDict(), { format: 'pt' });
    await fs.writeFile(path.join(directory, 'model.safetensors'), bytes);
    await fs.writeFile(path.join(directory, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    if (Object.keys(this.generationConfig).length) {
      await fs.writeFile(path.join(directory, 'generation_config.json'), `${JSON.stringify(this.generationConfig, null, 2)}\n`);
    }
  }
}

/** Read a config field with a default, checking its type; errors name the class and field. */
export function field<T extends number | string | boolean | null>(config: PretrainedConfig, key: string, fallback: T | undefined, where: string): T {
  const value = config[key];
  if (value === undefined || (value === null && fallback !== undefined && fallback !== null)) {
    if (fallback === undefined) throw new Error(`${where}: config.json has no '${key}'`);
    return fallback;
  }
  if (fallback !== undefined && fallback !== null && typeof value !== typeof fallback) {
    throw new Error(`${where}: config field '${key}' should be a ${typeof fallback}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** The number of labels a classification config declares (`num_labels`, else `id2label`, else 2). */
export function numLabels(config: PretrainedConfig): number {
  if (typeof config.num_labels === 'number') return config.num_labels;
  const id2label = config.id2label as Record<string, string> | undefined;
  return id2label ? Object.keys(id2label).length : 2;
}
