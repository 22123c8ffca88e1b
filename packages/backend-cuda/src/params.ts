/**
 * Argument blocks: the TypeScript mirror of kernels/params.h. Each kernel takes one struct by
 * value; every field is 8 bytes (int64, device pointer or double), in declaration order, so
 * a layout is just a list of (field, count). The addon reports sizeof/offsetof of each
 * struct and test/layout.test.ts checks both sides agree.
 */
export const MAX_DIMS = 8;
export const MAX_OPERANDS = 4;

type Kind = 'i64' | 'f64';
type FieldSpec = readonly [name: string, count: number, kind?: Kind];

const D = MAX_DIMS;

/** Field lists, in the order of kernels/params.h. Pointers are i64 here (same bytes). */
export const LAYOUTS = {
  ElementwiseParams: [
    ['n', 1], ['rank', 1], ['shape', D], ['offset', MAX_OPERANDS], ['strides', MAX_OPERANDS * D],
    ['ptr', MAX_OPERANDS], ['scalar', 1, 'f64'], ['iscalar', 1],
  ],
  ReduceParams: [
    ['outer', 1], ['inner', 1], ['outerRank', 1], ['innerRank', 1], ['outerShape', D], ['innerShape', D],
    ['xOuterStrides', D], ['xInnerStrides', D], ['outOuterStrides', D], ['outInnerStrides', D],
    ['xOffset', 1], ['outOffset', 1], ['x', 1], ['out', 1], ['mode', 1],
  ],
  MatmulParams: [
    ['M', 1], ['N', 1], ['K', 1], ['batch', 1], ['batchRank', 1], ['batchShape', D], ['aBatchStrides', D],
    ['bBatchStrides', D], ['cBatchStrides', D], ['aOffset', 1], ['bOffset', 1], ['cOffset', 1],
    ['aRowStride', 1], ['aColStride', 1], ['bRowStride', 1], ['bColStride', 1], ['cRowStride', 1], ['cColStride', 1],
    ['a', 1], ['b', 1], ['c', 1], ['kChunk', 1], ['splits', 1],
  ],
  ConvParams: [
    ['batch', 1], ['inC', 1], ['inH', 1], ['inW', 1], ['outC', 1], ['outH', 1], ['outW', 1], ['kH', 1], ['kW', 1],
    ['strideH', 1], ['strideW', 1], ['padH', 1], ['padW', 1], ['dilH', 1], ['dilW', 1], ['groups', 1],
    ['xStrides', 4], ['wStrides', 4], ['yStrides', 4], ['xOffset', 1], ['wOffset', 1], ['yOffset', 1],
    ['x', 1], ['w', 1], ['y', 1], ['kChunk', 1], ['splits', 1],
  ],
  PoolParams: [
    ['batch', 1], ['channels', 1], ['inH', 1], ['inW', 1], ['outH', 1], ['outW', 1], ['kH', 1], ['kW', 1],
    ['strideH', 1], ['strideW', 1], ['padH', 1], ['padW', 1], ['dilH', 1], ['dilW', 1], ['countIncludePad', 1],
    ['xStrides', 4], ['yStrides', 4], ['gStrides', 4], ['xOffset', 1], ['yOffset', 1], ['gOffset', 1],
    ['x', 1], ['y', 1], ['g', 1],
  ],
  IndexParams: [
    ['n', 1], ['rank', 1], ['dimSize', 1], ['dimStride', 1], ['shape', D], ['indexStrides', D], ['srcStrides', D],
    ['outStrides', D], ['indexOffset', 1], ['srcOffset', 1], ['outOffset', 1], ['index', 1], ['src', 1], ['out', 1],
  ],
  RandomParams: [
    ['n', 1], ['rank', 1], ['shape', D], ['strides', D], ['offset', 1], ['out', 1], ['seed', 1], ['counterOffset', 1],
  ],
} as const satisfies Record<string, readonly FieldSpec[]>;

export type StructName = keyof typeof LAYOUTS;
type FieldOf<S extends StructName> = (typeof LAYOUTS)[S][number][0];

interface Field {
  /** Byte offset. */
  readonly offset: number;
  readonly count: number;
  readonly kind: Kind;
}

/** Byte offsets and size of a struct, computed from its field list. */
export function layoutOf(name: StructName): { size: number; fields: Record<string, Field> } {
  const fields: Record<string, Field> = {};
  let offset = 0;
  for (const spec of LAYOUTS[name] as readonly FieldSpec[]) {
    const [field, count, kind = 'i64'] = spec;
    fields[field] = { offset, count, kind };
    offset += 8 * count;
  }
  return { size: offset, fields };
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

  /** Set `name[index]` (an integer below 2^53 in magnitude, or a double for f64 fields). */
  set(name: FieldOf<S>, value: number, index = 0): this {
    const f = this.field(name, index);
    const at = f.offset / 8 + index;
    if (f.kind === 'f64') {
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
  const at = f.offset + 8 * index;
  if (f.kind === 'f64') return view.getFloat64(at, true);
  return Number(view.getBigInt64(at, true));
}
