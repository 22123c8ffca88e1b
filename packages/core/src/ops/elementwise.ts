/**
 * What unary and binary ops share: running their kernels, applying the op table's dtype
 * rules, choosing between a backend's kernel and the op's composite, undoing broadcasting.
 */
import type { Backend } from '../backend/contract.js';
import { binaryFacts, resultDType, unaryFacts, type BinaryOp, type DTypeRule, type UnaryOp } from '../backend/op-table.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, shapesEqual, type Shape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { owned } from '../memory.js';
import { broadcastView, empty } from './util.js';

/** Run a unary kernel (no rules, no recording). */
export function unaryKernel(op: UnaryOp, x: Tensor): Tensor {
  const out = empty(x.backend, x.shape, resultDType(unaryFacts(op).kind, x.dtype), op);
  x.backend.unary(op, x.kernelView, out.kernelView);
  return out;
}

/** Run a binary kernel on operands of one dtype, broadcasting (no rules, no recording). */
export function binaryKernel(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = empty(a.backend, shape, resultDType(binaryFacts(op).kind, a.dtype), op);
  a.backend.binary(op, broadcastView(a, shape), broadcastView(b, shape), out.kernelView);
  return out;
}

/**
 * Sum a broadcast gradient back down to `shape` (the inverse of broadcasting).
 * Returns `g` itself when nothing was broadcast.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return owned((own) => own(g.sum(axes, true)).reshape(shape));
}


/** Each backend's accelerated ops, as sets (read once per backend). */
const acceleratedSets = new WeakMap<Backend, { unary: ReadonlySet<string>; binary: ReadonlySet<string> }>();
let compositesForced = 0;

/** Whether `backend` runs composite op `op` as a kernel (otherwise core runs the composite). */
export function accelerates(backend: Backend, family: 'unary' | 'binary', op: UnaryOp | BinaryOp): boolean {
  if (compositesForced > 0) return false;
  let sets = acceleratedSets.get(backend);
  if (!sets) {
    sets = { unary: new Set(backend.accelerates.unary), binary: new Set(backend.accelerates.binary) };
    acceleratedSets.set(backend, sets);
  }
  return sets[family].has(op);
}

/** Whether `withComposites` is in force: ops with an optional kernel then take their composite. */
export function compositesForcedNow(): boolean {
  return compositesForced > 0;
}

/**
 * Run `fn` with every composite op on its composite, even where a backend accelerates it:
 * how the conformance suite checks composites on backends that have kernels for them.
 *
 * @internal
 */
export function withComposites<T>(fn: () => T): T {
  compositesForced++;
  try {
    return fn();
  } finally {
    compositesForced--;
  }
}

/** A hint for casting, by the dtype that was refused. */
function castHint(dtype: DType): string {
  if (dtype === 'float32' || dtype === 'float16') return 'cast with t.int() first';
  return dtype === 'bool' ? "cast with t.int() or t.float() first" : 'cast with t.float() first';
}

/** The error for a refused dtype, naming the op (`two bool tensors` for binary ops). */
export function refusal(op: string, dtype: DType, operands: 'one' | 'two'): TypeError {
  const what = operands === 'two' ? `two ${dtype} tensors` : `${dtype} tensors`;
  const logical = dtype === 'bool' && operands === 'two' ? 'use logicalAnd/logicalOr, or ' : '';
  return new TypeError(`${op}: not supported for ${what}; ${logical}${castHint(dtype)}`);
}

/** The dtype a cast rule asks for, or null when the rule is not a cast. */
export function castTarget(rule: DTypeRule | string): DType | null {
  return rule === 'float32' || rule === 'int32' || rule === 'bool' ? rule : null;
}

/** Tensors for {@link inFloat32}; absent optional ones (null) pass through. */
type Inputs = readonly (Tensor | null | undefined)[];

/**
 * `fn` on `inputs`, float16 ones widened to float32 and the result rounded back to float16
 * (PyTorch's opmath): a composite of many ops would otherwise round at every step.
 */
export function inFloat32<T extends Inputs>(inputs: readonly [...T], fn: (wide: T) => Tensor): Tensor {
  return inFloat32List(inputs, (wide) => [fn(wide)])[0];
}

/** {@link inFloat32} for a function with several results. */
export function inFloat32List<T extends Inputs>(inputs: readonly [...T], fn: (wide: T) => Tensor[]): Tensor[] {
  if (!inputs.some((t) => t?.dtype === 'float16')) return fn([...inputs] as unknown as T);
  return owned((own) => {
    const wide = inputs.map((t) => (t?.dtype === 'float16' ? own(t.cast('float32')) : t)) as unknown as T;
    const results = fn(wide);
    results.forEach(own); // the float32 ones are rounded to float16 and freed; the others are returned
    return results.map((r) => (r.dtype === 'float32' ? own(r.cast('float16')) : r));
  });
}
