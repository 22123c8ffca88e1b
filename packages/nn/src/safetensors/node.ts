/**
 * Saving and loading safetensors files in Node. `node:fs` is imported lazily inside each
 * function, so importing this module (and `@tensile/nn`) from a browser bundle is safe;
 * only calling these functions needs Node.
 */
import type { Tensor } from '@tensile/core';
import {
  parseSafetensors, serializeSafetensors, type ParseSafetensorsOptions, type SafetensorsFile,
} from './format.js';

// A variable specifier keeps bundlers from trying to resolve node builtins for the browser.
const FS = 'node:fs/promises';
const PATH = 'node:path';

// The slices of node:fs/promises and node:path used here, typed locally so that the
// package's declarations do not depend on @types/node.
interface FileHandleLike {
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
interface FsLike {
  open(path: string, flags: string): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
}
interface PathLike {
  dirname(path: string): string;
  basename(path: string): string;
  join(...parts: string[]): string;
  resolve(path: string): string;
}
interface ErrnoError {
  code?: string;
  message: string;
}

async function nodeModules(op: string): Promise<{ fs: FsLike; path: PathLike }> {
  try {
    const [fs, path] = await Promise.all([import(/* @vite-ignore */ FS), import(/* @vite-ignore */ PATH)]);
    return { fs: fs as FsLike, path: path as PathLike };
  } catch (e) {
    throw new Error(`${op}: needs Node's file system; in a browser use serializeSafetensors / parseSafetensors on bytes`, { cause: e });
  }
}

/**
 * Write tensors (a state dict) to a safetensors file at `path`, atomically: the bytes go
 * to a temporary file in the same directory, which is flushed to disk (fsync) and then
 * renamed over `path`, so a reader never sees a half-written file.
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
  const bytes = await serializeSafetensors(stateDict, metadata);
  const { fs, path: nodePath } = await nodeModules('saveSafetensors');
  const dir = nodePath.dirname(nodePath.resolve(path));
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
  const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.${pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let handle: FileHandleLike | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true }).catch(() => {});
    const err = e as ErrnoError;
    throw new Error(`saveSafetensors: cannot write '${path}': ${err.message}`, { cause: e });
  }
  // Make the rename itself durable; not every platform can open a directory.
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
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
  const { fs } = await nodeModules('loadSafetensors');
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    const err = e as ErrnoError;
    if (err.code === 'ENOENT') throw new Error(`loadSafetensors: no such file '${path}'`, { cause: e });
    throw new Error(`loadSafetensors: cannot read '${path}': ${err.message}`, { cause: e });
  }
  try {
    return parseSafetensors(bytes, options);
  } catch (e) {
    throw new Error(`loadSafetensors: '${path}': ${(e as Error).message.replace(/^parseSafetensors: /, '')}`, { cause: e });
  }
}
