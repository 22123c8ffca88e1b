/**
 * `@tensile/backend-wasm`: importing this module compiles the kernels, creates the backend
 * and registers it under `'wasm'` with priority 1 (above cpu). In Node everything happens
 * during the import, so `import '@tensile/backend-wasm'` is enough to use `{ device: 'wasm' }`.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import { setThreads } from '@tensile/backend-wasm';
 * setThreads(2);
 * const x = tl.randn([512, 512], { device: 'wasm' });
 * console.log(x.matmul(x).sum().itemSync());
 * ```
 */
import { registerBackend } from '@tensile/core';
import { detectRelaxedSimd, detectSimd, isNode, loadModule, type WasmVariant } from './loader.js';
import { defaultThreads, WasmBackend } from './wasm-backend.js';

/** What this engine offers and which build was chosen. */
export interface WasmFeatures {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly variant: WasmVariant | null;
  /** Whether worker threads over shared memory are available. */
  readonly threads: boolean;
}

async function nodeCores(): Promise<number | undefined> {
  if (!isNode) return undefined;
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

async function start(): Promise<{ backend: WasmBackend | null; features: WasmFeatures; error?: Error }> {
  const simd = detectSimd();
  if (!simd) {
    const error = new Error('wasm backend: this engine lacks WebAssembly SIMD128, which the wasm backend needs; use @tensile/backend-cpu');
    return { backend: null, features: { simd, relaxedSimd: false, variant: null, threads: false }, error };
  }
  const forced = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_VARIANT : undefined;
  const relaxedSimd = forced === 'simd' ? false : await detectRelaxedSimd();
  const variant: WasmVariant = relaxedSimd ? 'relaxed' : 'simd';
  const module = await loadModule(variant);
  const envThreads = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_THREADS : undefined;
  const threads = envThreads ? defaultThreads() : (await nodeCores()) ?? defaultThreads();
  const backend = await WasmBackend.create(module, variant, { threads });
  return { backend, features: { simd, relaxedSimd, variant, threads: backend.getThreads() > 1 || threads === 1 } };
}

const started = await start();

if (started.backend) {
  registerBackend(started.backend, { priority: 1 });
} else {
  const error = started.error!;
  registerBackend({ name: 'wasm', factory: () => Promise.reject(error) }, { priority: 1 });
}

/** The features detected at import. */
export const wasmFeatures: WasmFeatures = started.features;

function backend(): WasmBackend {
  if (!started.backend) throw started.error!;
  return started.backend;
}

/** Threads for matmul, conv and pooling, the calling thread included (default: the core count). */
export function setThreads(n: number): void {
  backend().setThreads(n);
}

/** The thread count in effect (1 when shared memory or workers are unavailable). */
export function getThreads(): number {
  return backend().getThreads();
}

/** Start the worker threads now; resolves with the thread count once they run. */
export function startThreads(timeoutMs?: number): Promise<number> {
  return backend().startThreads(timeoutMs);
}

export { WasmBackend };
