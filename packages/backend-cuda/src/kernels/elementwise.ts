/**
 * The elementwise family (kernels/elementwise.cu): unary, binary, where, cast, copy, fill.
 * Every kernel walks core's elementwise plan of its views (dims merged where all allow),
 * one thread per element in a grid-stride loop; operand 0 is `out`.
 *
 * Unary and binary kernels are filed under the op table's codes. `CUDA_UNARY_OPS` (every
 * primitive, and the composites in `ACCELERATED_UNARY`) is the one list of what this
 * backend runs as kernels: `pnpm generate` turns it into the device list that
 * kernels/elementwise.cu instantiates a kernel per (op, dtype) from, so an accelerated op
 * without its device functor fails to compile, and test/native.test.ts checks the built
 * addon holds every kernel this file can launch.
 */
import {
  BINARY_OPS, BINARY_TABLE, binaryFacts, DTYPE_CODES, hasComposite, planElementwise, UNARY_OPS, UNARY_TABLE, unaryFacts,
  type BinaryComposite, type BinaryPrimitive, type DType, type TensorView, type UnaryComposite, type UnaryPrimitive,
} from '@tensile/core';
import { pointerOf } from '../buffer.js';
import { MAX_DIMS, MAX_OPERANDS } from '../params.js';
import { BLOCK, checkRank, gridFor, type KernelRef, type Launcher } from './launch.js';

/** The op table's composite unary ops this backend runs as kernels (core runs the others as composites). */
export const ACCELERATED_UNARY = ['rsqrt', 'reciprocal', 'sigmoid', 'relu'] as const satisfies readonly UnaryComposite[];
export const ACCELERATED_BINARY = [] as const satisfies readonly BinaryComposite[];
/** The unary ops this backend has kernels for: every primitive, and the accelerated composites. */
export type CudaUnaryOp = UnaryPrimitive | (typeof ACCELERATED_UNARY)[number];
export type CudaBinaryOp = BinaryPrimitive | (typeof ACCELERATED_BINARY)[number];

/** Every unary op with a kernel here, in code order. */
export const CUDA_UNARY_OPS: readonly CudaUnaryOp[] = UNARY_OPS.filter(
  (op): op is CudaUnaryOp => !hasComposite(unaryFacts(op)) || (ACCELERATED_UNARY as readonly string[]).includes(op),
);
export const CUDA_BINARY_OPS: readonly CudaBinaryOp[] = BINARY_OPS.filter(
  (op): op is CudaBinaryOp => !hasComposite(binaryFacts(op)) || (ACCELERATED_BINARY as readonly string[]).includes(op),
);

/** Launch `kernel` (an ElementwiseParams kernel) over `operands[0]`'s shape (operand 0 is `out`). */
function elementwise(
  launcher: Launcher, kernel: KernelRef, what: string, operands: readonly TensorView[], scalar?: { f: number; i: number },
): void {
  const plan = planElementwise(operands[0].shape, operands);
  if (plan.size === 0) return;
  checkRank(plan.shape.length, what);
  if (operands.length > MAX_OPERANDS) throw new Error(`cuda backend: ${what} has ${operands.length} operands; the kernels take at most ${MAX_OPERANDS}`);
  const p = launcher.args('ElementwiseParams');
  p.set('n', plan.size).set('rank', plan.shape.length).setAll('shape', plan.shape).setAll('offset', plan.offsets);
  operands.forEach((v, k) => p.set('ptr', pointerOf(v), k).setAll('strides', plan.strides[k], k * MAX_DIMS));
  if (scalar) p.set('scalar', scalar.f).set('iscalar', scalar.i);
  launcher.launch(kernel, [gridFor(plan.size), 1, 1], BLOCK, p);
}

export function fill(launcher: Launcher, out: TensorView, value: number): void {
  const i = out.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value | 0; // ToInt32, as an Int32Array store
  elementwise(launcher, { family: 'fill', op: 0, dtype: out.dtype }, 'fill', [out], { f: value, i });
}

/** `x` into `out` of the same dtype (core guarantees it; `cast` converts). */
export function copy(launcher: Launcher, x: TensorView, out: TensorView): void {
  elementwise(launcher, { family: 'copy', op: 0, dtype: x.dtype }, 'copy', [out, x]);
}

/** The cast kernel from `from` to `to`, filed under the target dtype's code. */
export function castKernel(from: DType, to: DType): KernelRef {
  return { family: 'cast', op: DTYPE_CODES[to], dtype: from };
}

export function cast(launcher: Launcher, x: TensorView, out: TensorView): void {
  if (x.dtype === out.dtype) return copy(launcher, x, out);
  elementwise(launcher, castKernel(x.dtype, out.dtype), 'cast', [out, x]);
}

/** The kernel of a unary op on `x`: core has applied the op's dtype rules, so `x` is a dtype its kernel takes. */
export function unaryKernel(op: CudaUnaryOp, x: DType): KernelRef {
  return { family: 'unary', op: UNARY_TABLE[op].code, dtype: x };
}

export function unary(launcher: Launcher, op: CudaUnaryOp, x: TensorView, out: TensorView): void {
  elementwise(launcher, unaryKernel(op, x.dtype), `unary '${op}'`, [out, x]);
}

/** The kernel of a binary op on operands of dtype `x` (one dtype, one its kernel takes: core's rules). */
export function binaryKernel(op: CudaBinaryOp, x: DType): KernelRef {
  return { family: 'binary', op: BINARY_TABLE[op].code, dtype: x };
}

export function binary(launcher: Launcher, op: CudaBinaryOp, a: TensorView, b: TensorView, out: TensorView): void {
  elementwise(launcher, binaryKernel(op, a.dtype), `binary '${op}'`, [out, a, b]);
}

export function where(launcher: Launcher, cond: TensorView, a: TensorView, b: TensorView, out: TensorView): void {
  elementwise(launcher, { family: 'where', op: 0, dtype: out.dtype }, 'where', [out, cond, a, b]);
}
