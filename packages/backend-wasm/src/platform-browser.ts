/**
 * What differs outside Node.js (browsers, and runtimes without the `node` condition): the
 * kernels are fetched, threads are Web Workers, and nothing imports `node:` modules.
 */
import type { WorkerLike } from './threads.js';

export const platformName = 'browser';

/** Browsers enable relaxed SIMD by default; there is no flag to set. */
export function enableRelaxedSimd(): void {}

export function cores(): number | undefined {
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
}

/** Fetch and compile; streaming where the server sends `application/wasm`. */
export async function compileWasm(url: URL): Promise<WebAssembly.Module> {
  const hint =
    "serve @tensile/backend-wasm's dist/*.wasm files next to the module that loads them " +
    '(Vite and webpack copy them into the build; with esbuild, copy them beside the bundle)';
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new Error(`wasm backend: fetching ${url} failed (${(cause as Error).message}); ${hint}`, { cause });
  }
  if (!response.ok) throw new Error(`wasm backend: fetching ${url} gave HTTP ${response.status}; ${hint}`);
  // compileStreaming insists on the MIME type; a server that does not know .wasm still works.
  if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

export function createWorkerFactory(
  body: string,
  init: (index: number) => object,
  exited: (index: number, worker: WorkerLike, reason: string) => void,
): ((index: number) => WorkerLike) | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  if (typeof Worker === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return null;
  // The worker's code is inline (a Blob URL), so there is no worker file for a bundler to find or miss.
  const url = URL.createObjectURL(new Blob([`${body}\nself.onmessage = (e) => start(e.data);`], { type: 'text/javascript' }));
  return (index) => {
    const w = new Worker(url);
    // A browser reports a worker's death only as an error event (there is no exit event).
    w.addEventListener('error', (event) => exited(index, w, event.message || 'error'));
    w.postMessage(init(index));
    return w;
  };
}
