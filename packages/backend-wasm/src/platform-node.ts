/**
 * What differs in Node.js: the kernels are read from disk, relaxed SIMD needs a V8 flag,
 * the core count comes from `node:os`, and threads are `worker_threads`. Chosen through the
 * package's `#platform` import (the `node` condition), so browser bundles never see `node:`.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { WorkerLike } from './threads.js';

export const platformName = 'node';

/** Relaxed SIMD is behind a flag on Node 20; it must be set before anything is compiled. */
export function enableRelaxedSimd(): void {
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not allowed here: the probe then fails and the plain SIMD build is used.
  }
}

export function cores(): number | undefined {
  return availableParallelism();
}

/** The kernels next to the module (dist/); from the TypeScript sources (workspace tests), dist/ too. */
export async function compileWasm(url: URL): Promise<WebAssembly.Module> {
  const path = fileURLToPath(url);
  const candidates = [path];
  const source = /([/\\])src([/\\])(tensile-[\w-]+\.wasm)$/.exec(path);
  if (source) candidates.push(path.slice(0, source.index) + `${source[1]}dist${source[2]}${source[3]}`);
  for (const file of candidates) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  }
  throw new Error(
    `wasm backend: cannot read the kernels at ${candidates[candidates.length - 1]}; ` +
      (source
        ? 'in the Tensile workspace, build them with `pnpm --filter @tensile/backend-wasm build` (pnpm mnist and pnpm test do it first)'
        : 'the installed @tensile/backend-wasm is incomplete: reinstall it'),
  );
}

export function createWorkerFactory(
  body: string,
  init: (index: number) => object,
  exited: (index: number, worker: WorkerLike, reason: string) => void,
): ((index: number) => WorkerLike) | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  const code = `${body}\nstart(require('node:worker_threads').workerData);`;
  return (index) => {
    const w = new Worker(code, { eval: true, workerData: init(index) });
    w.on('error', (error) => exited(index, w, error.message));
    w.on('exit', (code) => exited(index, w, `exit code ${code}`));
    w.unref();
    return w;
  };
}
