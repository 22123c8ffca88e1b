/**
 * Elementwise ops of two operands, with broadcasting and PyTorch's type promotion. Each is
 * one entry in the op table (dtype rules, gradient, composite) and one line here.
 */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';

import { binaryFacts, ruleFor, type BinaryOp, type BinarySaved } from '../backend/op-table.js';
import type { DType } from '../dtype.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { owned } from '../memory.js';
import { accelerates, binaryKernel, castTarget, inFloat32, inFloat32List, refusal, sumToShape } from './elementwise.js';
import { zeros } from './creation.js';
import { binaryOperands, checkOptionKeys } from './util.js';
import { autocastActive, autocasting, withAutocastPolicy } from '../autocast.js';

/**
 * The public function of binary op `op`: promotion, the op's dtype rules (a cast, a
 * refusal, or bool arithmetic as logic), then the kernel or the composite, recording the
 * gradient. Only the operands the gradient reads are kept for backward.
 */
function binary(op: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  const facts = binaryFacts(op);
  const retarget = (dtype: DType): DType => castTarget(ruleFor(facts, dtype)) ?? dtype;
  const fn = (a: TensorLike, b: TensorLike): Tensor =>
    // The casts and scalars made for the call are freed, also when it throws.
    owned((own) => {
      const [ta, tb] = binaryOperands(op, a, b, own, retarget);
      const rule = ruleFor(facts, ta.dtype);
      if (rule === 'refuse') throw refusal(op, ta.dtype, 'two');
      if (facts.intOperandCheck && ta.dtype === 'int32') checkIntOperand(op, facts.intOperandCheck, typeof b === 'object' ? tb : Number(b));
      // Bool arithmetic stays bool, as PyTorch's `True + True` is `True`.
      if (rule === 'logicalOr' || rule === 'logicalAnd') {
        const out = binaryKernel(rule, ta, tb);
        traceOp(rule, [ta, tb], [out]);
        return out;
      }
      // The composite runs untracked: its gradient is the table's, as on the kernel path.
      const composite = facts.composite && !accelerates(ta.backend, 'binary', op) ? facts.composite : null;
      const out = composite ? withinOp(() => inFloat32([ta, tb], ([a, b]) => composite(a, b))) : binaryKernel(op, ta, tb);
      const gradient = facts.gradient;
      if (!gradient) {
        traceOp(op, [ta, tb], [out]); // comparisons carry no gradient, but a trace follows them
        return out;
      }
      const aShape = ta.shape;
      const bShape = tb.shape;
      const operands: BinarySaved = { a: ta, b: tb, out };
      const dtype = ta.dtype;
      return recordOp(op, [ta, tb], out, gradient.saves.map((k) => operands[k]), (g, kept, needs) => {
        const formula = ([grad, ...rest]: Tensor[]): Tensor[] => {
          const saved = Object.fromEntries(gradient.saves.map((k, i) => [k, rest[i]])) as unknown as BinarySaved;
          return owned((track) => {
            const [ga, gb] = gradient.grads(grad, saved, track);
            // An input the op does not depend on gets zeros, as PyTorch gives.
            return [ga ?? zeros(aShape, { dtype: grad.dtype, device: grad.device }), gb ?? zeros(bShape, { dtype: grad.dtype, device: grad.device })];
          });
        };
        // A composite's gradient formula is as long as the composite: float16 runs it in float32 too.
        const [ga, gb] = composite && dtype === 'float16' ? inFloat32List([g, ...kept], formula) : formula([g, ...kept]);
        // Undo broadcasting; the formula's gradients are freed unless they are the result (the incoming one is the engine's).
        return owned((own) => {
          if (ga && ga !== g) own(ga);
          if (gb && gb !== g) own(gb);
          return [ga && needs[0] ? sumToShape(ga, aShape) : null, gb && needs[1] ? sumToShape(gb, bShape) : null];
        });
      });
    });
  return withAutocastPolicy(op, fn);
}

/**
 * PyTorch's checks of an int32 divisor or exponent, where the values can be read without
 * waiting: always for numbers (they arrive as 0-d tensors on host-visible backends), and for
 * tensors on backends with `readSync` (cpu, wasm). On webgpu and cuda a tensor operand is not
 * inspected: a zero int32 divisor gives 0 and a negative int32 exponent truncates (0 except
 * for the bases 1 and -1).
 */
