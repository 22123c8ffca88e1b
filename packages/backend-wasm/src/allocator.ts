/**
 * The linear-memory allocator. Blocks are carved from the top of the heap and, once freed,
 * kept on a free list per size class (16-byte steps up to 256 bytes, then four classes per
 * power of two), so a training loop that allocates the same shapes every step reuses the
 * same blocks and memory stays flat. The memory grows by whole pages when the top is
 * reached; WebAssembly's 4 GiB limit (65536 pages) is a clear error naming the request.
 */

const PAGE = 65536;
export const MAX_PAGES = 65536;

/** The byte size of the class that holds `bytes`. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return Math.max(16, Math.ceil(bytes / 16) * 16);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

export class Allocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Bytes sitting on free lists. */
  cachedBytes = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.top = heapBase;
  }

  /** A 16-byte-aligned block of at least `bytes`; returns [address, capacity]. */
  alloc(bytes: number, what: () => string): [number, number] {
    const capacity = sizeClass(bytes);
    const list = this.freeLists.get(capacity);
    if (list && list.length > 0) {
      this.cachedBytes -= capacity;
      return [list.pop()!, capacity];
    }
    const ptr = this.top;
    const end = ptr + capacity;
    this.ensure(end, capacity, what);
    this.top = end;
    return [ptr, capacity];
  }

  free(ptr: number, capacity: number): void {
    let list = this.freeLists.get(capacity);
    if (!list) this.freeLists.set(capacity, (list = []));
    list.push(ptr);
    this.cachedBytes += capacity;
  }

  /** Drop cached blocks that sit at the top of the heap, so the top can be reused by any size. */
  trim(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const [capacity, list] of this.freeLists) {
        const i = list.indexOf(this.top - capacity);
        if (i >= 0) {
          list.splice(i, 1);
          this.top -= capacity;
          this.cachedBytes -= capacity;
          changed = true;
        }
      }
    }
  }

  private ensure(end: number, request: number, what: () => string): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil(end / PAGE);
    if (needPages > MAX_PAGES) {
      throw new RangeError(
        `wasm backend: cannot allocate ${request} bytes for ${what()}: WebAssembly memory is limited to 4 GiB ` +
          `and ${have} bytes are in use or cached; free tensors (dispose/tidy) or use another backend for data this large`,
      );
    }
    // Grow by at least half of what we have, to keep the number of grows small.
    const havePages = have / PAGE;
    const pages = Math.min(MAX_PAGES, Math.max(needPages, Math.ceil(havePages * 1.5)));
    try {
      this.memory.grow(pages - havePages);
    } catch {
      try {
        this.memory.grow(needPages - havePages);
      } catch (cause) {
        throw new RangeError(
          `wasm backend: cannot allocate ${request} bytes for ${what()}: growing WebAssembly memory to ${needPages * PAGE} bytes failed`,
          { cause },
        );
      }
    }
  }
}
