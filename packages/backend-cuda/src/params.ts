/**
 * Argument structs: each kernel takes one of these records by value. `LAYOUTS` is their one
 * definition: `pnpm generate` writes the C structs into kernels/generated/ops.h from it, and
 * {@link ArgBlock} packs the same layout. Every field is 8 bytes (int64_t, a uint64_t device
 * address, or a double), so there is no padding to disagree about; the addon reports
 * sizeof/offsetof of each struct and test/native.test.ts checks both sides agree.
 *
 * Conventions: offsets and strides count elements; dims are merged on the host (core's
 * plans), so MAX_DIMS bounds the rank *after* merging.
 */
import { CONV_FIELDS, fieldsOf, layoutPlaces, POOL_FIELDS, type FieldKind, type RecordLayout } from '@tensile/core';

/** Dims a kernel indexes, after merging. */
export const MAX_DIMS = 8;
/** Views of one elementwise kernel (out and up to three inputs). */
export const MAX_OPERANDS = 4;
/** Tile edge of the GEMM kernels (kernels/gemm.cuh: a BM x BN = 64 x 64 block tile) and its K step. */
export const GEMM_TILE = 64;
export const GEMM_TILE_K = 16;
/** Pairs one block of the sort kernels sorts in shared memory, and its threads (one pair each per step). */
export const SORT_BLOCK = 1024;
export const SORT_THREADS = 512;
/** Threads per block of the strict float32 (SIMT) and the TF32 (WMMA) tile loops. */
export const GEMM_SIMT_THREADS = 256;
export const GEMM_TF32_THREADS = 128;

/** The constants device code shares with the host, generated as `TL_<NAME>`. */
export const DEVICE_CONSTANTS = {
  maxDims: MAX_DIMS,
  maxOperands: MAX_OPERANDS,
  gemmTile: GEMM_TILE,
  gemmTileK: GEMM_TILE_K,
  gemmSimtThreads: GEMM_SIMT_THREADS,
  gemmTf32Threads: GEMM_TF32_THREADS,
  sortBlock: SORT_BLOCK,
  sortThreads: SORT_THREADS,
} as const;

const D = MAX_DIMS;
const OPS = MAX_OPERANDS;

/** Every argument struct, field by field in declaration order. */
export const LAYOUTS = {
  // unary, binary, where, cast, copy, fill. Operand 0 is `out`, 1..3 are the inputs.
  ElementwiseParams: [
    ['n', 1], ['rank', 1], ['shape', D], ['offset', OPS], ['strides', [OPS, D]], ['ptr', OPS, 'pointer'],
    ['scalar', 1, 'float'], // fill of float32
    ['iscalar', 1], // fill of int32 and bool
  ],
  // reduce, argReduce, softmax/logSoftmax: `outer` kept positions and `inner` reduced ones
  // (core's planReduce), each walked by its own shape and strides.
  ReduceParams: [
    ['outer', 1], ['inner', 1], ['outerRank', 1], ['innerRank', 1], ['outerShape', D], ['innerShape', D],
    ['xOuterStrides', D], ['xInnerStrides', D], ['outOuterStrides', D],
    ['outInnerStrides', D], // softmax only (out has the input's shape)
    ['xOffset', 1], ['outOffset', 1], ['x', 1, 'pointer'], ['out', 1, 'pointer'],
    ['mode', 1], // 0: one block per output; 1: one thread per output
  ],
  // Batched C = A B with any strides; batch dims broadcast through stride 0.
  MatmulParams: [
    ['M', 1], ['N', 1], ['K', 1], ['batch', 1], ['batchRank', 1], ['batchShape', D], ['aBatchStrides', D],
    ['bBatchStrides', D], ['cBatchStrides', D], ['aOffset', 1], ['bOffset', 1], ['cOffset', 1],
    ['aRowStride', 1], ['aColStride', 1], ['bRowStride', 1], ['bColStride', 1], ['cRowStride', 1], ['cColStride', 1],
    ['a', 1, 'pointer'], ['b', 1, 'pointer'], ['c', 1, 'pointer'],
    ['kChunk', 1], // split-K: the K range of one split
    ['splits', 1], // > 1: partial sums are atomically added into a zeroed C
  ],
  // conv2d and its two gradients as implicit GEMMs: core's convGeometry, then the input (or
  // its gradient) `x`, the weight (or its gradient) `w`, the output (or dy) `y`.
  ConvParams: [
    ...fieldsOf(CONV_FIELDS),
    ['xStrides', 4], ['wStrides', 4], ['yStrides', 4], ['xOffset', 1], ['wOffset', 1], ['yOffset', 1],
    ['x', 1, 'pointer'], ['w', 1, 'pointer'], ['y', 1, 'pointer'], ['kChunk', 1], ['splits', 1],
  ],
  // pool2d (x -> y) and pool2dBackward (x, dy = y -> g): core's poolGeometry, then the views.
  PoolParams: [
    ...fieldsOf(POOL_FIELDS),
    ['xStrides', 4], ['yStrides', 4], ['gStrides', 4], ['xOffset', 1], ['yOffset', 1], ['gOffset', 1],
    ['x', 1, 'pointer'], ['y', 1, 'pointer'], ['g', 1, 'pointer'],
  ],
  // gather (src = x with `dim` pinned) and scatterAdd (out with `dim` pinned), over index's shape.
  IndexParams: [
    ['n', 1], ['rank', 1],
    ['dimSize', 1], // size of the indexed dim (for negative indices)
    ['dimStride', 1], // stride of the indexed operand along it
    ['shape', D], ['indexStrides', D], ['srcStrides', D], ['outStrides', D],
    ['indexOffset', 1], ['srcOffset', 1], ['outOffset', 1], ['index', 1, 'pointer'], ['src', 1, 'pointer'], ['out', 1, 'pointer'],
  ],
  // The sort launches of core's planBitonicSort (kernels/sort.cu): segment sorts of x or of
  // (key, position) pairs, global steps and in-block merges over pairs, the final emit.
  SortParams: [
    ['rows', 1], ['m', 1], ['inRow', 1], ['span', 1], ['segs', 1], ['total', 1], ['perGroup', 1], ['keep', 1],
    ['count', 1], ['rowLength', 1], ['dist', 1], ['mirror', 1], ['k', 1],
    ['xOffset', 1], ['xRow', 1], ['xStep', 1], ['flip', 1], // x's element (r, i): xOffset + r * xRow + i * xStep
    ['x', 1, 'pointer'], ['inKeys', 1, 'pointer'], ['inPos', 1, 'pointer'], ['outKeys', 1, 'pointer'], ['outPos', 1, 'pointer'],
    ['values', 1, 'pointer'], ['indices', 1, 'pointer'],
  ],
  // Philox4x32-10 draws: element i (row-major over shape) uses counter counterOffset + i.
  RandomParams: [
    ['n', 1], ['rank', 1], ['shape', D], ['strides', D], ['offset', 1], ['out', 1, 'pointer'], ['seed', 1], ['counterOffset', 1],
  ],
} as const satisfies Record<string, RecordLayout>;

