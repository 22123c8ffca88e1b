/**
 * The execution engine under the kernels: buffers and their pool, the pipeline cache, the
 * command queue that batches dispatches into few submits, reads through staging buffers,
 * and error tracking (validation, out-of-memory, device loss).
 *
 * Ordering: every dispatch is recorded into one command encoder (one compute pass at a
 * time); the encoder is submitted when a read needs its results, before a host write, or
 * every {@link Runtime.maxBatch} dispatches. Because the queue executes submits in order,
 * a freed buffer can be handed out again at once: work recorded later runs later.
 */
import type { BufferHandle, DType } from '@tensile/core';
import { isCpuAdapter } from './device.js';
import { toHalfBits } from './half.js';
import { BIND_GROUPS, PARAM_WORDS, type Params } from './wgsl.js';

/** Bytes per stored element: float16 takes 2 (f16); bool is held as a u32 (0 or 1), so the rest take 4. */
export function storedBytes(dtype: DType): number {
  return dtype === 'float16' ? 2 : 4;
}
const MIN_BUFFER_BYTES = 16;
/** Uniform data of one dispatch occupies one 256-byte slot of the arena. */
const SLOT_BYTES = PARAM_WORDS * 4;
const ARENA_SLOTS = 256;
/** Bind groups of shared last groups (kernels with more buffers than groups) kept for reuse; past this the cache starts over. */
const MAX_SHARED_GROUPS = 4096;
/** Submits kept in flight before the runtime asks the queue which of them have run. */
const RELEASE_EVERY = 32;

/** Cache key of a bind group layout: `u` for the uniform block, then `r`/`w` per storage buffer. */
function groupLayoutKey(uniform: boolean, writes: readonly boolean[]): string {
  return (uniform ? 'u' : '') + writes.map((w) => (w ? 'w' : 'r')).join('');
}

/** Bytes of the error word: [kernel code, bad index, dim size, unused]. */
const ERROR_WORD_BYTES = 16;

/** Codes of the kernels that record bad indices, as the error names them. */
export const INDEX_KERNEL_CODES = { gather: 1, scatterAdd: 2 } as const;
const INDEX_KERNELS: Record<number, string> = { 1: 'gather', 2: 'scatterAdd' };
/** The ops that reach each kernel, so the message points at the user's call. */
const INDEX_USERS: Record<number, string> = {
  1: 'gather, or an op built on it: indexSelect, embedding, take, takeAlongDim, advanced indexing, crossEntropy or nllLoss',
  2: "scatterAdd, or an op built on it: indexAdd, gather's or indexSelect's gradient",
};

/**
 * WGSL that records a bad index in the error word bound as `err`: the first one wins (the
 * compare-exchange is weak, so it retries while the word is still free).
 */
export const INDEX_ERROR_WGSL = `
fn report_bad_index(kernel: u32, j: i32, size: i32) {
  loop {
    let r = atomicCompareExchangeWeak(&err[0], 0u, kernel);
    if (r.exchanged) {
      atomicStore(&err[1], bitcast<u32>(j));
      atomicStore(&err[2], u32(size));
      return;
    }
    if (r.old_value != 0u) { return; }
  }
}`;

const USAGE_STORAGE = 0x80; // GPUBufferUsage.STORAGE
const USAGE_COPY_SRC = 0x04;
const USAGE_COPY_DST = 0x08;
const USAGE_MAP_READ = 0x01;
const USAGE_UNIFORM = 0x40;
const MAP_MODE_READ = 0x01;

/** A buffer of the webgpu backend: a pooled GPUBuffer behind an opaque handle. */
export class GpuBuffer implements BufferHandle {
  declare readonly __brand?: 'tensile.BufferHandle';
  freed = false;
  constructor(
    readonly buffer: GPUBuffer,
    /** Elements the buffer was allocated for. */
    readonly size: number,
    readonly dtype: DType,
    /** Bytes of the GPUBuffer (its pool size class). */
    readonly bytes: number,
  ) {}
}

/** Unwrap a handle; throws for foreign or freed handles. */
export function gpuBufferOf(handle: BufferHandle): GpuBuffer {
  if (!(handle instanceof GpuBuffer)) {
    throw new Error("webgpu backend: received a buffer that belongs to another backend; move the tensor with t.to('webgpu') first");
  }
  if (handle.freed) throw new Error('webgpu backend: buffer used after it was freed');
  return handle;
}

/** Size class: the next power of two of at least 16 bytes. */
function sizeClass(bytes: number): number {
  let c = MIN_BUFFER_BYTES;
  while (c < bytes) c *= 2;
  return c;
}

