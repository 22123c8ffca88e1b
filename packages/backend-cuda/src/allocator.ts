/**
 * A caching device allocator in the manner of PyTorch's: freed blocks go to per-size-class
 * free lists and are handed out again without cudaMalloc/cudaFree (both slow, and cudaFree
 * synchronises the device). Reuse is safe because every kernel and copy runs on the
 * backend's one stream, in order: work queued after a block is reused runs after work
 * queued before it was freed. `emptyCache()` returns the cached blocks to the driver.
 *
 * Size classes: up to 1 MiB, multiples of 512 bytes; above, four classes per power of two
 * (2^k, 1.25 2^k, 1.5 2^k, 1.75 2^k), so rounding wastes at most 25%.
 */
import type { DevicePointer, NativeModule } from './native.js';

const SMALL_LIMIT = 1 << 20;
const SMALL_STEP = 512;

/** The size class (bytes actually reserved) for a request of `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= 0) return 0;
  if (bytes <= SMALL_LIMIT) return Math.ceil(bytes / SMALL_STEP) * SMALL_STEP;
  let power = SMALL_LIMIT;
  while (power * 2 <= bytes) power *= 2;
  const step = power / 4;
  return Math.ceil(bytes / step) * step;
}

/** A block of device memory handed out by the allocator. */
export interface Block {
  readonly pointer: DevicePointer;
  /** Bytes reserved (the size class). */
  readonly bytes: number;
  /** Bytes asked for. */
  readonly requested: number;
  released: boolean;
}

export interface AllocatorStats {
  /** Bytes asked for by live blocks. */
  readonly requestedBytes: number;
  /** Bytes reserved by live blocks (their size classes). */
  readonly allocatedBytes: number;
  /** Bytes held in the free lists for reuse. */
  readonly cachedBytes: number;
  readonly liveBlocks: number;
  readonly cachedBlocks: number;
  /** Highest allocatedBytes seen. */
  readonly peakAllocatedBytes: number;
  /** cudaMalloc calls, and allocations served from the cache. */
  readonly mallocs: number;
  readonly cacheHits: number;
}

type NativeMemory = Pick<NativeModule, 'malloc' | 'free' | 'synchronize'>;

export class CachingAllocator {
  private readonly freeLists = new Map<number, DevicePointer[]>();
  private requested = 0;
  private allocated = 0;
  private cached = 0;
  private live = 0;
  private cachedCount = 0;
  private peak = 0;
  private mallocs = 0;
  private hits = 0;

  constructor(private readonly native: NativeMemory) {}

  alloc(bytes: number): Block {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`cuda backend: cannot allocate ${bytes} bytes; the size must be a non-negative integer`);
    }
    const cls = sizeClass(bytes);
    let pointer = 0;
    if (cls > 0) {
      const list = this.freeLists.get(cls);
      if (list && list.length > 0) {
        pointer = list.pop()!;
        this.cached -= cls;
        this.cachedCount--;
        this.hits++;
      } else {
        pointer = this.malloc(cls, bytes);
      }
    }
    this.requested += bytes;
    this.allocated += cls;
    this.live++;
    this.peak = Math.max(this.peak, this.allocated);
    return { pointer, bytes: cls, requested: bytes, released: false };
  }

  private malloc(cls: number, requested: number): DevicePointer {
    this.mallocs++;
    try {
      return this.native.malloc(cls);
    } catch (first) {
      if ((first as { code?: string }).code !== 'CUDA_OUT_OF_MEMORY' || this.cached === 0) throw this.outOfMemory(requested, first);
      // As PyTorch: give the cache back to the driver and try once more.
      this.emptyCache();
      try {
        return this.native.malloc(cls);
      } catch (second) {
        throw this.outOfMemory(requested, second);
      }
    }
  }

  private outOfMemory(requested: number, cause: unknown): Error {
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    return new Error(
      `cuda backend: cannot allocate ${mib(requested)} (${mib(this.allocated)} in use by tensors, ${mib(this.cached)} cached): ` +
        `${(cause as Error).message}; dispose tensors you no longer need (tl.tidy, t.dispose())`,
      { cause },
    );
  }

  /** Return a block to its free list. */
  release(block: Block): void {
    if (block.released) throw new Error('cuda backend: buffer freed twice');
    block.released = true;
    this.requested -= block.requested;
    this.allocated -= block.bytes;
    this.live--;
    if (block.bytes === 0) return;
    let list = this.freeLists.get(block.bytes);
    if (!list) this.freeLists.set(block.bytes, (list = []));
    list.push(block.pointer);
    this.cached += block.bytes;
    this.cachedCount++;
  }

  /** cudaFree every cached block (after the stream drains, so no queued work still uses one). */
  emptyCache(): void {
    if (this.cachedCount === 0) return;
    this.native.synchronize();
    for (const list of this.freeLists.values()) {
      for (const pointer of list) this.native.free(pointer);
    }
    this.freeLists.clear();
    this.cached = 0;
    this.cachedCount = 0;
  }

  stats(): AllocatorStats {
    return {
      requestedBytes: this.requested,
      allocatedBytes: this.allocated,
      cachedBytes: this.cached,
      liveBlocks: this.live,
      cachedBlocks: this.cachedCount,
      peakAllocatedBytes: this.peak,
      mallocs: this.mallocs,
      cacheHits: this.hits,
    };
  }
}
