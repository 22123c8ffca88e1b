/**
 * Saving and loading safetensors files in Node (see `../node-files.ts` for how browsers stay safe).
 */
import type { Tensor } from '@tensile/core';
import { readFileFor, writeFileAtomic } from '../node-files.js';
import {
  parseSafetensors, serializeSafetensors, type ParseSafetensorsOptions, type SafetensorsFile,
} from './format.js';

const BROWSER = 'serializeSafetensors / parseSafetensors';

/**
 * Write tensors (a state dict) to a safetensors file at `path`, atomically (a reader never
 * sees a half-written file).
 *
 * @example
 * ```ts
 * await saveSafetensors(model.stateDict(), 'model.safetensors', { format: 'pt' });
 * ```
 */
export async function saveSafetensors(
  stateDict: Record<string, Tensor>,
  path: string,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic('saveSafetensors', BROWSER, path, await serializeSafetensors(stateDict, metadata));
}

/**
 * Read a safetensors file written by Tensile, PyTorch (`safetensors.torch.save_file`) or
 * any other conforming writer. See `parseSafetensors` for dtype conversions.
 *
 * @example
 * ```ts
 * const { tensors } = await loadSafetensors('model.safetensors');
 * model.loadStateDict(tensors);
 * ```
 */
export async function loadSafetensors(path: string, options: ParseSafetensorsOptions = {}): Promise<SafetensorsFile> {
  const bytes = await readFileFor('loadSafetensors', BROWSER, path);
  try {
    return parseSafetensors(bytes, options);
  } catch (e) {
    throw new Error(`loadSafetensors: '${path}': ${(e as Error).message.replace(/^parseSafetensors: /, '')}`, { cause: e });
  }
}
