/** A stand-in for the addon that records calls, so marshalling can be tested without a GPU. */
import { DTYPE_CODES, type DType } from '@tensile/core';
import type { DeviceInfo, NativeModule } from '../src/native.js';

const DTYPE_NAMES = new Map(Object.entries(DTYPE_CODES).map(([name, code]) => [code as number, name as DType]));

export interface RecordedLaunch {
  /** The kernel as src/kernels/launch.ts names it: family, op code and input dtype (by name). */
  kernel: { family: string; op: number; dtype: DType };
  grid: [number, number, number];
  block: [number, number, number];
  args: Uint8Array;
}

export const FAKE_DEVICE: DeviceInfo = {
  ordinal: 0, name: 'Fake H200', major: 9, minor: 0, multiProcessorCount: 132, totalMemory: 141e9,
  sharedMemoryPerBlock: 49152, driverVersion: 13000, runtimeVersion: 13000,
};

export class FakeNative implements NativeModule {
  launches: RecordedLaunch[] = [];
  calls: string[] = [];
  freed: number[] = [];
  uploads: { pointer: number; bytes: number }[] = [];
  downloads: { pointer: number; bytes: number }[] = [];
  /** Bytes cudaMalloc may hand out before reporting out-of-memory. */
  capacity = Infinity;
  private next = 0x7f00_0000_0000;
  private used = new Map<number, number>();

  deviceCount() {
    return { count: 1, error: null };
  }
  runtimeVersion() {
    return 13000;
  }
  init() {
    return FAKE_DEVICE;
  }
  malloc(bytes: number): number {
    this.calls.push(`malloc ${bytes}`);
    const inUse = [...this.used.values()].reduce((a, b) => a + b, 0);
    if (inUse + bytes > this.capacity) {
      throw Object.assign(new Error(`cuda backend: out of device memory (cudaMalloc of ${bytes} bytes)`), { code: 'CUDA_OUT_OF_MEMORY' });
    }
    const pointer = this.next;
    this.next += Math.ceil(bytes / 512) * 512 + 512;
    this.used.set(pointer, bytes);
    return pointer;
  }
  free(pointer: number): void {
    this.calls.push(`free ${pointer}`);
    this.used.delete(pointer);
    this.freed.push(pointer);
  }
  upload(pointer: number, data: ArrayBufferView): void {
    this.uploads.push({ pointer, bytes: data.byteLength });
  }
  download(pointer: number, bytes: number): Promise<ArrayBuffer> {
    this.calls.push('download');
    this.downloads.push({ pointer, bytes });
    return Promise.resolve(new ArrayBuffer(bytes));
  }
  downloadSync(pointer: number, bytes: number): ArrayBuffer {
    this.calls.push('downloadSync');
    this.downloads.push({ pointer, bytes });
    return new ArrayBuffer(bytes);
  }
  launch(
    family: string, op: number, dtype: number, gx: number, gy: number, gz: number, bx: number, by: number, bz: number,
    _shared: number, args: Uint8Array,
  ): void {
    const name = DTYPE_NAMES.get(dtype);
    if (name === undefined) throw new Error(`fake addon: launch with unknown dtype code ${dtype}`);
    this.calls.push(`launch ${family}`);
    this.launches.push({ kernel: { family, op, dtype: name }, grid: [gx, gy, gz], block: [bx, by, bz], args: args.slice() });
  }
  synchronize(): void {
    this.calls.push('synchronize');
  }
  synchronizeAsync(): Promise<void> {
    return Promise.resolve();
  }
  memoryStats() {
    return { deviceFree: 0, deviceTotal: 0, pinnedBytes: 0, pinnedCachedBytes: 0 };
  }
  emptyCache(): void {
    this.calls.push('emptyCache');
  }
  kernels() {
    return [];
  }
  layouts() {
    return {};
  }
}
