/**
 * Kernel plans: what every backend derives from a call's views and parameters, derived
 * once here. Each plan is a named record whose fields have one fixed order (the `*_FIELDS`
 * lists); a backend's packer (wasm words, WGSL uniforms, the cuda struct) and its device
 * code are both built from that list, so host and device never keep a positional layout by
 * hand.
 */
import { collapseDims } from '../shape.js';
import type { DType } from '../dtype.js';
import type { Conv2dParams, Pool2dParams, TensorView } from './contract.js';

/** A walk over views of one shape, dims merged where every view allows (see `collapseDims`). */
export interface ElementwisePlan {
  /** Merged dims, outermost first; empty for a single element. */
  readonly shape: readonly number[];
  /** strides[v][d]: stride of merged dim d in view v, in elements. */
  readonly strides: readonly (readonly number[])[];
  /** First element of each view. */
  readonly offsets: readonly number[];
  /** Elements walked. */
  readonly size: number;
}

/**
 * Plan a walk of `shape` over `views` (inputs and out, all of that shape: broadcast dims
 * have stride 0).
 *
 * @example
 * ```ts
 * planElementwise([2, 3], [x, out]); // contiguous views: { shape: [6], strides: [[1], [1]], ... }
 * ```
 */
export function planElementwise(shape: readonly number[], views: readonly Pick<TensorView, 'strides' | 'offset'>[]): ElementwisePlan {
  const merged = collapseDims(shape, views.map((v) => v.strides));
  let size = 1;
  for (const d of shape) size *= d;
  return { shape: merged.shape, strides: merged.strides, offsets: views.map((v) => v.offset), size };
}

/**
 * A reduction split into the kept dims (`outer`, one output each) and the reduced dims
 * (`inner`, folded into each output), each merged where contiguous.
 */
export interface ReducePlan {
  readonly outer: { readonly shape: readonly number[]; readonly x: readonly number[]; readonly out: readonly number[] };
  readonly inner: { readonly shape: readonly number[]; readonly x: readonly number[] };
  /** Outputs (product of the kept dims). */
  readonly outerSize: number;
  /** Elements folded into each output (product of the reduced dims). */
  readonly innerSize: number;
}

/**
 * Plan a reduction of `x` over `axes` (sorted, unique) into `out` (x's shape with those dims
 * of size 1).
 *
 * @example
 * ```ts
 * planReduce(x, [1], out); // x [4, 5, 6] contiguous: outer [4, 6], inner [5] with x stride 6
 * ```
 */
export function planReduce(x: Pick<TensorView, 'shape' | 'strides'>, axes: readonly number[], out: Pick<TensorView, 'strides'>): ReducePlan {
  // Plain loops: kernels plan every call, and small reductions are common.
  const keptShape: number[] = [], keptX: number[] = [], keptOut: number[] = [];
  const foldedShape: number[] = [], foldedX: number[] = [];
  let outerSize = 1, innerSize = 1;
  for (let d = 0; d < x.shape.length; d++) {
    if (axes.includes(d)) {
      foldedShape.push(x.shape[d]);
      foldedX.push(x.strides[d]);
      innerSize *= x.shape[d];
    } else {
      keptShape.push(x.shape[d]);
      keptX.push(x.strides[d]);
      keptOut.push(out.strides[d]);
      outerSize *= x.shape[d];
    }
  }
  const outer = collapseDims(keptShape, [keptX, keptOut]);
  const inner = collapseDims(foldedShape, [foldedX]);
  return {
    outer: { shape: outer.shape, x: outer.strides[0], out: outer.strides[1] },
    inner: { shape: inner.shape, x: inner.strides[0] },
    outerSize,
    innerSize,
  };
}

