// Values flowing through an imported graph: device tensors, or host arrays for what is known
// without running a kernel (constants, shapes and the arithmetic on them). Host values are
// folded on the host and uploaded only when a tensor op needs them.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import type { ElementName, HostArray } from './element-types.js';

export type HostDType = HostArray['dtype'];

/** Whether values of `dtype` (a host's or a tensor's) are integers. */
export function isIntegerDType(dtype: string): boolean {
  return dtype === 'int64' || dtype === 'int32' || dtype === 'uint8' || dtype === 'int8';
}

/** The dtype a device tensor holds `dtype`'s values in: integers as int32, Tensile's integer type. */
export function deviceDType(dtype: HostDType): 'float32' | 'int32' | 'bool' {
  return dtype === 'float32' || dtype === 'bool' ? dtype : 'int32';
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A host array (row-major), with device copies made on demand and kept per device. */
export class Host {
  private readonly uploads = new Map<string, Tensor>();
  /**
   * Part of the loaded model (an initializer, a node attribute): its device copies are kept
   * and reused by every forward. Values computed during a forward are uploaded into that
   * forward's scope instead, so they are freed with its other intermediates.
   */
  private persistent = false;

  constructor(
    readonly dtype: HostDType,
    readonly shape: number[],
    readonly data: ArrayLike<number>,
    /** The module state this value mirrors (an integer initializer's buffer), if any. */
    readonly backing: Tensor | null = null,
    /** The file's element type where `dtype` does not say it (an int4 or float8 initializer's), kept through reshapes. */
    readonly element?: ElementName,
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`internal: host value of shape [${shape}] holds ${data.length} values`);
  }

  /** Mark this value as part of the loaded model (see `persistent`). */
  persist(): this {
    this.persistent = true;
    return this;
  }

  /** Free the device copies kept for a persistent value (when its model is disposed). */
  release(): void {
    this.uploads.forEach((t) => t.dispose());
    this.uploads.clear();
  }

  static fromArray(a: HostArray, backing: Tensor | null = null): Host {
    return new Host(a.dtype, a.shape, a.data, backing, a.element);
  }

  static scalar(dtype: HostDType, value: number): Host {
    return new Host(dtype, [], [value]);
  }

  static vector(dtype: HostDType, values: number[]): Host {
    return new Host(dtype, [values.length], values);
  }

  get size(): number {
    return this.data.length;
  }

  /** Whether every value fits Tensile's int32 (always true for float and bool). */
  fitsInt32(): boolean {
    if (this.dtype !== 'int64' && this.dtype !== 'int32') return true;
    for (let i = 0; i < this.data.length; i++) if (this.data[i]! < INT32_MIN || this.data[i]! > INT32_MAX) return false;
    return true;
  }

  /** A device tensor of these values: int64 as int32 (each value range-checked). */
  upload(device: string, what: string): Tensor {
    if (this.backing && this.backing.device === device) return this.backing;
    const cached = this.uploads.get(device);
    if (cached) return cached;
    const dtype = deviceDType(this.dtype);
    if (!this.fitsInt32()) {
      const v = Array.from(this.data).find((x) => x < INT32_MIN || x > INT32_MAX);
      throw new Error(`${what}: int64 value ${v} does not fit in int32, Tensile's integer type`);
    }
    const values = dtype === 'float32' ? Float32Array.from(this.data) : dtype === 'bool' ? Array.from(this.data, Boolean) : Int32Array.from(this.data);
    const flat = tl.tensor(values as Float32Array, { dtype, device });
    if (!this.persistent) return flat.reshape(this.shape);
    const t = tl.keep(flat.reshape(this.shape));
    this.uploads.set(device, t);
    return t;
  }
}

export type Value = Tensor | Host;

/** A host copy of a tensor's values (`data`, read synchronously unless given): integers as int64. */
export function hostCopy(t: Tensor, data: ArrayLike<number> = t.dataSync() as ArrayLike<number>): Host {
  const dtype = t.dtype === 'float32' ? 'float32' : t.dtype === 'bool' ? 'bool' : 'int64';
  return new Host(dtype, [...t.shape], Array.from(data, Number));
}

/** An ONNX sequence: an ordered list of tensors (or host values) of one element type. */
export class Sequence {
  constructor(
    /** ONNX's element type code (1 float, 6 int32, 7 int64, 9 bool), as SequenceEmpty names it. */
    readonly elemType: number,
    readonly items: readonly Value[],
  ) {}
}

/** An ONNX optional: a tensor or a sequence, or nothing (`value` null). */
export class Optional {
  constructor(
    readonly value: Value | Sequence | null,
    /** The element's type as ONNX writes it (`tensor(float)`), for an empty one. */
    readonly type: string,
  ) {}
}

