/** Elementwise ops of two operands, with broadcasting, PyTorch's type promotion and gradients. */
import { recordOp } from '../autograd/engine.js';
import type { BinaryOp } from '../backend/contract.js';
import type { DType } from '../dtype.js';
import { broadcastShapes, shapesEqual, type Shape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { binaryOperands, broadcastView, empty } from './util.js';

const BOOL_RESULT = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);

/**
 * Arithmetic on bools stays bool, as PyTorch's `True + True` is `True`: add and maximum are
 * OR, mul and minimum are AND; the rest have no bool meaning. Kernels never see bool
 * arithmetic.
 */
function boolKernelOp(op: BinaryOp, name: string): BinaryOp {
  switch (op) {
    case 'add':
    case 'maximum':
      return 'logicalOr';
    case 'mul':
    case 'minimum':
      return 'logicalAnd';
    case 'sub':
    case 'div':
    case 'pow':
      throw new TypeError(`${name}: not supported for two bool tensors; use logicalAnd/logicalOr, or cast with t.int() first`);
    default:
      return op;
  }
}

/** Run a binary kernel on prepared operands (no recording). */
export function binaryKernel(op: BinaryOp, name: string, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape, name);
  const kernelOp = a.dtype === 'bool' ? boolKernelOp(op, name) : op;
  const out = empty(a.backend, shape, BOOL_RESULT.has(op) ? 'bool' : a.dtype);
  a.backend.binary(kernelOp, broadcastView(a, shape), broadcastView(b, shape), out.kernelView);
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
  const summed = g.sum(axes, true);
  const out = summed.reshape(shape);
  summed.dispose();
  return out;
}

/** The operands a gradient may read; only those named in `saves` are kept. */
interface Saved {
  a: Tensor;
  b: Tensor;
  out: Tensor;
}
type Grads = (g: Tensor, saved: Saved) => [Tensor | null, Tensor | null];

/**
 * Define a differentiable binary op: promote, run the kernel, record `grads`. Only the
 * operands listed in `saves` are kept alive for backward, so activations are not held longer
 * than a gradient needs them; broadcasting is undone here.
 */
function differentiable(op: BinaryOp, minimum: DType | undefined, grads: Grads, saves: readonly (keyof Saved)[]) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [ta, tb, temps] = binaryOperands(op, a, b, minimum);
    const out = binaryKernel(op, op, ta, tb);
    const aShape = ta.shape;
    const bShape = tb.shape;
    const operands: Saved = { a: ta, b: tb, out };
    recordOp(op, [ta, tb], out, saves.map((k) => operands[k]), (g, kept, needs) => {
      const saved = Object.fromEntries(saves.map((k, i) => [k, kept[i]])) as unknown as Saved;
      const [ga, gb] = grads(g, saved);
      return [reduceGrad(ga, aShape, needs[0], g), reduceGrad(gb, bShape, needs[1], g)];
    });
    temps.forEach((t) => t.dispose());
    return out;
  };
}

/** Undo broadcasting on one input's gradient; the incoming gradient is the engine's to free. */
function reduceGrad(g: Tensor | null, shape: Shape, needed: boolean, incoming: Tensor): Tensor | null {
  if (!g) return null;
  const reduced = needed ? sumToShape(g, shape) : null;
  if (g !== incoming && reduced !== g) g.dispose();
  return reduced;
}

const addRaw = differentiable('add', undefined, (g) => [g, g], []);
const subRaw = differentiable('sub', undefined, (g) => [g, g.neg()], []);

/**
 * `a + alpha * b`, broadcasting.
 *
 * @example
 * ```ts
 * tl.add(tl.tensor([1, 2]), 10); // [11, 12]
 * ```
 */
export function add(a: TensorLike, b: TensorLike, alpha = 1): Tensor {
  if (alpha === 1) return addRaw(a, b);
  const scaled = mul(b, alpha);
  const out = addRaw(a, scaled);
  scaled.dispose();
  return out;
}

