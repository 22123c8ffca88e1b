/**
 * Collation: turning a list of items into one batch, as PyTorch's `default_collate`, plus
 * `defaultConvert` (no automatic batching) and `padSequence` for variable-length items.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { hostTensor, isHostTensor, stackHost, type HostTensor } from './host.js';
import { describe } from './sampler.js';

type TypedArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint8ClampedArray;

/**
 * What `defaultCollate` makes of items of type `T`: tensors, numbers, booleans and typed
 * arrays become one stacked tensor; strings a list; tuples, arrays, objects and Maps keep
 * their structure with each field collated.
 */
export type Batch<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends string
    ? string[]
    : T extends TypedArray
      ? Tensor
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Batch<T[K]> }
        : T extends Map<infer K, infer V>
          ? Map<K, Batch<V>>
          : T extends Record<string, unknown>
            ? { -readonly [K in keyof T]: Batch<T[K]> }
            : Tensor[];

/** How the leaves of a batch are made: tensors on the main thread, host arrays in a worker. */
interface LeafOps {
  isTensor(value: unknown): boolean;
  stack(values: unknown[], where: string): unknown;
  numbers(values: number[]): unknown;
  booleans(values: boolean[]): unknown;
  typedArrays(values: TypedArray[], where: string): unknown;
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(typeof BigInt64Array !== 'undefined' && (value instanceof BigInt64Array || value instanceof BigUint64Array));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function kindOf(value: unknown, ops: LeafOps): string {
  if (ops.isTensor(value)) return 'a tensor';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  if (isTypedArray(value)) return `a ${value.constructor.name}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a Map';
  if (isPlainObject(value)) return 'an object';
  return describe(value);
}

const at = (where: string) => (where ? ` field ${where}` : '');

function collateWith(items: readonly unknown[], ops: LeafOps, where: string): unknown {
  const first = items[0];
  const kind = kindOf(first, ops);
  items.forEach((item, i) => {
    const k = kindOf(item, ops);
    if (k !== kind && !(isTypedArray(item) && isTypedArray(first))) {
      throw new TypeError(`collate: item ${i}${at(where)} is ${k} but item 0's is ${kind}`);
    }
  });
  if (ops.isTensor(first)) return ops.stack(items as unknown[], where);
  if (typeof first === 'number') return ops.numbers(items as number[]);
  if (typeof first === 'boolean') return ops.booleans(items as boolean[]);
  if (typeof first === 'string') return [...(items as string[])];
  if (isTypedArray(first)) return ops.typedArrays(items as TypedArray[], where);
  if (Array.isArray(first)) {
    items.forEach((item, i) => {
      if ((item as unknown[]).length !== first.length) {
        throw new TypeError(`collate: each item${at(where)} must have the same number of fields; item 0 has ${first.length} and item ${i} has ${(item as unknown[]).length}`);
      }
    });
    return first.map((_, f) => collateWith(items.map((item) => (item as unknown[])[f]), ops, `${where}[${f}]`));
  }
  if (first instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const key of first.keys()) {
      items.forEach((item, i) => {
        if (!(item as Map<unknown, unknown>).has(key)) throw new TypeError(`collate: item ${i}${at(where)} has no key ${describe(key)} (item 0 has)`);
      });
      out.set(key, collateWith(items.map((item) => (item as Map<unknown, unknown>).get(key)), ops, `${where}.get(${describe(key)})`));
    }
    return out;
  }
  if (isPlainObject(first)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      items.forEach((item, i) => {
        if (!(key in (item as object))) throw new TypeError(`collate: item ${i}${at(where)} has no key '${key}' (item 0 has)`);
      });
      out[key] = collateWith(items.map((item) => (item as Record<string, unknown>)[key]), ops, `${where}.${key}`);
    }
    return out;
  }
  throw new TypeError(
    `collate: cannot batch${at(where)}: item 0 is ${kind}; items must hold tensors, numbers, booleans, strings, typed arrays, ` +
      'arrays, plain objects or Maps (pass a collateFn for anything else)',
  );
}