/** Nested arrays of strings, as `StringTensor.array()` gives them. */
export type NestedStrings = string | NestedStrings[];

/**
 * A tensor of strings (ONNX's `tensor(string)`): `data` in row-major order, of `shape`. Strings
 * live on the host only, never on a device. `OnnxModule.forward` takes one (or a plain object
 * `{ data, shape }`) for a graph input of type string, and returns one for a string output.
 *
 * @example
 * ```ts
 * const words = new StringTensor(['the', 'quick', 'brown', 'fox'], [1, 4]);
 * const normalized = model.forward(words) as StringTensor;
 * console.log(normalized.shape, normalized.data);
 * ```
 */
export class StringTensor {
  readonly data: readonly string[];
  readonly shape: readonly number[];

  /** `data` of `shape` (default: one dim, `[data.length]`). */
  constructor(data: readonly string[], shape: readonly number[] = [data.length]) {
    if (!Array.isArray(data) || data.some((s) => typeof s !== 'string')) throw new TypeError('StringTensor: data must be an array of strings');
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new TypeError(`StringTensor: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`StringTensor: shape [${shape}] holds ${size} strings, data has ${data.length}`);
    this.data = Object.freeze([...data]);
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The strings as nested arrays of `shape` (a string for a 0-d tensor). */
  array(): NestedStrings {
    const build = (dim: number, offset: number): NestedStrings => {
      if (dim === this.shape.length) return this.data[offset]!;
      const inner = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * inner));
    };
    return build(0, 0);
  }
}

/** What a graph's names stand for: a value, a sequence of values, an optional or a string tensor. */
export type Item = Value | Sequence | Optional | StringTensor;

export function isHost(v: Value | undefined): v is Host {
  return v instanceof Host;
}

/** The same values with another shape of the same size. */
export function withShape(v: Value, shape: number[]): Value {
  return isHost(v) ? new Host(v.dtype, shape, v.data, null, v.element) : v.reshape(shape);
}

export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/** numpy broadcasting of two shapes, or null when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The values of `h` broadcast to `shape` (which must be a broadcast of h's shape). */
export function broadcastData(h: Host, shape: readonly number[]): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  const src = strides(h.shape);
  const offset = shape.length - h.shape.length;
  const out = new Array<number>(size);
  const outStrides = strides(shape);
  for (let i = 0; i < size; i++) {
    let index = 0;
    for (let d = offset; d < shape.length; d++) {
      const coord = Math.floor(i / outStrides[d]!) % shape[d]!;
      if (h.shape[d - offset] !== 1) index += coord * src[d - offset]!;
    }
    out[i] = h.data[index]!;
  }
  return out;
}

/** Gather along `axis` on the host (ONNX Gather's shape rule), indices already in range. */
export function hostGather(h: Host, axis: number, indices: Host): Host {
  const outer = h.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = h.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = h.shape[axis]!;
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < indices.size; k++) {
      const idx = indices.data[k]! < 0 ? indices.data[k]! + n : indices.data[k]!;
      for (let i = 0; i < inner; i++) out.push(h.data[(o * n + idx) * inner + i]!);
    }
  }
  return new Host(h.dtype, [...h.shape.slice(0, axis), ...indices.shape, ...h.shape.slice(axis + 1)], out);
}

/** Concatenate along `axis` on the host. */
export function hostConcat(parts: Host[], axis: number): Host {
  const first = parts[0]!;
  const outer = first.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.shape.slice(axis).reduce((a, b) => a * b, 1);
      for (let i = 0; i < chunk; i++) out.push(p.data[o * chunk + i]!);
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  return new Host(first.dtype, shape, out);
}

/** Slice one axis on the host: `start`, `end` already clamped, `step` nonzero. */
export function hostSlice(h: Host, axis: number, start: number, end: number, step: number): Host {
  const outer = h.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = h.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = h.shape[axis]!;
  const picks: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) picks.push(i);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const p of picks) for (let i = 0; i < inner; i++) out.push(h.data[(o * n + p) * inner + i]!);
  const shape = [...h.shape];
  shape[axis] = picks.length;
  return new Host(h.dtype, shape, out);
}

/** Permute the dims on the host: output dim `i` is input dim `perm[i]`. */
export function hostTranspose(h: Host, perm: readonly number[]): Host {
  const shape = perm.map((p) => h.shape[p]!);
  const from = strides(h.shape);
  const out = new Array<number>(h.size);
  const at = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    out[k] = h.data[at.reduce((offset, v, i) => offset + v * from[perm[i]!]!, 0)]!;
    // The next output position, the last dim fastest.
    for (let i = shape.length - 1; i >= 0 && ++at[i]! === shape[i]; i--) at[i] = 0;
  }
  return new Host(h.dtype, shape, out);
}
