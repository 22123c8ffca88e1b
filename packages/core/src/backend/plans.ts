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
