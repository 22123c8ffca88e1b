/**
 * Which TensorFlow.js backend each Tensile backend is compared with. Adding a Tensile
 * backend to the comparison means adding one entry here. A case can name a peer of its own
 * instead (`Case.ownPeer`: onnxruntime-node beside the ResNet-18 rows).
 *
 * tfjs backends other than cpu are optional: when their package is not installed, the peer
 * column says "unavailable" and the Tensile side still runs.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (the union package bundles them), and the ESM
// files under tfjs-core/dist cannot be loaded by Node directly; importing the union
// package registers every gradient (and the cpu backend) on the shared tfjs-core engine.
import '@tensorflow/tfjs';

/**
 * WebGPU in Node: Dawn (the `webgpu` package) provides `navigator.gpu`. It is installed
 * here, before the tfjs webgpu backend is imported, so that tfjs-webgpu and Tensile's
 * webgpu backend (which uses `navigator.gpu` when present) share one Dawn instance. `gpu`
 * stays in module scope: when Dawn's instance object is collected it is torn down under
 * any device still using it.
 */
let gpu: unknown;
const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
if (typeof process !== 'undefined' && process.versions?.node && !nav?.gpu) {
  try {
    const specifier: string = 'webgpu';
    const { create, globals } = (await import(specifier)) as { create: (options: string[]) => unknown; globals: Record<string, unknown> };
    Object.assign(globalThis, globals);
    gpu = create([]);
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } catch {
    // No Dawn here: the webgpu rows report the backend as unavailable.
  }
}
export const nodeGPU = (): unknown => gpu;

export interface PeerSpec {
  /** tfjs backend name passed to `tf.setBackend`. */
  tfjsBackend: string;
  /** npm package that registers it (a devDependency of @tensile/bench when available). */
  packageName: string;
  /** Whether results can be read with `dataSync()` (cpu, wasm) or need `await data()` (webgpu). */
  syncRead: boolean;
  /**
   * Only these case ids run on this backend (both sides); the others are skipped with
   * `onlyNote`. Unset: every case runs.
   */
  onlyCases?: readonly string[];
  onlyNote?: string;
}

export const PEERS: Readonly<Record<string, PeerSpec>> = {
  cpu: { tfjsBackend: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu', syncRead: true },
  wasm: { tfjsBackend: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', syncRead: true },
  webgpu: {
    tfjsBackend: 'webgpu',
    packageName: '@tensorflow/tfjs-backend-webgpu',
    syncRead: false,
    // Without a GPU both run on llvmpipe (a few GFLOP/s): the rows only, to keep the run short.
    onlyCases: [
      'matmul/256', 'matmul/512', 'matmul/1024', 'mlp/784-512-256-10-b128',
      'attention/sdpa/512x64', 'attention/matmul-softmax/512x64', 'attention/sdpa-causal/512x64', 'attention/matmul-softmax-causal/512x64',
      'sort/1e6', 'topk/k50/32x50257', 'scan/cumsum/1e7', 'resnet18/b1', 'gpt2/prefill', 'gpt2/decode',
    ],
    onlyNote: 'webgpu runs only matmul 256-1024, the MLP step, the attention rows, sort/topk, cumsum, ResNet-18 b1 and GPT-2 prefill/decode (src/peers.ts: onlyCases); other workloads are skipped on webgpu',
  },
};

export interface ReadyPeer extends PeerSpec {
  /** "tfjs-cpu", for tables. */
  label: string;
}

const loaded = new Map<string, Promise<ReadyPeer>>();

/**
 * Load and initialise the tfjs peer of a Tensile backend. Rejects with a short reason when
 * there is no mapping, the package is not installed, or the backend cannot start.
 */
export function loadPeer(tensileBackend: string): Promise<ReadyPeer> {
  let pending = loaded.get(tensileBackend);
  if (!pending) {
    pending = (async () => {
      const spec = PEERS[tensileBackend];
      if (!spec) throw new Error(`no tfjs peer is mapped for '${tensileBackend}' (see src/peers.ts)`);
      try {
        // A variable specifier keeps TypeScript from requiring optional packages at build time.
        const specifier: string = spec.packageName;
        await import(specifier);
      } catch (cause) {
        throw new Error(`${spec.packageName} is not installed (${(cause as Error).message.split('\n')[0]})`);
      }
      const ok = await tf.setBackend(spec.tfjsBackend);
      if (!ok) throw new Error(`tfjs backend '${spec.tfjsBackend}' failed to initialise`);
      await tf.ready();
      return { ...spec, label: `tfjs-${spec.tfjsBackend}` };
    })();
    loaded.set(tensileBackend, pending);
  }
  return pending;
}

/** Make the peer's backend current (the tfjs backend is global state). */
export async function activatePeer(peer: ReadyPeer): Promise<void> {
  if (tf.getBackend() !== peer.tfjsBackend) await tf.setBackend(peer.tfjsBackend);
}