function floatOrInt(values: ArrayLike<number>): 'float32' | 'int32' {
  for (let i = 0; i < values.length; i++) if (!Number.isInteger(values[i])) return 'float32';
  return 'int32';
}

function typedDType(values: readonly TypedArray[]): 'float32' | 'int32' {
  return values[0] instanceof Float32Array || values[0] instanceof Float64Array ? 'float32' : 'int32';
}

function checkTypedLengths(values: readonly TypedArray[], where: string): void {
  const n = values[0].length;
  values.forEach((v, i) => {
    if (v.length !== n) {
      throw new Error(`collate: item ${i}${at(where)} has ${v.length} values but item 0 has ${n}; items must match to be stacked (pass a collateFn, e.g. with padSequence)`);
    }
  });
}

function flatTyped(values: readonly TypedArray[], dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const n = values[0].length;
  const out = dtype === 'float32' ? new Float32Array(values.length * n) : new Int32Array(values.length * n);
  values.forEach((v, i) => out.set(v, i * n));
  return out;
}

/** Tensor leaves, each owned by the collate's scope: kept by the batch, freed if it fails. */
const tensorOps = (own: tl.Own): LeafOps => ({
  isTensor: (value) => value instanceof tl.Tensor,
  stack(values, where) {
    const tensors = values as Tensor[];
    const first = tensors[0];
    tensors.forEach((t, i) => {
      if (t.dtype !== first.dtype || t.rank !== first.rank || t.shape.some((d, j) => d !== first.shape[j])) {
        throw new Error(
          `collate: item ${i}${at(where)} is ${t.dtype} [${t.shape.join(', ')}] but item 0 is ${first.dtype} [${first.shape.join(', ')}]; ` +
            'items must match to be stacked (pass a collateFn to batch them differently, e.g. with padSequence)',
        );
      }
    });
    if (tensors.some((t) => t.device !== first.device)) {
      throw new Error(`collate: items${at(where)} live on different devices (${[...new Set(tensors.map((t) => t.device))].join(', ')})`);
    }
    return own(tl.stack(tensors, 0));
  },
  numbers: (values) => {
    const dtype = floatOrInt(values);
    return own(tl.tensor(dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values), { dtype }));
  },
  booleans: (values) => own(tl.tensor(Uint8Array.from(values, (b) => (b ? 1 : 0)), { dtype: 'bool' })),
  typedArrays(values, where) {
    checkTypedLengths(values, where);
    const dtype = typedDType(values);
    const flat = own(tl.tensor(flatTyped(values, dtype), { dtype }));
    return own(flat.reshape([values.length, values[0].length]));
  },
});

const hostOps: LeafOps = {
  isTensor: isHostTensor,
  stack: (values, where) => stackHost(values as HostTensor[], `collate:${at(where) || ' items'}`),
  numbers: (values) => {
    const dtype = floatOrInt(values);
    return hostTensor(dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values), [values.length], dtype);
  },
  booleans: (values) => hostTensor(Uint8Array.from(values, (b) => (b ? 1 : 0)), [values.length], 'bool'),
  typedArrays(values, where) {
    checkTypedLengths(values, where);
    const dtype = typedDType(values);
    return hostTensor(flatTyped(values, dtype), [values.length, values[0].length], dtype);
  },
};

function checkItems(name: string, items: unknown): asserts items is readonly unknown[] {
  if (!Array.isArray(items)) throw new TypeError(`${name}: expected an array of items, got ${describe(items)}`);
  if (items.length === 0) throw new Error(`${name}: no items`);
}

/**
 * Batch `items` as PyTorch's `default_collate`: tensors are stacked along a new first dim;
 * numbers become one tensor (int32 when all are integers, else float32: JavaScript has one
 * number type); booleans a bool tensor; typed arrays a `[B, n]` tensor; strings a list;
 * arrays (tuples), plain objects and Maps are collated field by field. On any error nothing
 * it made survives.
 *
 * @example
 * ```ts
 * defaultCollate([{ x: tl.ones([3]), y: 1 }, { x: tl.zeros([3]), y: 0 }]); // { x: [2, 3] float32, y: [2] int32 }
 * ```
 */
