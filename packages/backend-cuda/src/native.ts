/**
 * The native addon's surface, declared once. The addon (native/addon.cc) is a thin layer
 * over the CUDA runtime: raw device memory, copies, launching a kernel by its codes (family,
 * op code, dtype code) with a packed argument block, stream synchronisation and device
 * queries. Everything else (choosing kernels, shapes and strides, the caching allocator) is
 * TypeScript.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A device address: a plain number (CUDA addresses on Linux lie far below 2^53). */
export type DevicePointer = number;

export interface DeviceInfo {
  readonly ordinal: number;
  readonly name: string;
  /** Compute capability, e.g. 9.0 for an H100/H200. */
  readonly major: number;
  readonly minor: number;
  readonly multiProcessorCount: number;
  readonly totalMemory: number;
  readonly sharedMemoryPerBlock: number;
  readonly driverVersion: number;
  readonly runtimeVersion: number;
}

export interface NativeMemoryStats {
  /** Free and total device memory (cudaMemGetInfo); 0 before init. */
  readonly deviceFree: number;
  readonly deviceTotal: number;
  /** Pinned host staging memory for asynchronous reads, and how much of it is idle. */
  readonly pinnedBytes: number;
  readonly pinnedCachedBytes: number;
}

export interface NativeKernelInfo {
  /** The kernel symbol, `<op>_<dtype>`, e.g. `add_f32`. */
  readonly name: string;
  /** What it is launched as (src/kernels/launch.ts KernelRef): family, op code, input dtype code. */
  readonly family: string;
  readonly op: number;
  readonly dtype: number;
  /** sizeof its argument struct. */
  readonly paramBytes: number;
  /** That struct's name (src/params.ts LAYOUTS). */
  readonly paramType: string;
}

export interface NativeLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

export interface NativeModule {
  /** Devices visible; `error` (e.g. `cudaErrorInsufficientDriver: ...`) when the query failed. */
  deviceCount(): { count: number; error: string | null };
  /** The CUDA runtime version linked in (e.g. 13000). */
  runtimeVersion(): number;
  /** Select a device and create the backend's stream. */
  init(device: number): DeviceInfo;
  /** Raw cudaMalloc; throws an error with code `CUDA_OUT_OF_MEMORY` when memory runs out. */
  malloc(bytes: number): DevicePointer;
  /** Raw cudaFree (synchronises the device). */
  free(pointer: DevicePointer): void;
  /** Host to device, queued on the stream; `data` may be reused as soon as this returns. */
  upload(pointer: DevicePointer, data: ArrayBufferView): void;
  /** Device to host through pinned memory; resolves once the stream has done it, without blocking. */
  download(pointer: DevicePointer, bytes: number): Promise<ArrayBuffer>;
  /** Device to host, waiting for the stream. */
  downloadSync(pointer: DevicePointer, bytes: number): ArrayBuffer;
  /**
   * Queue the kernel filed under (family, op, dtype) on the stream; `args` is its argument
   * struct, packed (src/params.ts). Throws, naming the kernel, when the addon has none such.
   */
  launch(
    family: string, op: number, dtype: number, gridX: number, gridY: number, gridZ: number,
    blockX: number, blockY: number, blockZ: number, sharedBytes: number, args: Uint8Array,
  ): void;
  /** Wait for the stream (blocking). */
  synchronize(): void;
  /** Resolves once the stream has drained, without blocking the event loop. */
  synchronizeAsync(): Promise<void>;
  memoryStats(): NativeMemoryStats;
  /** Release idle pinned staging buffers. */
  emptyCache(): void;
  /** Every kernel the addon holds: each (op, dtype) kernel its generated lists instantiate, and the rest. */
  kernels(): NativeKernelInfo[];
  /** sizeof/offsetof of each argument struct, to check the built structs against src/params.ts. */
  layouts(): Record<string, NativeLayout>;
}

/** Where the addon is built (`build/Release/tensile_cuda.node`, next to src/ and dist/). */
export const DEFAULT_ADDON_PATH = fileURLToPath(new URL('../build/Release/tensile_cuda.node', import.meta.url));

export const BUILD_HINT =
  'build it with `npx tensile-cuda build` (`pnpm exec tensile-cuda build` in a pnpm project), which needs the CUDA toolkit (nvcc) and a C++ compiler';

/** The addon, or an error that says why it cannot be loaded and how to build it. */
export function loadNative(path: string = process.env.TENSILE_CUDA_ADDON ?? DEFAULT_ADDON_PATH): NativeModule {
  if (!existsSync(path)) {
    throw new Error(`cuda backend: the native addon is not built (${path} is missing); ${BUILD_HINT}`);
  }
  const require = createRequire(import.meta.url);
  try {
    return require(path) as NativeModule;
  } catch (cause) {
    throw new Error(
      `cuda backend: the native addon at ${path} failed to load (${(cause as Error).message}); rebuild it: ${BUILD_HINT}`,
      { cause },
    );
  }
}
