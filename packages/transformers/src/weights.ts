/**
 * Reading a checkpoint's weights (one `model.safetensors` or shards listed in
 * `model.safetensors.index.json`; else, as older hub repos hold them, `pytorch_model.bin` or
 * the shards of `pytorch_model.bin.index.json`, read weights-only) and matching the hub's keys to a model's state dict:
 * with or without the base-model prefix (`transformer.`, `bert.`, `model.`, `vit.`), old
 * `gamma`/`beta` LayerNorm names, tied heads absent, and buffers a checkpoint may carry but
 * the model recomputes (`attn.bias`, `position_ids`, `rotary_emb.inv_freq`).
 */
import * as tl from '@tensile/core';
import type { DType, Tensor } from '@tensile/core';
import { init, parseSafetensors, parseTorchCheckpoint, type Module, type SafetensorsDType } from '@tensile/nn';
import { MissingFileError, readJson, type ModelSource } from './hub.js';

/** How a model class maps checkpoint keys onto its own. */
export interface KeyRules {
  /** The base model's attribute (`'transformer'`, `'bert'`, `'model'`, `'vit'`), or null. */
  basePrefix: string | null;
  /** Checkpoint keys that may be present and are not loaded (buffers the model recomputes, heads it lacks). */
  ignore: RegExp[];
  /**
   * Other names a checkpoint may give a key, tried after the key itself: `[pattern, replacement]`
   * (BERT's `cls.predictions.decoder.bias`, the same tensor as `cls.predictions.bias`).
   */
  aliases?: [RegExp, string][];
  /**
   * Own keys of a task head that a base checkpoint lacks (`classifier.*` when a BERT checkpoint
   * loads into a classifier): they are initialised as the hub's `_init_weights` does, with a note,
   * where any other missing key is an error.
   */
  initialized?: RegExp[];
}

/** The classification and span heads the hub initialises when a base checkpoint loads into them. */
export const TASK_HEADS: RegExp[] = [/^(pre_classifier|classifier|qa_outputs)\./];

/** What loading found, beside the weights themselves. */
export interface LoadReport {
  /** Checkpoint keys that were not loaded: ignorable buffers and keys of heads this model lacks. */
  unexpectedKeys: string[];
  /** Own keys the checkpoint lacked that may be absent (a tied head, which shares the embedding). */
  tiedKeys: string[];
  /** Own keys of a task head the checkpoint lacked, newly initialised (see `KeyRules.initialized`). */
  initializedKeys: string[];
  /** What was converted and why, in words (dtype conversions). */
  notes: string[];
}

