/**
 * Files in Node, for the savers and loaders of checkpoints. `node:fs` is imported lazily
 * inside each function, so importing this module (and `@tensile/nn`) from a browser bundle
 * is safe; only calling these functions needs Node.
 */
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

async function nodeModules(op: string, browserHint: string): Promise<{ fs: FsLike; path: PathLike }> {
  try {
    const [fs, path] = await Promise.all([import(/* @vite-ignore */ FS), import(/* @vite-ignore */ PATH)]);
    return { fs: fs as FsLike, path: path as PathLike };
  } catch (e) {
    throw new Error(`${op}: needs Node's file system; in a browser use ${browserHint} on bytes`, { cause: e });
  }
}

/**
 * Write `bytes` to `path` atomically: they go to a temporary file in the same directory,
 * which is flushed to disk (fsync) and then renamed over `path`, so a reader never sees a
 * half-written file.
 */
export async function writeFileAtomic(op: string, browserHint: string, path: string, bytes: Uint8Array): Promise<void> {
  const { fs, path: nodePath } = await nodeModules(op, browserHint);
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
    throw new Error(`${op}: cannot write '${path}': ${err.message}`, { cause: e });
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

/** A file's bytes, with errors that name `op` and the path. */
export async function readFileFor(op: string, browserHint: string, path: string): Promise<Uint8Array> {
  const { fs } = await nodeModules(op, browserHint);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    const err = e as ErrnoError;
    if (err.code === 'ENOENT') throw new Error(`${op}: no such file '${path}'`, { cause: e });
    throw new Error(`${op}: cannot read '${path}': ${err.message}`, { cause: e });
  }
  return bytes;
}