/**
 * One launch of a GPU sort of (key, position) pairs ({@link planBitonicSort}). Pair buffers
 * are numbered; `'x'` is the input view and `'out'` the values and indices.
 * - `segments`: sort segments of `span` pairs (a power of two, at most the block) of each
 *   row's first `m` elements (rows of `inRow` in a pair buffer; x's own rows), `segs` segments
 *   a row, `total` in all, `perGroup` to a workgroup (block / span); keep each segment's
 *   first `keep`, written at `keep` per segment (rows of `segs * keep`), or the outputs.
 * - `step`: one compare-exchange step over rows of `rowLength` pairs at distance `dist`:
 *   mirrored pairs within blocks of 2 `dist` (`mirror`), or `i` with `i + dist`; `count` pairs.
 * - `merge`: the steps of distance block / 2 down to 1 inside each of `blocks` blocks.
 * - `emit`: each row's first `k` pairs (rows of `rowLength`) to the outputs; `count` of them.
 */
export type BitonicLaunch =
  | { kind: 'segments'; from: 'x' | number; to: 'out' | number; m: number; inRow: number; span: number; segs: number; total: number; perGroup: number; keep: number }
  | { kind: 'step'; pairs: number; rowLength: number; dist: number; mirror: boolean; count: number }
  | { kind: 'merge'; pairs: number; blocks: number }
  | { kind: 'emit'; pairs: number; rowLength: number; k: number; count: number };

