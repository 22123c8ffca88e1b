/**
 * Saving and loading `torch.save` files in Node (see `../node-files.ts` for how browsers stay safe).
 */
import { readFileFor, writeFileAtomic } from '../node-files.js';
import {
  parseTorchCheckpoint, serializeTorchCheckpoint, type ParseTorchCheckpointOptions, type TorchCheckpoint, type TorchSaveable,
} from './format.js';

const BROWSER = 'serializeTorchCheckpoint / parseTorchCheckpoint';

/**
 * Write tensors (a state dict, or an object holding one) to `path` as `torch.save` writes
 * them, atomically; PyTorch reads it with `torch.load(path)`.
 *
 * @example
 * ```ts
 * await saveTorchCheckpoint(model.stateDict(), 'model.pt');
 * ```
 */
export async function saveTorchCheckpoint(value: TorchSaveable | object, path: string): Promise<void> {
  await writeFileAtomic('saveTorchCheckpoint', BROWSER, path, await serializeTorchCheckpoint(value));
}

/**
 * Read a `torch.save` file (`.pt`, `.pth`, `pytorch_model.bin`), weights only. See
 * `parseTorchCheckpoint` for what it accepts and how dtypes convert.
 *
 * @example
 * ```ts
 * const { tensors } = await loadTorchCheckpoint('resnet18.pth');
 * model.loadStateDict(tensors);
 * ```
 */
export async function loadTorchCheckpoint(path: string, options: ParseTorchCheckpointOptions = {}): Promise<TorchCheckpoint> {
  const bytes = await readFileFor('loadTorchCheckpoint', BROWSER, path);
  try {
    return parseTorchCheckpoint(bytes, options);
  } catch (e) {
    throw new Error(`loadTorchCheckpoint: '${path}': ${(e as Error).message.replace(/^parseTorchCheckpoint: /, '')}`, { cause: e });
  }
}
