/**
 * `@tensile/backend-wasm` in browsers (the `browser` export condition, and every runtime
 * without the `node` one): importing this module registers `'wasm'` (priority 1) without
 * fetching anything; the kernels are fetched and compiled on the first
 * `await tl.setBackend('wasm')` or `await tl.ready('wasm')`. No top-level await and no
 * `node:` imports, so any bundler takes it; a failed start (a missing .wasm file, no SIMD)
 * rejects that call and leaves the other backends working.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-wasm';
 * await tl.setBackend('wasm');
 * const x = tl.randn([512, 512]);
 * console.log(x.matmul(x).sum().itemSync());
 * ```
 *
 * @packageDocumentation
 */
import { detectFeatures, registerLazily, type WasmFeatures } from './api.js';

/** The features detected at import. */
export const wasmFeatures: WasmFeatures = detectFeatures();
registerLazily(wasmFeatures);

export { getThreads, setThreads, startThreads, WasmBackend, type WasmFeatures } from './api.js';