/** A GPU sort: the pair buffers it needs (pairs each) and its launches, in order. */
export interface BitonicPlan {
  readonly buffers: readonly number[];
  readonly launches: readonly BitonicLaunch[];
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * How a GPU backend sorts `rows` rows of `n` elements for their first `k` (the contract's
 * `sort`) with workgroups that sort `block` pairs (a power of two) in shared memory:
 * - rows of at most `block`: one segment sort is the whole sort;
 * - top-k with `k <= block / 2`: segments of `block` keep their first `k`, the survivors are
 *   sorted again, and so on until one segment is left (each level halves the candidates);
 * - otherwise rows are padded to a power of two P and sorted as a bitonic network: segment
 *   sorts of `block`, then for each stage past it a mirrored step and half-cleaners over the
 *   row while the distance is `block` or more, the rest inside each block (`merge`); `emit`
 *   writes the first `k`.
 */
export function planBitonicSort(rows: number, n: number, k: number, block: number): BitonicPlan {
  const buffers: number[] = [];
  const launches: BitonicLaunch[] = [];
  const segments = (from: 'x' | number, to: 'out' | number, m: number, span: number, segs: number, keep: number) => {
    const perGroup = block / span;
    launches.push({ kind: 'segments', from, to, m, inRow: m, span, segs, total: rows * segs, perGroup, keep });
  };
  if (n <= block) {
    segments('x', 'out', n, nextPowerOfTwo(n), 1, k);
  } else if (k <= block / 2) {
    let m = n;
    let from: 'x' | number = 'x';
    while (m > block) {
      const segs = Math.ceil(m / block);
      const to = buffers.push(rows * segs * k) - 1;
      segments(from, to, m, block, segs, k);
      from = to;
      m = segs * k;
    }
    segments(from, 'out', m, nextPowerOfTwo(m), 1, k);
  } else {
    const P = nextPowerOfTwo(n);
    const pairs = buffers.push(rows * P) - 1;
    segments('x', pairs, n, block, P / block, block);
    for (let s = 2 * block; s <= P; s *= 2) {
      for (let dist = s / 2; dist >= block; dist /= 2) {
        launches.push({ kind: 'step', pairs, rowLength: P, dist, mirror: dist === s / 2, count: (rows * P) / 2 });
      }
      launches.push({ kind: 'merge', pairs, blocks: (rows * P) / block });
    }
    launches.push({ kind: 'emit', pairs, rowLength: P, k, count: rows * k });
  }
  return { buffers, launches };
}

/** Fields of {@link ConvGeometry}, in the order every packer uses. */
export const CONV_FIELDS = [
  'batch', 'inC', 'inH', 'inW', 'outC', 'outH', 'outW', 'kH', 'kW',
  'strideH', 'strideW', 'padH', 'padW', 'dilH', 'dilW', 'groups',
  'inCPerGroup', 'outCPerGroup', // channels of one group, in and out
] as const;

/**
 * The sizes of a 2-D convolution and of both its gradients: input `[batch, inC, inH, inW]`,
 * weight `[outC, inC / groups, kH, kW]`, output `[batch, outC, outH, outW]`.
 */
export type ConvGeometry = { readonly [F in (typeof CONV_FIELDS)[number]]: number };

/**
 * The geometry of conv2d from the input's, weight's and output's shapes (for the backward
 * kernels: the input gradient's shape, the weight's or its gradient's, and dy's).
 */
export function convGeometry(input: readonly number[], weight: readonly number[], output: readonly number[], p: Conv2dParams): ConvGeometry {
  return {
    batch: input[0], inC: input[1], inH: input[2], inW: input[3],
    outC: weight[0], outH: output[2], outW: output[3], kH: weight[2], kW: weight[3],
    strideH: p.stride[0], strideW: p.stride[1], padH: p.padding[0], padW: p.padding[1],
    dilH: p.dilation[0], dilW: p.dilation[1], groups: p.groups,
    inCPerGroup: weight[1], outCPerGroup: weight[0] / p.groups,
  };
}

/** Fields of {@link PoolGeometry}, in the order every packer uses. */
export const POOL_FIELDS = [
  'batch', 'channels', 'inH', 'inW', 'outH', 'outW', 'kH', 'kW',
  'strideH', 'strideW', 'padH', 'padW', 'dilH', 'dilW', 'countIncludePad',
] as const;

/**
 * The sizes of a 2-D pooling: input `[batch, channels, inH, inW]`, output `[batch,
 * channels, outH, outW]`; `countIncludePad` is 1 or 0.
 */
export type PoolGeometry = { readonly [F in (typeof POOL_FIELDS)[number]]: number };

/** The geometry of pool2d from the input's and output's shapes. */
export function poolGeometry(input: readonly number[], output: readonly number[], p: Pool2dParams): PoolGeometry {
  return {
    batch: input[0], channels: input[1], inH: input[2], inW: input[3], outH: output[2], outW: output[3],
    kH: p.kernelSize[0], kW: p.kernelSize[1], strideH: p.stride[0], strideW: p.stride[1],
    padH: p.padding[0], padW: p.padding[1], dilH: p.dilation[0], dilW: p.dilation[1],
    countIncludePad: p.countIncludePad ? 1 : 0,
  };
}

/** A record's values in its field order, for packers. */
export function recordValues<F extends string>(fields: readonly F[], record: { readonly [K in F]: number }): number[] {
  return fields.map((f) => record[f]);
}

/** Codes of the dtypes in device code (wasm and cuda switch on them; never renumber). */
export const DTYPE_CODES = { float32: 0, int32: 1, bool: 2, float16: 3 } as const satisfies Record<DType, number>;

/**
 * One field of a record passed from host to device: its name, how many slots it takes (a
 * count, or the dims of an array, outermost first) and what they hold. A slot is a 32-bit
 * word in wasm and WGSL, an 8-byte field in cuda's argument structs.
 */
export type FieldSpec = readonly [name: string, count: number | readonly number[], kind?: FieldKind];
/** Integers, floats, or device addresses (integers to the host; pointers to device code). */
export type FieldKind = 'int' | 'float' | 'pointer';
/** A record's fields in order: the one definition its packer and its device reader share. */
export type RecordLayout = readonly FieldSpec[];

/** The layout of a plan's field list: one integer slot per field. */
export function fieldsOf<F extends string>(fields: readonly F[]): (readonly [F, 1])[] {
  return fields.map((f) => [f, 1] as const);
}

export interface FieldPlace {
  /** First slot. */
  readonly at: number;
  /** Slots taken (the product of the array's dims). */
  readonly count: number;
  /** The array's dims, outermost first ([count] for a flat field). */
  readonly dims: readonly number[];
  readonly kind: FieldKind;
}

/** Where each field of `layout` lies, in slots, and the slots of the whole record. */
export function layoutPlaces(layout: RecordLayout): { fields: Record<string, FieldPlace>; size: number } {
  const fields: Record<string, FieldPlace> = {};
  let at = 0;
  for (const [name, size, kind = 'int'] of layout) {
    if (fields[name]) throw new Error(`layout: field '${name}' appears twice`);
    const dims = typeof size === 'number' ? [size] : [...size];
    const count = dims.reduce((n, d) => n * d, 1);
    fields[name] = { at, count, dims, kind };
    at += count;
  }
  return { fields, size: at };
}
