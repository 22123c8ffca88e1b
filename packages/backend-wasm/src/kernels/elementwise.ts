/**
 * Elementwise kernels: unary, binary, where, cast, copy, fill (assembly/elementwise.ts).
 * Views are planned with core's `planElementwise`; float32 ops whose views merge into one
 * long line are split across threads.
 */
import {
  BINARY_TABLE, DTYPE_CODES, isContiguous, planElementwise, sizeOf, UNARY_TABLE,
  type BinaryComposite, type BinaryPrimitive, type TensorView, type UnaryComposite, type UnaryPrimitive,
} from '@tensile/core';
import { addressOf, elementBytes } from '../buffer.js';
import { COUNTERS, kernelError, type Block, type Device } from '../device.js';
import type { Walk } from '../walk.js';

/** The op table's composite unary ops this backend runs as kernels (the rest run as composites). */
export const ACCELERATED_UNARY = ['rsqrt', 'reciprocal', 'sigmoid', 'relu'] as const satisfies readonly UnaryComposite[];
/** The unary ops assembly/elementwise.ts has cases for: every primitive, and the accelerated composites. */
export type WasmUnaryOp = UnaryPrimitive | (typeof ACCELERATED_UNARY)[number];
export const ACCELERATED_BINARY = [] as const satisfies readonly BinaryComposite[];
export type WasmBinaryOp = BinaryPrimitive | (typeof ACCELERATED_BINARY)[number];

/**
 * Elements from which a float32 unary or binary op whose views merge into one line (same
 * shape and contiguous, or a single value against a line) is split across threads: 128k
 * elements take ~15-30 µs, and a worker that is not awake in time is withdrawn, not waited for.
 */
const PARALLEL_ELEMENTWISE = 1 << 17;

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);
function floatBits(v: number): number {
  f32Bits[0] = v;
  return u32Bits[0] | 0;
}

export function fill(device: Device, out: TensorView, value: number): void {
  if (sizeOf(out.shape) === 0) return;
  const size = elementBytes(out.dtype);
  const d = device.walk(0, planElementwise(out.shape, [out]), [size]);
  const bits = out.dtype === 'float32' ? floatBits(value) : out.dtype === 'int32' ? value | 0 : value !== 0 ? 1 : 0;
  device.k.fill(d, addressOf(out), bits, size);
}

export function copy(device: Device, x: TensorView, out: TensorView): void {
  if (x.dtype !== out.dtype) throw new Error(`wasm backend: copy needs one dtype, got ${x.dtype} and ${out.dtype}; use cast`);
  if (sizeOf(out.shape) === 0) return;
  const size = elementBytes(out.dtype);
  const d = device.walk(0, planElementwise(out.shape, [x, out]), [size, size]);
  device.k.copy(d, addressOf(x), addressOf(out), size);
}

export function cast(device: Device, x: TensorView, out: TensorView): void {
  if (x.dtype === out.dtype) return copy(device, x, out);
  if (sizeOf(out.shape) === 0) return;
  const d = device.walk(0, planElementwise(out.shape, [x, out]), [elementBytes(x.dtype), elementBytes(out.dtype)]);
  device.k.cast(DTYPE_CODES[x.dtype], DTYPE_CODES[out.dtype], d, addressOf(x), addressOf(out));
}

/** `op` on `x`, of a dtype the op table sends to the kernel (core applies the dtype rules first). */
export function unary(device: Device, op: WasmUnaryOp, x: TensorView, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const code = UNARY_TABLE[op].code;
  const plan = planElementwise(out.shape, [x, out]);
  const nt = x.dtype === 'float32' ? lineThreads(device, plan) : 1;
  try {
    if (nt > 1) {
      const [sx, so] = plan.strides;
      device.zeroCounters();
      device.run('unary_line_f32', [code, addressOf(x), addressOf(out), plan.shape[0], sx[0] * 4, so[0] * elementBytes(out.dtype), COUNTERS], nt);
      return;
    }
    const d = device.walk(0, plan, [elementBytes(x.dtype), elementBytes(out.dtype)]);
    if (x.dtype === 'float32') device.k.unary_f32(code, d, addressOf(x), addressOf(out));
    else device.k.unary_int(code, DTYPE_CODES[x.dtype], DTYPE_CODES[out.dtype], d, addressOf(x), addressOf(out));
  } catch (error) {
    throw kernelError(error, `unary '${op}' (code ${code}) of ${x.dtype}`, 'assembly/elementwise.ts');
  }
}

/** `op` on `a` and `b`, already broadcast to out's shape and of one dtype the op table sends to the kernel. */
export function binary(device: Device, op: WasmBinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const code = BINARY_TABLE[op].code;
  const size = elementBytes(a.dtype);
  const plan = planElementwise(out.shape, [a, b, out]);
  const nt = a.dtype === 'float32' ? lineThreads(device, plan) : 1;
  try {
    if (nt > 1) {
      const [sa, sb, so] = plan.strides;
      device.zeroCounters();
      device.run('binary_line_f32', [
        code, addressOf(a), addressOf(b), addressOf(out), plan.shape[0], sa[0] * 4, sb[0] * 4, so[0] * elementBytes(out.dtype), COUNTERS,
      ], nt);
      return;
    }
    const d = device.walk(0, plan, [size, size, elementBytes(out.dtype)]);
    if (a.dtype === 'float32') device.k.binary_f32(code, d, addressOf(a), addressOf(b), addressOf(out));
    else device.k.binary_int(code, DTYPE_CODES[a.dtype], DTYPE_CODES[out.dtype], d, addressOf(a), addressOf(b), addressOf(out));
  } catch (error) {
    throw kernelError(error, `binary '${op}' (code ${code}) of ${a.dtype}`, 'assembly/elementwise.ts');
  }
}

/** Threads for a float32 elementwise walk: more than one only for one long line (see PARALLEL_ELEMENTWISE). */
function lineThreads(device: Device, walk: Walk): number {
  return walk.shape.length === 1 ? device.threadsFor(walk.shape[0], PARALLEL_ELEMENTWISE) : 1;
}

export function where(device: Device, cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const size = elementBytes(out.dtype);
  const d = device.walk(0, planElementwise(out.shape, [cond, a, b, out]), [1, size, size, size]);
  device.k.where(size, d, addressOf(cond), addressOf(a), addressOf(b), addressOf(out));
}

/**
 * The byte address of `view`'s elements in row-major order: its own when it is contiguous,
 * else a copy in scratch that the caller releases (`block`).
 */
export function contiguousAddress(device: Device, view: TensorView, what: string): { ptr: number; block: Block | null } {
  if (isContiguous(view.shape, view.strides)) return { ptr: addressOf(view), block: null };
  const tmp = device.temporary(view.shape, view.dtype, what);
  copy(device, view, tmp.view);
  return { ptr: addressOf(tmp.view), block: tmp.block };
}
