/**
 * Finding a WebGPU device: `navigator.gpu` in browsers (and any runtime that provides it),
 * the `webgpu` npm package (Dawn) in Node.js. Every failure says what to install or enable.
 */

/** The npm package that provides WebGPU in Node.js, and the version this backend is tested with. */
export const NODE_WEBGPU_PACKAGE = 'webgpu@0.6.2';

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

let nodeGPU: GPU | null = null;
/** Adapters handed out, kept reachable for the same reason as `nodeGPU`. */
const adapters: GPUAdapter[] = [];

/** `navigator.gpu`, or Dawn's GPU object in Node.js. */
export async function findGPU(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (isNode()) {
    // A variable specifier keeps bundlers from following this import into browser builds.
    const specifier = 'webgpu';
    let mod: { create: (options: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
    } catch (cause) {
      throw new Error(
        `webgpu backend: WebGPU is not available in this Node.js; install the optional peer dependency ` +
          `(npm install ${NODE_WEBGPU_PACKAGE}, or pnpm add ${NODE_WEBGPU_PACKAGE}), which provides Dawn. ` +
          `On a machine without a GPU Dawn also needs a software Vulkan driver (Mesa 25's llvmpipe). ` +
          `(import failed: ${cause instanceof Error ? cause.message : String(cause)})`,
      );
    }
    const g = globalThis as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod.globals)) if (g[name] === undefined) g[name] = value;
    // Dawn's instance must stay reachable while any device lives: when its JS object is
    // collected the instance is torn down under the device (crashes in llvmpipe's threads).
    nodeGPU ??= mod.create([]);
    return nodeGPU;
  }
  throw new Error(
    'webgpu backend: navigator.gpu is missing; use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, ' +
      'Firefox 141+ on Windows), served over https or from localhost',
  );
}

/**
 * The limits to ask a device for: on a GPU, the adapter's largest buffer and storage binding
 * (WebGPU's defaults, 256 and 128 MiB, are smaller than one float32 embedding of a 124M-parameter
 * language model, and browsers grant what the adapter has only when asked); on a CPU adapter the
 * defaults, because asking llvmpipe for its maximum buffer size (4 GiB - 1) breaks its shaders.
 */
export function deviceLimits(limits: Pick<GPUSupportedLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>, description: string): Record<string, number> {
  if (isCpuAdapter(description)) return {};
  return { maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize };
}

/**
 * An adapter and a device with the limits of `deviceLimits`, and 'shader-f16' (float16
 * tensors) and 'subgroups' where the adapter has them.
 */
export async function requestDevice(): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  const gpu = await findGPU();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'webgpu backend: no WebGPU adapter found. In Node.js Dawn needs a Vulkan driver: on a machine ' +
        'without a GPU install Mesa 25 (Debian: apt-get install -t bookworm-backports mesa-vulkan-drivers); ' +
        'in Chromium on Linux, start it with --enable-unsafe-webgpu',
    );
  }
  adapters.push(adapter);
  // 'subgroups' lets CPU adapters share one load among the lanes of a SIMD vector (attention.ts).
  const requiredFeatures = (['shader-f16', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits: deviceLimits(adapter.limits, description) });
  return { adapter, device };
}

/**
 * Whether an adapter, described in words, runs shaders on the CPU (a software renderer:
 * llvmpipe, lavapipe, SwiftShader). Kernels then favour uniform loads, few workgroups and no
 * barriers over workgroup memory.
 */
export function isCpuAdapter(description: string): boolean {
  return /llvmpipe|lavapipe|swiftshader|software|\bcpu\b/i.test(description);
}
