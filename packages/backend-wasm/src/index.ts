/**
 * `@tensile/backend-wasm` in Node.js: importing this module compiles the kernels, creates the
 * backend and registers it under `'wasm'` with priority 1 (above cpu), all during the import,
 * so `{ device: 'wasm' }` works straight away. If the backend cannot start, the import still
 * succeeds and `await tl.setBackend('wasm')` rejects with the reason. (Browsers get
 * `browser.ts` through the package's `browser` export condition.)
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import { setThreads } from '@tensile/backend-wasm';
 * setThreads(2);
 * const x = tl.randn([512, 512], { device: 'wasm' });
 * console.log(x.matmul(x).sum().itemSync());
 * ```
 *
 * @packageDocumentation
 */
import { detectFeatures, startAndRegister, type WasmFeatures } from './api.js';

/** The features detected at import. */
export const wasmFeatures: WasmFeatures = detectFeatures();
await startAndRegister(wasmFeatures);

export { getThreads, setThreads, startThreads, WasmBackend, type WasmFeatures } from './api.js';