function checkIntOperand(op: string, check: 'nonzero' | 'nonnegative', b: Tensor | number): void {
  let values: ArrayLike<number> = [b as number];
  if (typeof b === 'object') {
    const read = b.backend.readSync;
    if (!read || b.size === 0) return;
    values = read.call(b.backend, b.kernelView);
  }
  for (let i = 0; i < values.length; i++) {
    if (check === 'nonzero' && values[i] === 0) throw new RangeError(`${op}: ZeroDivisionError: int32 division by zero (divisor ${typeof b === 'object' ? `of shape [${b.shape.join(', ')}]` : b})`);
    if (check === 'nonnegative' && values[i] < 0) {
      throw new RangeError(`${op}: Integers to negative integer powers are not allowed (int32 exponent ${values[i]})`);
    }
  }
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
  return owned((own) => addRaw(a, own(mul(b, alpha))));
}

/** `a - alpha * b`, broadcasting. @example `tl.sub(x, 1)` */
export function sub(a: TensorLike, b: TensorLike, alpha = 1): Tensor {
  if (alpha === 1) return subRaw(a, b);
  return owned((own) => subRaw(a, own(mul(b, alpha))));
}

/** `a * b`, broadcasting. @example `tl.mul(x, x)` */
export const mul = binary('mul');
const divRaw = binary('div');

export interface DivOptions {
  /**
   * `undefined`/`null`: true division (integers promote to float32); `'trunc'`: the quotient
   * rounded toward zero; `'floor'`: rounded down (as {@link floorDivide}). Integer operands
   * keep int32 under both roundings; their gradients are zero, as PyTorch's.
   */
  roundingMode?: 'trunc' | 'floor' | null;
}

/**
 * `a / b`, broadcasting: true division, or rounded with `roundingMode`.
 *
 * @example
 * ```ts
 * tl.div(x, 2);
 * tl.div(tl.tensor([7, -7], { dtype: 'int32' }), 2, { roundingMode: 'floor' }); // [3, -4]
 * ```
 */
export function div(a: TensorLike, b: TensorLike, options: DivOptions = {}): Tensor {
  checkOptionKeys('div', options, ['roundingMode']);
  const mode = options.roundingMode;
  if (mode === undefined || mode === null) return divRaw(a, b);
  if (mode === 'floor') return floorDivide(a, b);
  if (mode !== 'trunc') {
    throw new Error(`div: expected roundingMode to be one of undefined, null, 'trunc' or 'floor', got ${JSON.stringify(mode)}`);
  }
  return owned((t) => {
    const [ta, tb] = binaryOperands('div', a, b, t);
    if (ta.dtype === 'bool') throw refusal('div', 'bool', 'two');
    if (ta.dtype !== 'int32') return t(divRaw(ta, tb)).trunc();
    // Integer truncation: the floor quotient, one up where the division is inexact and the signs differ.
    // A number divisor goes in as a number, so its zero check runs on every backend.
    const divisor = typeof b === 'number' ? b : tb;
    const floor = t(floorDivide(ta, divisor));
    const inexact = t(t(fmod(ta, divisor)).ne(0));
    const signsDiffer = t(t(ta.lt(0)).ne(t(tb.lt(0))));
    return floor.add(t(t(inexact.logicalAnd(signsDiffer)).cast('int32')));
  });
}

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

/**
 * The remainder of floor division, with the divisor's sign (Python's `%`, torch.remainder);
 * int32 or float. An int32 zero divisor raises "ZeroDivisionError" where core can read it.
 *
 * @example
 * ```ts
 * tl.remainder(tl.tensor([5, -5]), 3); // [2, 1]
 * ```
 */
export const remainder = binary('remainder');
/**
 * The remainder of truncated division, with the dividend's sign (C's fmod).
 *
 * @example
 * ```ts
 * tl.fmod(tl.tensor([5, -5]), 3); // [2, -2]
 * ```
 */
