/**
 * What both entry points share: feature detection, starting the backend, and the functions
 * the package exports. `index.ts` (Node) starts the backend during the import; `browser.ts`
 * starts it on the first `await tl.setBackend('wasm')` / `await tl.ready('wasm')`. Either way
 * a failed start is registered as a failing backend, never thrown from the import, so the
 * other backends keep working.
 */
import { ready, registerBackend } from '@tensile/core';
import { cores } from '#platform';
import { detectSimd, hasSharedMemory, loadModule, relaxedSimdSupported, type WasmVariant } from './loader.js';
import { defaultThreads, WasmBackend } from './wasm-backend.js';

/** What this engine offers and which build is (or will be) loaded. */
export interface WasmFeatures {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly variant: WasmVariant | null;
  /** Whether worker threads over shared memory can run here (cross-origin isolation in browsers). */
  readonly threads: boolean;
}

let started: WasmBackend | null = null;
let failure: Error | null = null;
/** A `setThreads` call made before the backend started (browsers), applied when it starts. */
let requestedThreads: number | undefined;

export function detectFeatures(): WasmFeatures {
  const simd = detectSimd();
  const forced = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_VARIANT : undefined;
  const relaxedSimd = simd && forced !== 'simd' && relaxedSimdSupported();
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  return { simd, relaxedSimd, variant: simd ? (relaxedSimd ? 'relaxed' : 'simd') : null, threads: hasSharedMemory && isolated };
}

async function start(features: WasmFeatures): Promise<WasmBackend> {
  try {
    if (!features.variant) {
      throw new Error('wasm backend: this engine lacks WebAssembly SIMD128, which the wasm backend needs; use @tensile/backend-cpu');
    }
    const module = await loadModule(features.variant);
    const envThreads = typeof process !== 'undefined' ? process.env?.TENSILE_WASM_THREADS : undefined;
    const threads = requestedThreads ?? (envThreads ? defaultThreads() : (cores() ?? defaultThreads()));
    started = await WasmBackend.create(module, features.variant, { threads });
    return started;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw failure;
  }
}

/** Start now and register the backend, or register the failure (Node: during the import). */
export async function startAndRegister(features: WasmFeatures): Promise<void> {
  try {
    registerBackend(await start(features), { priority: 1 });
  } catch (error) {
    registerBackend({ name: 'wasm', factory: () => Promise.reject(error) }, { priority: 1 });
  }
}

/** Register a backend that starts on first use (browsers: nothing is fetched until then). */
export function registerLazily(features: WasmFeatures): void {
  registerBackend({ name: 'wasm', factory: () => start(features) }, { priority: 1 });
}

function backend(caller: string): WasmBackend {
  if (started) return started;
  if (failure) throw failure;
  throw new Error(`${caller}: the wasm backend has not started yet; await tl.setBackend('wasm') or await tl.ready('wasm') first`);
}

/**
 * Threads for matmul, conv, pooling, softmax and large elementwise ops, the calling thread
 * included (default: the core count). Before the backend starts, the count is kept for it.
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer, got ${n}`);
  if (failure) throw failure;
  if (started) started.setThreads(n);
  else requestedThreads = n;
}

/** The thread count in effect (1 when shared memory or workers are unavailable). */
export function getThreads(): number {
  return backend('getThreads').getThreads();
}

/** Start the backend if needed, then its worker threads; resolves with the thread count once they run. */
export async function startThreads(timeoutMs?: number): Promise<number> {
  if (!started && !failure) await ready('wasm');
  return backend('startThreads').startThreads(timeoutMs);
}

export { WasmBackend };
