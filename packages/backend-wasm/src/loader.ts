/**
 * Finding, feature-detecting and compiling the kernels. Two builds ship in `dist/`, each
 * with and without shared memory: SIMD128, and SIMD128 + relaxed SIMD (fused multiply-add).
 * Relaxed SIMD is chosen when `WebAssembly.validate` accepts a tiny module that uses it; on
 * Node 20 the V8 flag that enables it is switched on first (it must be set before anything
 * is compiled). Platform differences (disk or fetch) live behind the `#platform` import.
 */
import { compileWasm, enableRelaxedSimd } from '#platform';

/** The build variants, by file. */
export type WasmVariant = 'relaxed' | 'simd';

/** Whether shared memory (and so the worker pool) is available in this engine. */
export const hasSharedMemory = typeof SharedArrayBuffer !== 'undefined' && (() => {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Where each build lives. Every URL is a literal `new URL('./file.wasm', import.meta.url)`,
 * the pattern Vite, webpack and Parcel recognise: they copy the file into the build and
 * rewrite the URL. Without a bundler (or with esbuild) the files sit next to this module.
 */
function wasmUrl(variant: WasmVariant, shared: boolean): URL {
  if (variant === 'relaxed') {
    return shared ? new URL('./tensile-relaxed.wasm', import.meta.url) : new URL('./tensile-relaxed-single.wasm', import.meta.url);
  }
  return shared ? new URL('./tensile-simd.wasm', import.meta.url) : new URL('./tensile-simd-single.wasm', import.meta.url);
}

// (module (func (result v128) v128.const i64x2 0 0 v128.const i64x2 0 0 v128.const i64x2 0 0 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02, 0x0b,
]);
// (module (func (result v128) v128.const i64x2 0 0))
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b,
]);

export const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** Whether this engine runs relaxed SIMD (after enabling V8's flag on Node, where needed). */
export function relaxedSimdSupported(): boolean {
  if (!WebAssembly.validate(RELAXED_PROBE)) enableRelaxedSimd();
  return WebAssembly.validate(RELAXED_PROBE);
}

/** `relaxedSimdSupported()`, as a promise (the form the tests and older callers use). */
export async function detectRelaxedSimd(): Promise<boolean> {
  return relaxedSimdSupported();
}

export function detectSimd(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/** Compile the chosen build: from disk in Node, by fetch elsewhere. */
export async function loadModule(variant: WasmVariant, shared = hasSharedMemory): Promise<WebAssembly.Module> {
  return compileWasm(wasmUrl(variant, shared));
}