export const fmod = binary('fmod');
/**
 * The quotient rounded down; int32 operands give int32. Zero gradients.
 *
 * @example
 * ```ts
 * tl.floorDivide(tl.tensor([7, -7], { dtype: 'int32' }), 2); // [3, -4]
 * ```
 */
export const floorDivide = binary('floorDivide');
/** Bitwise AND of int32 or bool tensors. @example `tl.bitwiseAnd(tl.tensor([12], { dtype: 'int32' }), 10) // [8]` */
export const bitwiseAnd = binary('bitwiseAnd');
/** Bitwise OR of int32 or bool tensors. @example `tl.bitwiseOr(tl.tensor([12], { dtype: 'int32' }), 10) // [14]` */
export const bitwiseOr = binary('bitwiseOr');
/** Bitwise XOR of int32 or bool tensors. @example `tl.bitwiseXor(tl.tensor([12], { dtype: 'int32' }), 10) // [6]` */
export const bitwiseXor = binary('bitwiseXor');
/**
 * `a << b` on int32 (wrapping; the count is taken modulo 32, as PyTorch's CPU).
 * @example `tl.bitwiseLeftShift(tl.tensor([1], { dtype: 'int32' }), 4) // [16]`
 */
export const bitwiseLeftShift = binary('bitwiseLeftShift');
/**
 * `a >> b` on int32, arithmetic (the sign bit fills; the count is taken modulo 32).
 * @example `tl.bitwiseRightShift(tl.tensor([-8], { dtype: 'int32' }), 1) // [-4]`
 */
export const bitwiseRightShift = binary('bitwiseRightShift');
/**
 * Elementwise maximum ignoring NaN: the other operand wins; NaN only where both are NaN.
 * @example `tl.fmax(tl.tensor([1, NaN]), tl.tensor([NaN, 2])) // [1, 2]`
 */
export const fmax = binary('fmax');
/** Elementwise minimum ignoring NaN. @example `tl.fmin(tl.tensor([1, NaN]), tl.tensor([NaN, 2])) // [1, 2]` */
export const fmin = binary('fmin');

/** The scaling of addcmul and addcdiv. */
export interface AddcOptions {
  /** The multiplier of the product or quotient (1 by default). */
  value?: number;
}

/**
 * `x + value * t1 * t2`, broadcasting; the gradients are those of the composite.
 *
 * @example
 * ```ts
 * tl.addcmul(x, t1, t2, { value: 0.5 });
 * ```
 */
export function addcmul(x: TensorLike, t1: TensorLike, t2: TensorLike, options: AddcOptions = {}): Tensor {
  if (autocastActive()) return autocasting('addcmul', [x, t1, t2, options], addcmul);
  checkOptionKeys('addcmul', options, ['value']);
  const value = checkValue('addcmul', options.value);
  return owned((own) => add(x, own(mul(t1, t2)), value));
}

/**
 * `x + value * t1 / t2`, broadcasting. Integer `t1` and `t2` are refused, as PyTorch
 * refuses them (use `div` with a roundingMode, or cast).
 *
 * @example
 * ```ts
 * tl.addcdiv(x, t1, t2, { value: -0.1 });
 * ```
 */
export function addcdiv(x: TensorLike, t1: TensorLike, t2: TensorLike, options: AddcOptions = {}): Tensor {
  if (autocastActive()) return autocasting('addcdiv', [x, t1, t2, options], addcdiv);
  checkOptionKeys('addcdiv', options, ['value']);
  const value = checkValue('addcdiv', options.value);
  const integral = (v: TensorLike) => (typeof v === 'object' ? v.dtype === 'int32' || v.dtype === 'bool' : typeof v === 'boolean' || Number.isInteger(v));
  if (integral(t1) && integral(t2)) {
    const d = (v: TensorLike) => (typeof v === 'object' ? v.dtype : typeof v);
    throw new TypeError(`addcdiv: integer division is not supported (tensor1 ${d(t1)}, tensor2 ${d(t2)}); cast to float first`);
  }
  return owned((own) => add(x, own(divRaw(t1, t2)), value));
}

function checkValue(op: string, value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number') throw new TypeError(`${op}: value must be a number, got ${String(value)}`);
  return value;
}
