/**
 * Elementwise ops of two operands, with broadcasting and PyTorch's type promotion. Each is
 * one entry in the op table (dtype rules, gradient, composite) and one line here.
 */
import { recordOp } from '../autograd/engine.js';
import { noGrad } from '../autograd/grad-mode.js';
import { binaryFacts, ruleFor, type BinaryOp, type BinarySaved } from '../backend/op-table.js';
import type { DType } from '../dtype.js';
import type { Shape } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { accelerates, binaryKernel, castTarget, inFloat32, inFloat32List, refusal, sumToShape, tracker } from './elementwise.js';
import { zeros } from './creation.js';
import { binaryOperands } from './util.js';

/** Undo broadcasting on one input's gradient; the incoming gradient is the engine's to free. */
function reduceGrad(g: Tensor | null, shape: Shape, needed: boolean, incoming: Tensor): Tensor | null {
  if (!g) return null;
  const reduced = needed ? sumToShape(g, shape) : null;
  if (g !== incoming && reduced !== g) g.dispose();
  return reduced;
}

/**
 * The public function of binary op `op`: promotion, the op's dtype rules (a cast, a
 * refusal, or bool arithmetic as logic), then the kernel or the composite, recording the
 * gradient. Only the operands the gradient reads are kept for backward.
 */
function binary(op: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  const facts = binaryFacts(op);
  const retarget = (dtype: DType): DType => castTarget(ruleFor(facts, dtype)) ?? dtype;
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [ta, tb, temps] = binaryOperands(op, a, b, retarget);
    try {
      const rule = ruleFor(facts, ta.dtype);
      if (rule === 'refuse') throw refusal(op, ta.dtype, 'two');
      // Bool arithmetic stays bool, as PyTorch's `True + True` is `True`.
      if (rule === 'logicalOr' || rule === 'logicalAnd') return binaryKernel(rule, ta, tb);
      // The composite runs untracked: its gradient is the table's, as on the kernel path.
      const composite = facts.composite && !accelerates(ta.backend, 'binary', op) ? facts.composite : null;
      const out = composite ? noGrad(() => inFloat32([ta, tb], ([a, b]) => composite(a, b))) : binaryKernel(op, ta, tb);
      const gradient = facts.gradient;
      if (!gradient) return out;
      const aShape = ta.shape;
      const bShape = tb.shape;
      const operands: BinarySaved = { a: ta, b: tb, out };
      const dtype = ta.dtype;
      return recordOp(op, [ta, tb], out, gradient.saves.map((k) => operands[k]), (g, kept, needs) => {
        const formula = ([grad, ...rest]: Tensor[]): Tensor[] => {
          const saved = Object.fromEntries(gradient.saves.map((k, i) => [k, rest[i]])) as unknown as BinarySaved;
          const [track, intermediates] = tracker();
          const [ga, gb] = gradient.grads(grad, saved, track);
          intermediates.forEach((t) => t.dispose());
          // An input the op does not depend on gets zeros, as PyTorch gives.
          return [ga ?? zeros(aShape, { dtype: grad.dtype, device: grad.device }), gb ?? zeros(bShape, { dtype: grad.dtype, device: grad.device })];
        };
        // A composite's gradient formula is as long as the composite: float16 runs it in float32 too.
        const [ga, gb] = composite && dtype === 'float16' ? inFloat32List([g, ...kept], formula) : formula([g, ...kept]);
        return [reduceGrad(ga, aShape, needs[0], g), reduceGrad(gb, bShape, needs[1], g)];
      });
    } finally {
      temps.forEach((t) => t.dispose());
    }
  };
}

const addRaw = binary('add');
const subRaw = binary('sub');

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
export const mul = binary('mul');
/** True division `a / b` (integers promote to float32, as PyTorch). @example `tl.div(x, 2)` */
export const div = binary('div');
/**
 * `a ** b`, broadcasting. The exponent's gradient is `out * log(a)`, taken as 0 where `a` is 0.
 *
 * @example
 * ```ts
 * tl.pow(x, 2);
 * ```
 */
export const pow = binary('pow');
/** Elementwise maximum (NaN propagates). @example `tl.maximum(x, 0)` */
export const maximum = binary('maximum');
/** Elementwise minimum (NaN propagates). @example `tl.minimum(x, 1)` */
export const minimum = binary('minimum');
/** `a == b` as bool. @example `tl.eq(x, 0)` */
export const eq = binary('eq');
/** `a != b` as bool. */
export const ne = binary('ne');
/** `a < b` as bool. */
export const lt = binary('lt');
/** `a <= b` as bool. */
export const le = binary('le');
/** `a > b` as bool. */
export const gt = binary('gt');
/** `a >= b` as bool. */
export const ge = binary('ge');
/** Elementwise AND of truthiness, as bool. */
export const logicalAnd = binary('logicalAnd');
/** Elementwise OR of truthiness, as bool. */
export const logicalOr = binary('logicalOr');
/** Elementwise XOR of truthiness, as bool. */
export const logicalXor = binary('logicalXor');
/**
 * The angle of the point (`b`, `a`) (as C's atan2(y, x)), in [-pi, pi]; the signs of zeros
 * count. @example `tl.atan2(y, x)`
 */
export const atan2 = binary('atan2');
/** `sqrt(a^2 + b^2)` without overflow; Infinity if either is infinite. */
export const hypot = binary('hypot');
/** `|a|` with the sign of `b` (a negative zero counts as negative). */
export const copysign = binary('copysign');
/** `log(e^a + e^b)`, computed stably. @example `tl.logaddexp(logP, logQ)` */
export const logaddexp = binary('logaddexp');
/** `log2(2^a + 2^b)`, computed stably. */
export const logaddexp2 = binary('logaddexp2');
/** `a * log(b)`, 0 where `a` is 0 (unless `b` is NaN). */
export const xlogy = binary('xlogy');