export type StructName = keyof typeof LAYOUTS;
type FieldOf<S extends StructName> = (typeof LAYOUTS)[S][number][0];

/** Bytes of one field slot. */
const SLOT = 8;

interface Field {
  /** Byte offset. */
  readonly offset: number;
  /** Slots (an array's elements, flattened row-major). */
  readonly count: number;
  readonly kind: FieldKind;
}

/** Byte offsets and size of a struct, from core's slot layout of its fields. */
export function layoutOf(name: StructName): { size: number; fields: Record<string, Field> } {
  const places = layoutPlaces(LAYOUTS[name]);
  const fields: Record<string, Field> = {};
  for (const [field, p] of Object.entries(places.fields)) fields[field] = { offset: p.at * SLOT, count: p.count, kind: p.kind };
  return { size: places.size * SLOT, fields };
}

const TWO_32 = 4294967296;

/**
 * One reusable argument block of struct `S`: `reset()`, set fields, pass `bytes` to launch
 * (the addon copies it at once, so the block is reused for the next launch).
 */
export class ArgBlock<S extends StructName> {
  readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly doubles: Float64Array;
  private readonly fields: Record<string, Field>;

  constructor(readonly struct: S) {
    const layout = layoutOf(struct);
    const buffer = new ArrayBuffer(layout.size);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.doubles = new Float64Array(buffer);
    this.fields = layout.fields;
  }

  /** Zero every field. */
  reset(): this {
    this.words.fill(0);
    return this;
  }

  private field(name: string, index: number): Field {
    const f = this.fields[name];
    if (!f) throw new Error(`cuda backend: ${this.struct} has no field '${name}'`);
    if (index < 0 || index >= f.count) throw new RangeError(`cuda backend: ${this.struct}.${name}[${index}] is out of range (${f.count})`);
    return f;
  }

  /**
   * Set `name[index]` (an integer below 2^53 in magnitude, or a double for float fields);
   * arrays are indexed flat, row-major (`strides[k][d]` is index `k * MAX_DIMS + d`).
   */
  set(name: FieldOf<S>, value: number, index = 0): this {
    const f = this.field(name, index);
    const at = f.offset / SLOT + index;
    if (f.kind === 'float') {
      this.doubles[at] = value;
    } else {
      if (!Number.isSafeInteger(value)) throw new RangeError(`cuda backend: ${this.struct}.${name} = ${value} is not a safe integer`);
      this.words[2 * at] = value >>> 0 | 0; // low word: value mod 2^32
      this.words[2 * at + 1] = Math.floor(value / TWO_32) | 0; // high word, two's complement
    }
    return this;
  }

  /** Set `name[start..]` from `values`. */
  setAll(name: FieldOf<S>, values: readonly number[], start = 0): this {
    for (let i = 0; i < values.length; i++) this.set(name, values[i], start + i);
    return this;
  }

  /** Set one field per key of a core plan record (convGeometry, poolGeometry). */
  setRecord(record: { readonly [F in FieldOf<S>]?: number }): this {
    for (const [name, value] of Object.entries(record)) this.set(name as FieldOf<S>, value as number);
    return this;
  }

  /** Read `name[index]` back (tests and debugging). */
  get(name: FieldOf<S>, index = 0): number {
    return readField(this.struct, this.bytes, name, index);
  }
}

/** Decode field `name[index]` of a packed `struct` block. */
export function readField(struct: StructName, bytes: Uint8Array, name: string, index = 0): number {
  const f = layoutOf(struct).fields[name];
  if (!f) throw new Error(`${struct} has no field '${name}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = f.offset + SLOT * index;
  if (f.kind === 'float') return view.getFloat64(at, true);
  return Number(view.getBigInt64(at, true));
}
