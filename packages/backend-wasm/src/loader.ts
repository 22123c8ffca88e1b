/**
 * Finding, feature-detecting and compiling the kernels. Two builds ship in `build/`:
 * SIMD128, and SIMD128 + relaxed SIMD (fused multiply-add). Relaxed SIMD is chosen when
 * `WebAssembly.validate` accepts a tiny module that uses it; on Node 20 the V8 flag that
 * enables it is switched on first (it must be set before anything is compiled).
 */

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

function fileFor(variant: WasmVariant, shared: boolean): string {
  return `tensile-${variant}${shared ? '' : '-single'}.wasm`;
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
export async function detectRelaxedSimd(): Promise<boolean> {
  if (isNode && !WebAssembly.validate(RELAXED_PROBE)) {
    try {
      const v8 = await import('node:v8');
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not allowed here: stay with plain SIMD.
    }
  }
  return WebAssembly.validate(RELAXED_PROBE);
}

export function detectSimd(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/** Compile the chosen build: synchronously from disk in Node, by fetch elsewhere. */
export async function loadModule(variant: WasmVariant, shared = hasSharedMemory): Promise<WebAssembly.Module> {
  const url = new URL(`../build/${fileFor(variant, shared)}`, import.meta.url);
  if (isNode) {
    const fs = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const path = fileURLToPath(url);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(path);
    } catch (cause) {
      throw new Error(
        `wasm backend: cannot read ${path}; build the kernels with \`pnpm --filter @tensile/backend-wasm build\``,
        { cause },
      );
    }
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  }
  return WebAssembly.compileStreaming(fetch(url));
}
