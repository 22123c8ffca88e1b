// The caching allocator's size classes, reuse, statistics and out-of-memory retry, on a fake addon.
import { describe, expect, it } from 'vitest';
import { CachingAllocator, sizeClass } from '../src/allocator.js';
import { FakeNative } from './fake-native.js';

describe('sizeClass', () => {
  it('rounds small requests up to 512 bytes', () => {
    expect(sizeClass(0)).toBe(0);
    expect(sizeClass(1)).toBe(512);
    expect(sizeClass(512)).toBe(512);
    expect(sizeClass(513)).toBe(1024);
    expect(sizeClass(1 << 20)).toBe(1 << 20);
  });

  it('uses four classes per power of two above 1 MiB, wasting at most 25%', () => {
    const M = 1 << 20;
    expect(sizeClass(M + 1)).toBe(1.25 * M);
    expect(sizeClass(1.3 * M)).toBe(1.5 * M);
    expect(sizeClass(2 * M)).toBe(2 * M);
    expect(sizeClass(2 * M + 1)).toBe(2.5 * M);
    expect(sizeClass(7 * M)).toBe(7 * M);
    expect(sizeClass(1000 * M)).toBe(1024 * M);
    for (let b = 1; b < 1e10; b = Math.ceil(b * 1.37) + 1) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      if (b > M) expect(c / b).toBeLessThanOrEqual(1.25);
    }
  });
});

describe('CachingAllocator', () => {
  it('reuses a freed block of the same class without cudaMalloc', () => {
    const native = new FakeNative();
    const alloc = new CachingAllocator(native);
    const a = alloc.alloc(1000);
    expect(a.bytes).toBe(1024);
    alloc.release(a);
    const b = alloc.alloc(1020); // same class
    expect(b.pointer).toBe(a.pointer);
    const c = alloc.alloc(5000); // another class
    expect(c.pointer).not.toBe(a.pointer);
    expect(native.calls.filter((c) => c.startsWith('malloc'))).toEqual(['malloc 1024', 'malloc 5120']);
    const s = alloc.stats();
    expect(s).toMatchObject({ requestedBytes: 6020, allocatedBytes: 6144, cachedBytes: 0, liveBlocks: 2, mallocs: 2, cacheHits: 1 });
  });

  it('counts cached bytes and returns them with emptyCache after a stream sync', () => {
    const native = new FakeNative();
    const alloc = new CachingAllocator(native);
    const blocks = [alloc.alloc(100), alloc.alloc(3 << 20), alloc.alloc(100)];
    blocks.forEach((b) => alloc.release(b));
    expect(alloc.stats()).toMatchObject({ liveBlocks: 0, requestedBytes: 0, cachedBlocks: 3, cachedBytes: 512 * 2 + (3 << 20) });
    expect(alloc.stats().peakAllocatedBytes).toBe(512 * 2 + (3 << 20));
    alloc.emptyCache();
    expect(native.calls.at(-4)).toBe('synchronize'); // the stream drains before any cudaFree
    expect(native.freed.sort()).toEqual(blocks.map((b) => b.pointer).sort());
    expect(alloc.stats()).toMatchObject({ cachedBlocks: 0, cachedBytes: 0 });
  });

  it('hands out zero-byte blocks without touching the device', () => {
    const native = new FakeNative();
    const alloc = new CachingAllocator(native);
    const z = alloc.alloc(0);
    expect(z).toMatchObject({ pointer: 0, bytes: 0 });
    alloc.release(z);
    expect(native.calls).toEqual([]);
  });

  it('rejects double frees', () => {
    const alloc = new CachingAllocator(new FakeNative());
    const a = alloc.alloc(10);
    alloc.release(a);
    expect(() => alloc.release(a)).toThrow(/freed twice/);
  });

  it('on out-of-memory empties the cache and retries once, then reports usage', () => {
    const native = new FakeNative();
    native.capacity = 4 << 20;
    const alloc = new CachingAllocator(native);
    const a = alloc.alloc(3 << 20);
    alloc.release(a); // 3 MiB cached
    const b = alloc.alloc(2 << 20); // does not fit beside the cached block: cache emptied, retried
    expect(b.bytes).toBe(2 << 20);
    expect(native.freed).toEqual([a.pointer]);
    expect(() => alloc.alloc(3 << 20)).toThrow(/cannot allocate 3\.0 MiB \(2\.0 MiB in use by tensors, 0\.0 MiB cached\)/);
  });
});