/**
 * The bytes to allocate for `bytes` of data: its pooled size class, or the size itself (in
 * whole words) where the class would pass the binding limit, so that a tensor that fits the
 * limit is never refused for its rounding (limits such as 2^31 - 4 are not powers of two).
 */
export function bufferBytes(bytes: number, limit: number): number {
  const c = sizeClass(bytes);
  return c <= limit ? c : Math.ceil(bytes / 4) * 4;
}

export interface KernelSource {
  /** Cache key: kernel and variant (op, dtypes, rank...), never sizes. */
  key: string;
  /** Builds the WGSL, run once per key. */
  wgsl: () => string;
  /** Per storage binding (after the uniform block at binding 0): whether the kernel writes it. */
  writes: readonly boolean[];
}

export class Runtime {
  /** Dispatches recorded before a submit is forced. */
  maxBatch = 128;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly retained: object[] = [];
  /**
   * Each submit's encoder and command buffer, kept reachable until the GPU has run it: a read
   * or `sync()` shows that, and so does the queue when many are kept (`releaseWhenRun`), so a
   * loop that never reads keeps no more than the GPU has yet to run.
   */
  private readonly inFlight: { submit: number; objects: object[] }[] = [];
  private submits = 0;
  private releasing = false;
  /** Per buffer, its one-buffer bind groups by layout key (see `groupsFor`). */
  private readonly ownGroups = new WeakMap<GPUBuffer, Map<string, GPUBindGroup>>();
  /** Bind groups of a last group shared by several buffers, by layout key and buffer ids. */
  private readonly sharedGroups = new Map<string, GPUBindGroup>();
  /** Per kernel write pattern, each bind group's layout and its cache key. */
  private readonly pipelineLayouts = new Map<string, { layout: GPUBindGroupLayout; key: string }[]>();
  private madeBindGroups = 0;
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  private readonly arena: GPUBuffer;
  private readonly arenaHost = new Uint32Array((ARENA_SLOTS * SLOT_BYTES) / 4);
  private arenaUsed = 0;
  private failure: Error | null = null;
  private reportFailure!: (error: Error) => void;
  /** Settles with the first failure (a lost device, running out of memory, a device error): the device is unusable from then on. */
  readonly failed = new Promise<Error>((resolve) => (this.reportFailure = resolve));
  /**
   * The device-side error word of the kernels that read indices: [kernel code, the bad
   * index, the dim's size, unused], zero while no index was out of range. A kernel cannot
   * throw, so it records the first bad index here and the next read or sync raises it.
   */
  private readonly errorWord: GPUBuffer;
  /** Whether a kernel that may write the error word ran since the word was last read. */
  private errorWordUsed = false;
  liveBytes = 0;
  liveBuffers = 0;
  cachedBytes = 0;

  /** Whether the adapter runs shaders on the CPU (see {@link isCpuAdapter}). */
  readonly cpu: boolean;