const HALF_NAMES: Partial<Record<SafetensorsDType, string>> = { F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64' };

/** Where a checkpoint's weights may be, in the order the hub's loader prefers them. */
const LAYOUTS = [
  { single: 'model.safetensors', index: 'model.safetensors.index.json' },
  { single: 'pytorch_model.bin', index: 'pytorch_model.bin.index.json' },
] as const;

/**
 * The checkpoint's weight files: one file, or the shards of an index, in order. Safetensors
 * come first; `torch.save` files (`.bin`) are read when a repo has no safetensors.
 */
export async function weightFiles(source: ModelSource): Promise<string[]> {
  for (const { single, index: indexFile } of LAYOUTS) {
    if (await source.has(single)) return [single];
    let index: { weight_map?: Record<string, string> };
    try {
      index = await readJson(source, indexFile);
    } catch (e) {
      if (e instanceof MissingFileError) continue;
      throw e;
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new Error(`fromPretrained: ${indexFile} in ${source.description} has no weight_map`);
    }
    return [...new Set(Object.values(index.weight_map))];
  }
  const names = LAYOUTS.flatMap((l) => [l.single, l.index]).join(', ');
  throw new Error(`fromPretrained: ${source.description} has no weights: none of ${names}`);
}

/** A weight file's tensors, by the format its name says. */
function parseWeights(file: string, bytes: Uint8Array, device: string, floatDType: 'float16' | undefined): { tensors: Record<string, Tensor>; dtypes: Record<string, SafetensorsDType> } {
  if (file.endsWith('.safetensors')) return parseSafetensors(bytes, { device, floatDType });
  const { value, tensors, dtypes } = parseTorchCheckpoint(bytes, { device, floatDType });
  const dict = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  const loose = dict ? Object.keys(value).filter((k) => !(k in tensors)) : [];
  if (!dict || loose.length) {
    for (const t of Object.values(tensors)) t.dispose();
    const what = dict ? `holds ${loose.slice(0, 4).map((k) => `'${k}'`).join(', ')} beside its tensors` : 'is not a dict of tensors';
    throw new Error(`${what}; a weight file is a state dict (torch.save(model.state_dict()))`);
  }
  return { tensors, dtypes };
}

/** Rename a checkpoint key to the model's key, or null when it belongs to nothing here. */
export function mapKey(key: string, own: ReadonlySet<string>, rules: KeyRules): string | null {
  const candidates = [key];
  const renamed = key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (renamed !== key) candidates.push(renamed);
  for (const [pattern, replacement] of rules.aliases ?? []) {
    const alias = renamed.replace(pattern, replacement);
    if (alias !== renamed) candidates.push(alias);
  }
  const prefix = rules.basePrefix;
  for (const k of [...candidates]) {
    if (prefix && k.startsWith(`${prefix}.`)) candidates.push(k.slice(prefix.length + 1));
    if (prefix) candidates.push(`${prefix}.${k}`);
  }
  return candidates.find((k) => own.has(k)) ?? null;
}

/**
 * Load every weight file of `source` into `model`, shard by shard (each shard's tensors are
 * freed once copied). Throws naming the file and key on a shape mismatch, and listing every
 * key the model needs that no file held.
 */
export async function loadWeights(model: Module, source: ModelSource, rules: KeyRules, device: string, tied: readonly string[], initStd = 0.02): Promise<LoadReport> {
  const ownDict = model.stateDict();
  // Tied keys share the embedding's storage: never loaded (a checkpoint's copy would overwrite the embedding).
  const own = new Set(Object.keys(ownDict).filter((k) => !tied.includes(k)));
  const loaded = new Set<string>();
  const unexpected: string[] = [];
  const converted = new Map<SafetensorsDType, number>();
  // A float16 model takes its weights in float16 from the host: no float32 copy on the device.
  const floatDType = model.parameters()[0]?.dtype === 'float16' ? 'float16' : undefined;
  for (const file of await weightFiles(source)) {
    const bytes = await source.bytes(file);
    let parsed: ReturnType<typeof parseWeights>;
    try {
      parsed = parseWeights(file, bytes, device, floatDType);
    } catch (e) {
      throw new Error(`fromPretrained: ${file} in ${source.description}: ${(e as Error).message}`, { cause: e });
    }
    const mapped: Record<string, Tensor> = {};
    try {
      for (const [key, value] of Object.entries(parsed.tensors)) {
        const target = mapKey(key, own, rules);
        if (target === null || loaded.has(target)) {
          unexpected.push(key);
          continue;
        }
        const want = ownDict[target];
        if (!tl.shapesEqual(want.shape, value.shape)) {
          throw new Error(
            `fromPretrained: '${key}' in ${file} of ${source.description} has shape ${tl.formatShape(value.shape)}, ` +
              `but ${model.constructor.name}.${target} is ${tl.formatShape(want.shape)}: the config and the weights disagree`,
          );
        }
        const stored = parsed.dtypes[key];
        if (HALF_NAMES[stored] && tl.isFloating(want.dtype) && HALF_NAMES[stored] !== want.dtype) converted.set(stored, (converted.get(stored) ?? 0) + 1);
        mapped[target] = value;
        loaded.add(target);
      }
      model.loadStateDict(mapped, { strict: false });
    } finally {
      for (const t of Object.values(parsed.tensors)) t.dispose();
    }
  }
  const tiedKeys = [...tied];
  const missing = [...own].filter((k) => !loaded.has(k));
  const initializedKeys = missing.filter((k) => rules.initialized?.some((r) => r.test(k)));
  const reallyMissing = missing.filter((k) => !initializedKeys.includes(k));
  if (reallyMissing.length) {
    throw new Error(
      `fromPretrained: ${source.description} lacks ${reallyMissing.length} weight(s) ${model.constructor.name} needs: ` +
        `${reallyMissing.slice(0, 12).join(', ')}${reallyMissing.length > 12 ? ', ...' : ''}`,
    );
  }
  const notes: string[] = [];
  if (initializedKeys.length) {
    initializeHead(model, initializedKeys, initStd);
    notes.push(
      `${initializedKeys.length} weight(s) of ${model.constructor.name} were not in the checkpoint and are newly initialized ` +
        `(weights normal(0, ${initStd}), biases 0, norm scales 1): ${initializedKeys.join(', ')}; train the model before using its predictions`,
    );
  }
  for (const [stored, count] of converted) {
    const into = floatDType ?? 'float32';
    notes.push(`${count} tensor(s) stored as ${HALF_NAMES[stored]} were converted to ${into} on load${stored === 'BF16' && into === 'float32' ? ' (Tensile has no bfloat16; float32 holds every bfloat16 value exactly)' : ''}`);
  }
  const unexpectedReported = unexpected.filter((k) => !rules.ignore.some((r) => r.test(k)));
  if (unexpectedReported.length) {
    notes.push(`${unexpectedReported.length} checkpoint key(s) were not used by ${model.constructor.name}: ${unexpectedReported.slice(0, 8).join(', ')}${unexpectedReported.length > 8 ? ', ...' : ''}`);
  }
  return { unexpectedKeys: unexpected, tiedKeys, initializedKeys, notes };
}

/** The hub's `_init_weights` for a new head's parameters: matrices normal(0, std), biases 0, norm scales 1. */
function initializeHead(model: Module, keys: readonly string[], std: number): void {
  const params = new Map(model.namedParameters());
  for (const key of keys) {
    const p = params.get(key);
    if (!p) throw new Error(`internal: ${key} is not a parameter of ${model.constructor.name}`);
    if (key.endsWith('bias')) init.zeros_(p);
    else if (p.rank >= 2) init.normal_(p, 0, std);
    else init.ones_(p);
  }
}

/** The dtype a model gets by default on a device: float16 on GPUs that hold it, else float32. */
export function defaultDType(device: string): DType {
  if ((device === 'webgpu' || device === 'cuda') && tl.isDTypeSupported('float16', device)) return 'float16';
  return 'float32';
}