export function defaultCollate<T>(items: readonly T[]): Batch<T> {
  checkItems('defaultCollate', items);
  return tl.owned((own) => collateWith(items, tensorOps(own), '')) as Batch<T>;
}

/** `defaultCollate` under its earlier name. */
export const collate = defaultCollate;

/** `defaultCollate` on host values (in a worker thread): the same batch, as host tensors. */
export function collateHost(items: readonly unknown[]): unknown {
  checkItems('defaultCollate', items);
  return collateWith(items, hostOps, '');
}

/**
 * What the DataLoader does with each item when automatic batching is off (`batchSize:
 * null`), as PyTorch's `default_convert`: typed arrays become tensors, everything else is
 * kept, recursing into arrays, plain objects and Maps.
 *
 * @example
 * ```ts
 * defaultConvert({ pixels: new Float32Array(4), id: 7 }); // { pixels: Tensor [4], id: 7 }
 * ```
 */
export function defaultConvert<T>(item: T): unknown {
  return tl.owned((own) => convert(item, own));
}

function convert(value: unknown, own: tl.Own): unknown {
  if (value instanceof tl.Tensor) return value;
  if (isTypedArray(value)) {
    const dtype = typedDType([value]);
    return own(tl.tensor(dtype === 'float32' ? Float32Array.from(value) : Int32Array.from(value), { dtype }));
  }
  if (Array.isArray(value)) return value.map((v) => convert(v, own));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, convert(v, own)]));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, own)]));
  return value;
}

export interface PadSequenceOptions {
  /** Output `[B, T, *]` instead of `[T, B, *]`. Default false, as in PyTorch. */
  batchFirst?: boolean;
  /** The value padded positions hold. Default 0. */
  paddingValue?: number;
}

/**
 * Pad tensors of shapes `[L_i, *]` to the longest `L` and stack them: `[T, B, *]`, or
 * `[B, T, *]` with `batchFirst`, as PyTorch's `nn.utils.rnn.pad_sequence`. The usual
 * `collateFn` for variable-length sequences.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(sentences, {
 *   batchSize: 32,
 *   collateFn: (items) => padSequence(items, { batchFirst: true }),
 * });
 * ```
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  if (!Array.isArray(sequences) || sequences.length === 0) {
    throw new TypeError(`padSequence: expected a non-empty array of tensors, got ${describe(sequences)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'batchFirst' && key !== 'paddingValue') throw new TypeError(`padSequence: unsupported option '${key}' (the options are batchFirst, paddingValue)`);
  }
  const batchFirst = options.batchFirst ?? false;
  const value = options.paddingValue ?? 0;
  if (typeof batchFirst !== 'boolean') throw new TypeError(`padSequence: batchFirst must be a boolean, got ${describe(batchFirst)}`);
  if (typeof value !== 'number') throw new TypeError(`padSequence: paddingValue must be a number, got ${describe(value)}`);
  const first = sequences[0];
  sequences.forEach((t, i) => {
    if (!(t instanceof tl.Tensor)) throw new TypeError(`padSequence: sequence ${i} is ${describe(t)}, not a tensor`);
    if (t.rank === 0) throw new Error(`padSequence: sequence ${i} is 0-d; each sequence needs a first (time) dim`);
    if (t.dtype !== first.dtype || t.rank !== first.rank || t.shape.some((d, j) => j > 0 && d !== first.shape[j])) {
      throw new Error(
        `padSequence: sequence ${i} is ${t.dtype} [${t.shape.join(', ')}] but sequence 0 is ${first.dtype} [${first.shape.join(', ')}]; ` +
          'all dims after the first, and the dtype, must match',
      );
    }
  });
  const longest = Math.max(...sequences.map((t) => t.shape[0]));
  return tl.owned((own) => {
    const padded = sequences.map((t) => {
      if (t.shape[0] === longest) return t;
      const filler = own(tl.full([longest - t.shape[0], ...t.shape.slice(1)], value, { dtype: t.dtype, device: t.device }));
      return own(tl.cat([t, filler], 0));
    });
    return tl.stack(padded, batchFirst ? 0 : 1);
  });
}