  constructor(
    readonly device: GPUDevice,
    readonly adapterDescription: string,
  ) {
    this.cpu = isCpuAdapter(adapterDescription);
    this.arena = device.createBuffer({ size: ARENA_SLOTS * SLOT_BYTES, usage: USAGE_UNIFORM | USAGE_COPY_DST });
    this.errorWord = device.createBuffer({ size: ERROR_WORD_BYTES, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST });
    device.queue.writeBuffer(this.errorWord, 0, new Uint32Array(ERROR_WORD_BYTES / 4));
    device.addEventListener?.('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      const kind = error?.constructor?.name === 'GPUOutOfMemoryError' ? 'ran out of memory' : 'reported an error';
      this.fail(new Error(`webgpu backend: the device ${kind}: ${error.message}; its tensors cannot be used. await tl.setBackend('webgpu') (or tl.ready('webgpu')) starts a new device`));
    });
    void device.lost.then((info) => {
      if (info.reason === 'destroyed' && this.failure) return;
      this.fail(new Error(`webgpu backend: the GPU device was lost (${info.reason}: ${info.message}); results since the last read are unavailable, and its tensors cannot be used. await tl.setBackend('webgpu') (or tl.ready('webgpu')) starts a new device`));
    });
  }

  /** Remember the first failure; every later operation throws it. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.reportFailure(error);
  }

  /** Throw a failure reported since the last operation. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  // ---- memory -----------------------------------------------------------------------------

  alloc(size: number, dtype: DType): GpuBuffer {
    this.check();
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`webgpu backend: cannot allocate ${size} elements of ${dtype}; the size must be a non-negative integer`);
    }
    const limit = this.device.limits.maxStorageBufferBindingSize;
    const bytes = bufferBytes(size * storedBytes(dtype), limit);
    if (bytes > limit) {
      throw new RangeError(
        `webgpu backend: cannot allocate ${size} elements of ${dtype} (${bytes} bytes): the adapter binds at most ${limit} bytes per buffer`,
      );
    }
    let buffer = this.pool.get(bytes)?.pop();
    if (buffer) {
      this.cachedBytes -= bytes;
    } else {
      // An out-of-memory error arrives through 'uncapturederror' and fails the next operation.
      // (Not an error scope per allocation: Dawn's Node binding deadlocks with many pending
      // popErrorScope promises.)
      buffer = this.device.createBuffer({ size: bytes, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST });
    }
    this.liveBytes += bytes;
    this.liveBuffers++;
    return new GpuBuffer(buffer, size, dtype, bytes);
  }

  free(handle: BufferHandle): void {
    const b = gpuBufferOf(handle);
    b.freed = true;
    this.liveBytes -= b.bytes;
    this.liveBuffers--;
    let list = this.pool.get(b.bytes);
    if (!list) this.pool.set(b.bytes, (list = []));
    list.push(b.buffer);
    this.cachedBytes += b.bytes;
  }

  /** Destroy every pooled buffer. */
  emptyCache(): void {
    this.flush();
    for (const list of this.pool.values()) for (const buffer of list) buffer.destroy();
    this.pool.clear();
    this.sharedGroups.clear(); // some bound buffers were just destroyed (their own groups go with them)
    this.cachedBytes = 0;
  }

  /** Host data into the start of a buffer, ordered after all work recorded so far. */
  write(target: GpuBuffer, data: ArrayBufferView & { length: number }, dtype: DType): void {
    this.check();
    if (data.length > target.size) {
      throw new RangeError(`webgpu backend: cannot write ${data.length} elements into a buffer of ${target.size}`);
    }
    if (data.length === 0) return;
    // float16 becomes f16 bits, padded to whole 4-byte words: for an odd count the pad
    // would overwrite the next element (WebGPUBackend.write avoids that for partial writes).
    const words =
      dtype === 'bool' ? Uint32Array.from(data as Uint8Array)
      : dtype === 'float16' ? toHalfBits(data as Float32Array)
      : (data as Float32Array | Int32Array).subarray(0, data.length);
    this.flush(); // recorded work that reads this (reused) buffer must run before the write
    this.device.queue.writeBuffer(target.buffer, 0, words as Uint32Array<ArrayBuffer>);
  }

  /**
   * The error word, for a kernel that reads indices to bind (as a `read_write` buffer of
   * `atomic<u32>`; see {@link INDEX_ERROR_WGSL}).
   */
  indexErrorWord(): GPUBuffer {
    this.errorWordUsed = true;
    return this.errorWord;
  }

  /** Copy `count` elements of `dtype` from the start of `source` to the host (in whole 4-byte words). */
  async readBack(source: GPUBuffer, count: number, dtype: DType): Promise<ArrayBuffer> {
    this.check();
    const bytes = Math.max(Math.ceil((count * storedBytes(dtype)) / 4) * 4, 4);
    const staging = this.device.createBuffer({ size: bytes, usage: USAGE_MAP_READ | USAGE_COPY_DST });
    const encoder = this.commandEncoder();
    this.endPass();
    encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
    // The error word travels with the values, so a bad index in the work behind them is raised here.
    const errorStaging = this.errorWordUsed ? this.device.createBuffer({ size: ERROR_WORD_BYTES, usage: USAGE_MAP_READ | USAGE_COPY_DST }) : null;
    if (errorStaging) encoder.copyBufferToBuffer(this.errorWord, 0, errorStaging, 0, ERROR_WORD_BYTES);
    this.errorWordUsed = false;
    this.flush();
    const submitted = this.submits;
    try {
      await Promise.all([staging.mapAsync(MAP_MODE_READ), errorStaging?.mapAsync(MAP_MODE_READ)]);
    } catch (cause) {
      staging.destroy();
      errorStaging?.destroy();
      this.check();
      throw new Error(`webgpu backend: reading a buffer failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    // Everything submitted up to this read has run: its objects may go.
    this.release(submitted);
    const result = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    let indexError: Error | null = null;
    if (errorStaging) {
      indexError = this.indexError(new Uint32Array(errorStaging.getMappedRange().slice(0)));
      errorStaging.unmap();
      errorStaging.destroy();
    }
    this.check(); // an error in the work that produced these values makes them unusable
    if (indexError) throw indexError;
    return result;
  }

  /** The error a recorded bad index raises (clearing the word for later work), or null. */
  private indexError(word: Uint32Array): Error | null {
    const [code, bits, size] = word;
    if (code === 0) return null;
    this.device.queue.writeBuffer(this.errorWord, 0, new Uint32Array(ERROR_WORD_BYTES / 4));
    const index = bits | 0; // the i32 the kernel stored as raw bits
    const kernel = INDEX_KERNELS[code] ?? `kernel ${code}`;
    return new RangeError(
      `${kernel}: index ${index} is out of bounds for a dim of size ${size} (webgpu found it in an earlier op: ${INDEX_USERS[code] ?? kernel}; ` +
        'a GPU backend reports a bad index at the next read or sync, as PyTorch reports CUDA device-side asserts)',
    );
  }

  // ---- kernels ----------------------------------------------------------------------------

  /**
   * The layout of one bind group: the uniform block at binding 0 when `uniform` (group 0),
   * then storage buffers, read-only or written as `writes` says.
   */
  private groupLayout(uniform: boolean, writes: readonly boolean[]): GPUBindGroupLayout {
    const key = groupLayoutKey(uniform, writes);
    let layout = this.layouts.get(key);
    if (!layout) {
      const first = uniform ? 1 : 0;
      const entries: GPUBindGroupLayoutEntry[] = [
        // The uniform slot moves per dispatch through a dynamic offset, so a bind group
        // depends only on the storage buffers it binds and can be reused.
        ...(uniform ? [{ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform', hasDynamicOffset: true } } as const] : []),
        ...writes.map((w, i): GPUBindGroupLayoutEntry => ({
          binding: first + i,
          visibility: 4,
          buffer: { type: w ? 'storage' : 'read-only-storage' },
        })),
      ];
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** The storage buffers' flags split into bind groups as wgsl.ts's `bindingSlot` places them. */
  private static groupsOf<T>(items: readonly T[]): T[][] {
    if (items.length === 0) return [[]]; // group 0 still holds the uniform block
    const groups = items.slice(0, BIND_GROUPS - 1).map((item) => [item]);
    if (items.length >= BIND_GROUPS) groups.push(items.slice(BIND_GROUPS - 1));
    return groups;
  }

  /** The bind group layouts (and their keys) of a kernel whose storage buffers are written as `writes` says. */
  private layoutsFor(writes: readonly boolean[]): { layout: GPUBindGroupLayout; key: string }[] {
    const key = writes.map((w) => (w ? 'w' : 'r')).join('');
    let layouts = this.pipelineLayouts.get(key);
    if (!layouts) {
      layouts = Runtime.groupsOf(writes).map((group, g) => ({ layout: this.groupLayout(g === 0, group), key: groupLayoutKey(g === 0, group) }));
      this.pipelineLayouts.set(key, layouts);
    }
    return layouts;
  }

  private pipelineFor(kernel: KernelSource): GPUComputePipeline {
    let pipeline = this.pipelines.get(kernel.key);
    if (!pipeline) {
      const code = kernel.wgsl();
      const module = this.device.createShaderModule({ code, label: kernel.key });
      const layout = this.device.createPipelineLayout({ bindGroupLayouts: this.layoutsFor(kernel.writes).map((group) => group.layout) });
      pipeline = this.device.createComputePipeline({ layout, compute: { module, entryPoint: 'main' }, label: kernel.key });
      // Keep the module and layout reachable as long as the pipeline: Dawn's Node binding
      // releases objects when their JS wrappers are collected, and llvmpipe may still be
      // compiling from the module on another thread.
      this.retained.push(module, layout);
      this.pipelines.set(kernel.key, pipeline);
    }
    return pipeline;
  }

  /** Bind groups made so far: once the pool holds every buffer a loop uses, a step makes none. */
  get bindGroupsMade(): number {
    return this.madeBindGroups;
  }

  /** Number of compiled pipelines (the cache stays small: one per kernel variant). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private commandEncoder(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Record one dispatch of `kernel` over `buffers` (binding order) with `params`. */
  dispatch(kernel: KernelSource, buffers: readonly GPUBuffer[], params: Params, workgroups: readonly [number, number?, number?]): void {
    this.check();
    if (buffers.length !== kernel.writes.length) {
      throw new Error(`webgpu backend: kernel ${kernel.key} takes ${kernel.writes.length} buffers, got ${buffers.length}`);
    }
    const [x, y = 1, z = 1] = workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const pipeline = this.pipelineFor(kernel);
    if (this.arenaUsed === ARENA_SLOTS) this.flush();
    const slot = this.arenaUsed++;
    this.arenaHost.set(params.data, (slot * SLOT_BYTES) / 4);
    const groups = this.groupsFor(kernel.writes, buffers);
    const encoder = this.commandEncoder();
    this.pass ??= encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    groups.forEach((group, g) => this.pass!.setBindGroup(g, group, g === 0 ? [slot * SLOT_BYTES] : []));
    this.pass.dispatchWorkgroups(x, y, z);
    if (++this.pending >= this.maxBatch) this.flush();
  }

  /**
   * The bind groups for these buffers, made once and reused: a buffer alone in its group
   * keeps that group as long as the buffer lives, a shared last group is cached by the
   * buffers it binds. Every bind group made is garbage later, which V8 collects (and Dawn
   * then frees) late: made per dispatch they pile up until allocation fails inside the
   * Vulkan driver.
   */
  private groupsFor(writes: readonly boolean[], buffers: readonly GPUBuffer[]): GPUBindGroup[] {
    const layouts = this.layoutsFor(writes);
    return Runtime.groupsOf(buffers).map((members, g) => {
      const uniform = g === 0;
      const { layout, key: layoutKey } = layouts[g]!;
      const make = (): GPUBindGroup => {
        this.madeBindGroups++;
        const first = uniform ? 1 : 0;
        return this.device.createBindGroup({
          layout,
          entries: [
            ...(uniform ? [{ binding: 0, resource: { buffer: this.arena, offset: 0, size: SLOT_BYTES } }] : []),
            ...members.map((buffer, i) => ({ binding: first + i, resource: { buffer } })),
          ],
        });
      };
      if (members.length === 1) {
        const buffer = members[0]!;
        let own = this.ownGroups.get(buffer);
        if (!own) this.ownGroups.set(buffer, (own = new Map()));
        let group = own.get(layoutKey);
        if (!group) own.set(layoutKey, (group = make()));
        return group;
      }
      let key = layoutKey;
      for (const buffer of members) {
        let id = this.bufferIds.get(buffer);
        if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
        key += `:${id}`;
      }
      let group = this.sharedGroups.get(key);
      if (!group) {
        if (this.sharedGroups.size >= MAX_SHARED_GROUPS) this.sharedGroups.clear();
        this.sharedGroups.set(key, (group = make()));
      }
      return group;
    });
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaUsed > 0) {
      // Ordered on the queue after earlier submits, so the arena is reused safely.
      // Typed-array views only: Dawn's Node binding mishandles (ArrayBuffer, offset, size).
      this.device.queue.writeBuffer(this.arena, 0, this.arenaHost.subarray(0, (this.arenaUsed * SLOT_BYTES) / 4));
    }
    const encoder = this.encoder;
    const commands = encoder.finish();
    this.encoder = null;
    this.pending = 0;
    this.arenaUsed = 0;
    this.device.queue.submit([commands]);
    this.inFlight.push({ submit: ++this.submits, objects: [encoder, commands] });
    this.releaseWhenRun();
  }

  /**
   * Past `RELEASE_EVERY` kept submits, ask the queue when the ones so far have run, and again
   * after that while many are kept (the GPU may run far behind a loop that never reads).
   */
  private releaseWhenRun(): void {
    if (this.releasing || this.inFlight.length < RELEASE_EVERY) return;
    this.releasing = true;
    const submitted = this.submits;
    this.device.queue
      .onSubmittedWorkDone()
      // A failure here is the device's, which the next read or sync raises.
      .then(() => this.release(submitted), () => {})
      .finally(() => {
        this.releasing = false;
        this.releaseWhenRun();
      });
  }

  /** Drop what submits up to `submitted` kept reachable: the GPU has run them. */
  private release(submitted: number): void {
    let done = 0;
    while (done < this.inFlight.length && this.inFlight[done].submit <= submitted) done++;
    this.inFlight.splice(0, done);
  }

  /** Submits whose objects are still kept: no more than the GPU has yet to run, plus `RELEASE_EVERY`. */
  get submitsInFlight(): number {
    return this.inFlight.length;
  }

  /** Wait until the GPU has finished all submitted work. */
  async sync(): Promise<void> {
    if (this.errorWordUsed) {
      // Reading the word waits for all submitted work, and raises a bad index it recorded.
      await this.readBack(this.errorWord, ERROR_WORD_BYTES / 4, 'int32');
      return;
    }
    this.flush();
    const submitted = this.submits;
    await this.device.queue.onSubmittedWorkDone();
    this.release(submitted);
    this.check();
  }
}
