/**
 * `@tensile/backend-cuda`: importing this module registers the `'cuda'` backend (priority 3)
 * lazily. Nothing native is touched at import, so importing on a machine without a GPU is
 * harmless; `await tl.setBackend('cuda')` (or `tl.ready('cuda')`) loads the addon, finds a
 * device and creates the stream, or rejects with the reason (addon not built: how to build
 * it; no driver or no GPU: what CUDA said).
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 * import { cudaAvailability, setAllowTF32 } from '@tensile/backend-cuda';
 *
 * if (cudaAvailability().available) {
 *   await tl.setBackend('cuda');
 *   setAllowTF32(false); // strict float32 matmul/conv, like torch.backends.cuda.matmul.allow_tf32 = False
 *   const x = tl.randn([1024, 1024]);
 *   console.log(await x.matmul(x).sum().item());
 * }
 * ```
 */
import { registerBackend } from '@tensile/core';
import { CudaBackend } from './cuda-backend.js';
import { loadNative, type DeviceInfo, type NativeModule } from './native.js';

let allowTF32 = true;

/**
 * Whether matmul and convolutions may use TF32 tensor cores (10-bit mantissa products,
 * float32 accumulation; about 1e-3 relative error). Default true, as cuDNN convolutions in
 * PyTorch; pass false for strict float32 (PyTorch's `allow_tf32 = False`). Takes effect
 * for kernels launched afterwards.
 */
export function setAllowTF32(allow: boolean): void {
  allowTF32 = allow;
}

export function getAllowTF32(): boolean {
  return allowTF32;
}

/** Whether a CUDA device can be used here, and if not, why (never throws). */
export function cudaAvailability(addonPath?: string): { available: true; device: number } | { available: false; reason: string } {
  let native: NativeModule;
  try {
    native = loadNative(addonPath);
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
  const { count, error } = native.deviceCount();
  if (error !== null) return { available: false, reason: `no CUDA device: the CUDA driver reports ${error}` };
  const device = deviceOrdinal();
  if (count === 0) return { available: false, reason: 'no CUDA device: the driver found no GPU' };
  if (device >= count) return { available: false, reason: `no CUDA device ${device}: only ${count} present (TENSILE_CUDA_DEVICE)` };
  return { available: true, device };
}

function deviceOrdinal(): number {
  const env = process.env.TENSILE_CUDA_DEVICE;
  const n = env === undefined || env === '' ? 0 : Number(env);
  if (!Number.isInteger(n) || n < 0) throw new Error(`cuda backend: TENSILE_CUDA_DEVICE='${env}' is not a device number`);
  return n;
}

export interface CreateCudaBackendOptions {
  /** The addon to load (default: build/Release/tensile_cuda.node, or TENSILE_CUDA_ADDON). */
  addonPath?: string;
  /** Device ordinal (default: TENSILE_CUDA_DEVICE or 0). */
  device?: number;
}

/** Load the addon, check for a device and start the backend; rejects with a clear reason. */
export async function createCudaBackend(options: CreateCudaBackendOptions = {}): Promise<CudaBackend> {
  const native = loadNative(options.addonPath);
  const { count, error } = native.deviceCount();
  if (error !== null) {
    throw new Error(
      `cuda backend: no CUDA device: the CUDA driver reports ${error}. ` +
        'A CUDA-capable NVIDIA GPU and its driver (libcuda.so.1) are needed; use the cpu or wasm backend otherwise',
    );
  }
  const device = options.device ?? deviceOrdinal();
  if (count === 0) throw new Error('cuda backend: no CUDA device: the driver is installed but found no GPU');
  if (device >= count) throw new Error(`cuda backend: no CUDA device ${device}; ${count} present`);
  const info: DeviceInfo = native.init(device);
  if (info.major < 8) {
    throw new Error(
      `cuda backend: ${info.name} has compute capability ${info.major}.${info.minor}; the kernels are built for 8.0 and newer (Ampere, Hopper)`,
    );
  }
  return new CudaBackend(native, info, { allowTF32: () => allowTF32 });
}

registerBackend({ name: 'cuda', factory: () => createCudaBackend() }, { priority: 3 });

export { CudaBackend } from './cuda-backend.js';
export { CudaBuffer } from './buffer.js';
export { loadNative, type DeviceInfo, type NativeModule } from './native.js';
export { sizeClass, CachingAllocator, type AllocatorStats } from './allocator.js';