/** `a - alpha * b`, broadcasting. @example `tl.sub(x, 1)` */
export function sub(a: TensorLike, b: TensorLike, alpha = 1): Tensor {
  if (alpha === 1) return subRaw(a, b);
  const scaled = mul(b, alpha);
  const out = subRaw(a, scaled);
  scaled.dispose();
  return out;
}

/** `a * b`, broadcasting. @example `tl.mul(x, x)` */
export const mul = differentiable('mul', undefined, (g, { a, b }) => [g.mul(b), g.mul(a)], ['a', 'b']);

/** True division `a / b` (integers promote to float32, as PyTorch). @example `tl.div(x, 2)` */
export const div = differentiable(
  'div',
  'float32',
  (g, { b, out }) => {
    const ga = g.div(b);
    const t = ga.mul(out);
    const gb = t.neg();
    t.dispose();
    return [ga, gb];
  },
  ['b', 'out'],
);

/**
 * `a ** b`, broadcasting. The exponent's gradient is `out * log(a)`, taken as 0 where `a` is 0.
 *
 * @example
 * ```ts
 * tl.pow(x, 2);
 * ```
 */
export const pow = differentiable(
  'pow',
  undefined,
  (g, { a, b, out }) => {
    const bm1 = b.sub(1);
    const p = a.pow(bm1);
    const dA = p.mul(b);
    const ga = g.mul(dA);
    const logA = a.log();
    const zero = a.eq(0);
    const safeLog = logA.where(zero.logicalNot(), 0);
    const t = out.mul(safeLog);
    const gb = g.mul(t);
    [bm1, p, dA, logA, zero, safeLog, t].forEach((x) => x.dispose());
    return [ga, gb];
  },
  ['a', 'b', 'out'],
);

/** Gradient split of maximum/minimum: the winner takes it, ties share it equally (as PyTorch). */
function extremumGrads(win: 'gt' | 'lt'): Grads {
  return (g, { a, b }) => {
    const aWins = binaryKernel(win, win, a, b).cast(g.dtype);
    const tie = binaryKernel('eq', 'eq', a, b).cast(g.dtype);
    const half = tie.mul(0.5);
    const wa = aWins.add(half);
    const wb = wa.neg().add(1);
    const ga = g.mul(wa);
    const gb = g.mul(wb);
    [aWins, tie, half, wa, wb].forEach((x) => x.dispose());
    return [ga, gb];
  };
}

/** Elementwise maximum (NaN propagates). @example `tl.maximum(x, 0)` */
export const maximum = differentiable('maximum', undefined, extremumGrads('gt'), ['a', 'b']);
/** Elementwise minimum (NaN propagates). @example `tl.minimum(x, 1)` */
export const minimum = differentiable('minimum', undefined, extremumGrads('lt'), ['a', 'b']);

function comparison(op: BinaryOp, minimum?: DType) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [ta, tb, temps] = binaryOperands(op, a, b, minimum);
    const out = binaryKernel(op, op, ta, tb);
    temps.forEach((t) => t.dispose());
    return out;
  };
}

/** `a == b` as bool. @example `tl.eq(x, 0)` */
export const eq = comparison('eq');
/** `a != b` as bool. */
export const ne = comparison('ne');
/** `a < b` as bool. */
export const lt = comparison('lt');
/** `a <= b` as bool. */
export const le = comparison('le');
/** `a > b` as bool. */
export const gt = comparison('gt');
/** `a >= b` as bool. */
export const ge = comparison('ge');

function logical(op: 'logicalAnd' | 'logicalOr') {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [ta, tb, temps] = binaryOperands(op, a, b);
    const ba = ta.cast('bool');
    const bb = tb.cast('bool');
    const out = binaryKernel(op, op, ba, bb);
    [...temps, ba, bb].forEach((t) => t.dispose());
    return out;
  };
}

/** Elementwise AND of truthiness, as bool. */
export const logicalAnd = logical('logicalAnd');
/** Elementwise OR of truthiness, as bool. */
export const logicalOr = logical('logicalOr');
