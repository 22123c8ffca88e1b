/**
 * The op table: the one home of the facts about elementwise and reduce ops.
 *
 * Each entry gives an op's stable code (device code switches on it; never renumber or
 * reuse one), its kind, what it does with float, int32 and bool inputs, a plain-JS
 * reference function (the executable spec: the shared kernel suite checks every backend
 * against it), its gradient, and optionally a composite written with other ops.
 *
 * An op with a composite needs no backend code: core runs the composite on every backend
 * that does not list the op in {@link Backend.accelerates}, and records the entry's gradient
 * either way. An op without one is a
 * primitive that every backend implements. `UNARY_OPS`, `BINARY_OPS`, the generated device
 * op codes (`pnpm generate`) and `Tensor`'s elementwise methods all derive from here, so a
 * new op is one entry plus its public function in `ops/unary.ts` or `ops/binary.ts`.
 *
 * Entries only call Tensor methods (no imports of ops), so this module loads before them.
 */
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import * as composites from './composites.js';
import { owned } from '../memory.js';
import {
  digamma, erf, erfc, erfinv, floorDivide, floorDivideInt32, fmod, fmodInt32, lgamma, powInt32, remainder, remainderInt32,
  roundHalfEven, sigmoid, sign,
} from './scalar-math.js';

/**
 * What an op does with inputs of one dtype class, before any kernel runs:
 * - `kernel`: the backend computes it in that dtype;
 * - `refuse`: an error naming the op and the dtype, as PyTorch raises;
 * - `identity`: the input's values unchanged (floor of an int32, sign of a bool);
 * - `float32` / `int32` / `bool`: the input is cast to that dtype first (exp of an int is a
 *   float; a bool sum counts in int32).
 */
export type DTypeRule = 'kernel' | 'refuse' | 'identity' | 'float32' | 'int32' | 'bool';

/** math ops write their input's dtype; compare and logical ops write bool. */
export type OpKind = 'math' | 'compare' | 'logical';

/** Records intermediates of a gradient formula, which are disposed once it has run. */
export type Track = <T extends Tensor>(t: T) => T;

interface ElementwiseFacts {
  /** Stable code for device code. */
  readonly code: number;
  readonly kind: OpKind;
  /** Rules for float32 and float16, int32, and bool inputs (after type promotion). */
  readonly float: DTypeRule;
  readonly int: DTypeRule;
  readonly bool: DTypeRule;
  /** Where the kernel suite samples float inputs (default [-3, 3]). */
  readonly domain?: readonly [number, number];
  /**
   * Relative error allowed against the float32-rounded reference (default 2e-6, a few
   * float32 ulps): the accuracy every backend's kernel promises.
   */
  readonly tolerance?: number;
}

export interface UnaryFacts extends ElementwiseFacts {
  /** The op on one number, computed in float64 (the kernel's float32 result is compared with its rounding). */
  readonly reference: (x: number) => number;
  /** The op on an int32, where it differs from `reference(x) | 0`. */
  readonly intReference?: (x: number) => number;
  /** The op on a bool (0 or 1), where it differs from `reference(x) != 0`. */
  readonly boolReference?: (x: number) => number;
  /**
   * The input's gradient from the incoming one, `g`, and the saved input `x` (`saves: 'x'`)
   * or output `y` (`saves: 'y'`). `null`: the gradient is zero (rounding, sign); ops with
   * bool results (logic) record none.
   */
  readonly gradient: {
    readonly saves: 'x' | 'y' | 'none';
    readonly grad: (g: Tensor, saved: Tensor, track: Track) => Tensor;
  } | null;
  /**
   * The op written with other ops, for backends that do not accelerate it. It runs without
   * recording (its internals need not be differentiable); `gradient` serves both paths.
   */
  readonly composite?: (x: Tensor) => Tensor;
}

export interface BinaryFacts extends Omit<ElementwiseFacts, 'bool'> {
  /** As for unary ops, or `logicalOr`/`logicalAnd`: bool arithmetic stays bool (`True + True` is `True`). */
  readonly bool: DTypeRule | 'logicalOr' | 'logicalAnd';
  readonly reference: (a: number, b: number) => number;
  readonly intReference?: (a: number, b: number) => number;
  /**
   * The gradients for `a` and `b` (before broadcasting is undone), from the operands and
   * output named in `saves`; `null` for ops without gradients (comparisons, logic).
   */
  readonly gradient: {
    readonly saves: readonly ('a' | 'b' | 'out')[];
    /** `null` for an input the op does not depend on (its gradient is zeros). */
    readonly grads: (g: Tensor, saved: BinarySaved, track: Track) => [Tensor | null, Tensor | null];
  } | null;
  readonly composite?: (a: Tensor, b: Tensor) => Tensor;
  /**
   * What core checks of an int32 second operand before the kernel, as PyTorch raises:
   * `'nonzero'` (division: "ZeroDivisionError"), `'nonnegative'` (pow's exponent). A number
   * is checked on every backend, a tensor where the backend reads synchronously (`readSync`).
   */
  readonly intOperandCheck?: 'nonzero' | 'nonnegative';
}

export interface BinarySaved {
  readonly a: Tensor;
  readonly b: Tensor;
  readonly out: Tensor;
}

const FLOAT_ONLY = { float: 'kernel', int: 'float32', bool: 'float32' } as const;
const POSITIVE = [0.05, 4] as const;

/**
 * The names of the unary ops, in code order. (Listed apart from the table so that Tensor's
 * methods, which the table's formulas call, do not depend on the table's own type.)
 */
export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'reciprocal',
  'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'erf', 'floor', 'ceil', 'round', 'logicalNot',
  'tan', 'sinh', 'cosh', 'asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'log2', 'log10', 'exp2',
  'trunc', 'frac', 'erfc', 'erfinv', 'lgamma', 'digamma', 'sinc',
  'isnan', 'isinf', 'isposinf', 'isneginf', 'isfinite', 'bitwiseNot',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** The names of the binary ops, in code order. */
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
  'atan2', 'hypot', 'copysign', 'logaddexp', 'logaddexp2', 'xlogy', 'logicalXor',
  'remainder', 'fmod', 'floorDivide', 'bitwiseAnd', 'bitwiseOr', 'bitwiseXor', 'bitwiseLeftShift', 'bitwiseRightShift',
  'fmax', 'fmin',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** Elementwise functions of one input. */
export const UNARY_TABLE = {
  neg: {
    code: 0, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: (x) => -x,
    gradient: { saves: 'none', grad: (g) => g.neg() },
  },
  abs: {
    code: 1, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: Math.abs,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(x.sign())) },
  },
  sign: {
    code: 2, kind: 'math', float: 'kernel', int: 'kernel', bool: 'identity',
    reference: sign,
    gradient: null,
  },
  exp: {
    code: 3, kind: 'math', ...FLOAT_ONLY, reference: Math.exp,
    gradient: { saves: 'y', grad: (g, y) => g.mul(y) },
  },
  expm1: {
    code: 4, kind: 'math', ...FLOAT_ONLY, reference: Math.expm1,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(y.add(1))) },
  },
  log: {
    code: 5, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: Math.log,
    gradient: { saves: 'x', grad: (g, x) => g.div(x) },
  },
  log1p: {
    code: 6, kind: 'math', ...FLOAT_ONLY, domain: [-0.9, 4], reference: Math.log1p,
    gradient: { saves: 'x', grad: (g, x, t) => g.div(t(x.add(1))) },
  },
  sqrt: {
    code: 7, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: Math.sqrt,
    gradient: { saves: 'y', grad: (g, y, t) => g.div(t(y.mul(2))) },
  },
  rsqrt: {
    code: 8, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: (x) => 1 / Math.sqrt(x),
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(y.pow(3)).mul(-0.5))) },
    composite: (x) => {
      const root = x.sqrt();
      const out = root.reciprocal();
      root.dispose();
      return out;
    },
  },
  reciprocal: {
    code: 9, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: (x) => 1 / x,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(y.square()).neg())) },
    composite: (x) => x.pow(-1),
  },
  sin: {
    code: 10, kind: 'math', ...FLOAT_ONLY, reference: Math.sin,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(x.cos())) },
  },
  cos: {
    code: 11, kind: 'math', ...FLOAT_ONLY, reference: Math.cos,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(x.sin()).neg())) },
  },
  tanh: {
    code: 12, kind: 'math', ...FLOAT_ONLY, reference: Math.tanh,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(t(y.square()).neg()).add(1))) },
  },
  sigmoid: {
    code: 13, kind: 'math', ...FLOAT_ONLY, domain: [-8, 8], reference: sigmoid,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(t(y.neg()).add(1)).mul(y))) },
    // 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: never exponentiates a large positive number.
    composite: (x) => {
      const temps: Tensor[] = [];
      const t = <T extends Tensor>(v: T): T => (temps.push(v), v);
      const e = t(t(t(x.abs()).neg()).exp());
      const onePlus = t(e.add(1));
      const positive = t(x.ge(0));
      const out = t(onePlus.reciprocal()).where(positive, t(e.div(onePlus)));
      temps.forEach((v) => v.dispose());
      return out;
    },
  },
  relu: {
    code: 14, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: (x) => (x < 0 ? 0 : x), // NaN stays NaN, as torch.relu
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(x.gt(0)).cast(x.dtype))) },
    composite: (x) => {
      const negative = x.lt(0);
      const keep = negative.logicalNot(); // NaN is not negative: it stays
      const out = x.where(keep, 0);
      negative.dispose();
      keep.dispose();
      return out;
    },
  },
  erf: {
    code: 15, kind: 'math', ...FLOAT_ONLY, reference: erf,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(t(t(x.square()).neg()).exp()).mul(2 / Math.sqrt(Math.PI)))) },
  },
  floor: {
    code: 16, kind: 'math', float: 'kernel', int: 'identity', bool: 'refuse', reference: Math.floor, gradient: null,
  },
  ceil: {
    code: 17, kind: 'math', float: 'kernel', int: 'identity', bool: 'refuse', reference: Math.ceil, gradient: null,
  },
  round: {
    code: 18, kind: 'math', float: 'kernel', int: 'identity', bool: 'refuse', reference: roundHalfEven, gradient: null,
  },
  logicalNot: {
    code: 19, kind: 'logical', float: 'kernel', int: 'kernel', bool: 'kernel',
    reference: (x) => (x === 0 ? 1 : 0), // NaN is truthy, as in PyTorch
    gradient: null,
  },
  tan: {
    code: 20, kind: 'math', ...FLOAT_ONLY, domain: [-1.4, 1.4], reference: Math.tan,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(y.square()).add(1))) },
    composite: (x) => owned((t) => t(x.sin()).div(t(x.cos()))),
  },
  sinh: {
    code: 21, kind: 'math', ...FLOAT_ONLY, reference: Math.sinh,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(x.cosh())) },
    // expm1 keeps sinh accurate near 0, where e^x - e^-x would cancel.
    composite: (x) => owned((t) => t(t(x.expm1()).sub(t(t(x.neg()).expm1()))).mul(0.5)),
  },
  cosh: {
    code: 22, kind: 'math', ...FLOAT_ONLY, reference: Math.cosh,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(x.sinh())) },
    composite: (x) => owned((t) => t(t(x.exp()).add(t(t(x.neg()).exp()))).mul(0.5)),
  },
  asin: {
    code: 23, kind: 'math', ...FLOAT_ONLY, domain: [-0.99, 0.99], reference: Math.asin,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(t(t(x.square()).neg()).add(1)).rsqrt())) },
    // atan(x / sqrt((1 - x)(1 + x))): 1 - x is exact near 1, where 1 - x^2 would not be.
    composite: (x) => owned((t) => t(x.div(t(t(t(t(x.neg()).add(1)).mul(t(x.add(1)))).sqrt()))).atan()),
  },
  acos: {
    code: 24, kind: 'math', ...FLOAT_ONLY, domain: [-0.99, 0.99], reference: Math.acos,
    gradient: { saves: 'x', grad: (g, x, t) => t(g.mul(t(t(t(t(x.square()).neg()).add(1)).rsqrt()))).neg() },
    // 2 atan(sqrt((1 - x) / (1 + x))): no cancellation near ±1, unlike pi/2 - asin(x).
    composite: (x) => owned((t) => t(t(t(t(t(x.neg()).add(1)).div(t(x.add(1)))).sqrt()).atan()).mul(2)),
  },
  atan: {
    code: 25, kind: 'math', ...FLOAT_ONLY, domain: [-5, 5], reference: Math.atan,
    gradient: { saves: 'x', grad: (g, x, t) => g.div(t(t(x.square()).add(1))) },
    composite: composites.atan,
  },
  asinh: {
    code: 26, kind: 'math', ...FLOAT_ONLY, domain: [-5, 5], reference: Math.asinh,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(t(x.square()).add(1)).rsqrt())) },
    // sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2))), and log|x| + ln 2 where x^2 would overflow.
    composite: (x) => owned((t) => {
      const a = t(x.abs());
      const a2 = t(a.square());
      const small = t(t(a.add(t(a2.div(t(t(t(a2.add(1)).sqrt()).add(1)))))).log1p());
      const large = t(t(a.log()).add(Math.LN2));
      return t(x.sign()).mul(t(small.where(t(a.lt(2 ** 28)), large)));
    }),
  },
  acosh: {
    code: 27, kind: 'math', ...FLOAT_ONLY, domain: [1.05, 5], reference: Math.acosh,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(t(x.square()).sub(1)).rsqrt())) },
    // log1p((x - 1) + sqrt((x - 1)(x + 1))): accurate near 1; log x + ln 2 where x^2 would overflow.
    composite: (x) => owned((t) => {
      const m = t(x.sub(1));
      const small = t(t(m.add(t(t(m.mul(t(x.add(1)))).sqrt()))).log1p());
      return small.where(t(x.lt(2 ** 28)), t(t(x.log()).add(Math.LN2)));
    }),
  },
  atanh: {
    code: 28, kind: 'math', ...FLOAT_ONLY, domain: [-0.95, 0.95], reference: Math.atanh,
    gradient: { saves: 'x', grad: (g, x, t) => g.div(t(t(t(x.square()).neg()).add(1))) },
    // log1p(2x / (1 - x)) / 2: accurate near 0, and ±inf at ±1.
    composite: (x) => owned((t) => t(t(t(x.mul(2)).div(t(t(x.neg()).add(1)))).log1p()).mul(0.5)),
  },
  log2: {
    code: 29, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: Math.log2,
    gradient: { saves: 'x', grad: (g, x, t) => g.div(t(x.mul(Math.LN2))) },
    composite: (x) => owned((t) => t(x.log()).mul(Math.LOG2E)),
  },
  log10: {
    code: 30, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE, reference: Math.log10,
    gradient: { saves: 'x', grad: (g, x, t) => g.div(t(x.mul(Math.LN10))) },
    composite: (x) => owned((t) => t(x.log()).mul(Math.LOG10E)),
  },
  exp2: {
    code: 31, kind: 'math', ...FLOAT_ONLY, reference: (x) => 2 ** x,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(y.mul(Math.LN2))) },
    composite: (x) => owned((t) => t(x.mul(Math.LN2)).exp()),
  },
  trunc: {
    code: 32, kind: 'math', float: 'kernel', int: 'identity', bool: 'refuse', reference: Math.trunc, gradient: null,
    composite: (x) => owned((t) => t(x.floor()).where(t(x.ge(0)), t(x.ceil()))),
  },
  frac: {
    code: 33, kind: 'math', float: 'kernel', int: 'refuse', bool: 'refuse', reference: (x) => x - Math.trunc(x),
    gradient: { saves: 'none', grad: (g) => g },
    composite: (x) => owned((t) => x.sub(t(x.trunc()))),
  },
  erfc: {
    code: 34, kind: 'math', ...FLOAT_ONLY, reference: erfc,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(t(t(t(x.square()).neg()).exp()).mul(-2 / Math.sqrt(Math.PI)))) },
    composite: composites.erfc,
  },
  erfinv: {
    code: 35, kind: 'math', ...FLOAT_ONLY, domain: [-0.99, 0.99], reference: erfinv, tolerance: 1e-5,
    gradient: { saves: 'y', grad: (g, y, t) => g.mul(t(t(t(y.square()).exp()).mul(Math.sqrt(Math.PI) / 2))) },
    composite: composites.erfinv,
  },
  lgamma: {
    code: 36, kind: 'math', ...FLOAT_ONLY, domain: [0.1, 8], reference: lgamma, tolerance: 1e-5,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(x.digamma())) },
    composite: composites.lgamma,
  },
  digamma: {
    code: 37, kind: 'math', ...FLOAT_ONLY, domain: [0.1, 8], reference: digamma, tolerance: 1e-5,
    gradient: { saves: 'x', grad: (g, x, t) => g.mul(t(composites.trigamma(x))) },
    composite: composites.digamma,
  },
  sinc: {
    code: 38, kind: 'math', ...FLOAT_ONLY, reference: (x) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x)),
    // (cos(pi x) pi x - sin(pi x)) / (pi x^2), 0 at 0.
    gradient: {
      saves: 'x',
      grad: (g, x, t) => {
        const px = t(x.mul(Math.PI));
        const d = t(t(t(t(px.cos()).mul(px)).sub(t(px.sin()))).div(t(t(x.square()).mul(Math.PI))));
        return g.mul(t(d.where(t(x.ne(0)), 0)));
      },
    },
    composite: (x) => owned((t) => {
      const px = t(x.mul(Math.PI));
      return t(t(px.sin()).div(px)).where(t(x.ne(0)), 1);
    }),
  },
  // Predicates: bool results; integers and bools are never NaN or infinite.
  isnan: {
    code: 39, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (x) => +(x !== x), gradient: null,
    composite: (x) => x.ne(x),
  },
  isinf: {
    code: 40, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (x) => +(x === Infinity || x === -Infinity), gradient: null,
    composite: (x) => owned((t) => t(x.eq(Infinity)).logicalOr(t(x.eq(-Infinity)))),
  },
  isposinf: {
    code: 41, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (x) => +(x === Infinity), gradient: null,
    composite: (x) => x.eq(Infinity),
  },
  isneginf: {
    code: 42, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (x) => +(x === -Infinity), gradient: null,
    composite: (x) => x.eq(-Infinity),
  },
  isfinite: {
    code: 43, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (x) => +Number.isFinite(x), gradient: null,
    composite: (x) => owned((t) => t(t(x.isnan()).logicalOr(t(x.isinf()))).logicalNot()),
  },
  // ~x on int32 is -x - 1 exactly (two's complement, wrapping); on bool it is logical not.
  bitwiseNot: {
    code: 44, kind: 'math', float: 'refuse', int: 'kernel', bool: 'kernel',
    reference: (x) => ~x,
    // PyTorch's ~ of a bool is logical not (~True is False), not ~1 = -2 != 0.
    boolReference: (x) => (x ? 0 : 1),
    gradient: null,
    composite: (x) => (x.dtype === 'bool' ? x.logicalNot() : owned((t) => t(x.neg()).sub(1))),
  },
} as const satisfies Record<UnaryOp, UnaryFacts>;

/** Elementwise functions of two inputs (broadcast by core, of one dtype after promotion). */
export const BINARY_TABLE = {
  add: {
    code: 0, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalOr',
    reference: (a, b) => a + b,
    gradient: { saves: [], grads: (g) => [g, g] },
  },
  sub: {
    code: 1, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: (a, b) => a - b,
    gradient: { saves: [], grads: (g) => [g, g.neg()] },
  },
  mul: {
    code: 2, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalAnd',
    reference: (a, b) => a * b,
    // A product of two int32 can exceed 2^53, where doubles lose the low bits.
    intReference: Math.imul,
    gradient: { saves: ['a', 'b'], grads: (g, { a, b }) => [g.mul(b), g.mul(a)] },
  },
  div: {
    code: 3, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE,
    reference: (a, b) => a / b,
    gradient: {
      saves: ['b', 'out'],
      grads: (g, { b, out }, t) => {
        const ga = g.div(b);
        return [ga, t(ga.mul(out)).neg()];
      },
    },
  },
  pow: {
    code: 4, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse', domain: POSITIVE,
    reference: Math.pow,
    intReference: powInt32,
    intOperandCheck: 'nonnegative',
    tolerance: 1e-5,
    // The exponent's gradient is out * log(a), taken as 0 where a is 0.
    gradient: {
      saves: ['a', 'b', 'out'],
      grads: (g, { a, b, out }, t) => {
        const ga = g.mul(t(t(a.pow(t(b.sub(1)))).mul(b)));
        const safeLog = t(t(a.log()).where(t(t(a.eq(0)).logicalNot()), 0));
        return [ga, g.mul(t(out.mul(safeLog)))];
      },
    },
  },
  maximum: {
    code: 5, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalOr',
    reference: (a, b) => (a > b || a !== a ? a : b), // a NaN in either operand wins
    gradient: { saves: ['a', 'b'], grads: (g, s, t) => extremumGrads(g, s, t, 'gt') },
  },
  minimum: {
    code: 6, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalAnd',
    reference: (a, b) => (a < b || a !== a ? a : b),
    gradient: { saves: ['a', 'b'], grads: (g, s, t) => extremumGrads(g, s, t, 'lt') },
  },
  eq: { code: 7, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a === b), gradient: null },
  ne: { code: 8, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a !== b), gradient: null },
  lt: { code: 9, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a < b), gradient: null },
  le: { code: 10, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a <= b), gradient: null },
  gt: { code: 11, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a > b), gradient: null },
  ge: { code: 12, kind: 'compare', float: 'kernel', int: 'kernel', bool: 'kernel', reference: (a, b) => +(a >= b), gradient: null },
  // NaN is truthy (NaN != 0), as in PyTorch; kernels see bool operands only.
  logicalAnd: {
    code: 13, kind: 'logical', float: 'bool', int: 'bool', bool: 'kernel', reference: (a, b) => +(a !== 0 && b !== 0), gradient: null,
  },
  logicalOr: {
    code: 14, kind: 'logical', float: 'bool', int: 'bool', bool: 'kernel', reference: (a, b) => +(a !== 0 || b !== 0), gradient: null,
  },
  atan2: {
    code: 15, kind: 'math', ...FLOAT_ONLY, reference: Math.atan2,
    gradient: {
      saves: ['a', 'b'],
      grads: (g, { a, b }, t) => {
        const r2 = t(t(a.square()).add(t(b.square())));
        return [g.mul(t(b.div(r2))), g.mul(t(t(a.div(r2)).neg()))];
      },
    },
    // atan(|y| / |x|) into the quadrant of (x, y); the sign of a zero counts, as C's atan2.
    composite: (y, x) => owned((t) => {
      const ay = t(y.abs());
      const ax = t(x.abs());
      const bothZero = t(t(ay.eq(0)).logicalAnd(t(ax.eq(0))));
      const bothInf = t(t(ay.eq(Infinity)).logicalAnd(t(ax.eq(Infinity))));
      const base = t(t(t(t(ay.div(ax)).atan()).where(t(bothZero.logicalNot()), 0)).where(t(bothInf.logicalNot()), Math.PI / 4));
      const signBit = (v: Tensor) => t(t(v.lt(0)).logicalOr(t(t(v.eq(0)).logicalAnd(t(t(v.reciprocal()).lt(0))))));
      const quadrant = t(t(t(base.neg()).add(Math.PI)).where(signBit(x), base));
      return t(quadrant.neg()).where(signBit(y), quadrant);
    }),
  },
  hypot: {
    code: 16, kind: 'math', float: 'kernel', int: 'refuse', bool: 'refuse',
    reference: Math.hypot,
    gradient: { saves: ['a', 'b', 'out'], grads: (g, { a, b, out }, t) => [g.mul(t(a.div(out))), g.mul(t(b.div(out)))] },
    // max * sqrt(1 + (min / max)^2): no overflow; an infinite side wins even over NaN, as C's hypot.
    composite: (a, b) => owned((t) => {
      const [x, y] = [t(a.abs()), t(b.abs())];
      const hi = t(x.maximum(y));
      const lo = t(x.minimum(y));
      const ratio = t(t(lo.div(hi)).where(t(hi.ne(0)), 0));
      const value = t(hi.mul(t(t(t(ratio.square()).add(1)).sqrt())));
      const infinite = t(t(x.eq(Infinity)).logicalOr(t(y.eq(Infinity))));
      return value.where(t(infinite.logicalNot()), Infinity);
    }),
  },
  copysign: {
    code: 17, kind: 'math', ...FLOAT_ONLY,
    reference: (a, b) => (b < 0 || Object.is(b, -0) ? -Math.abs(a) : Math.abs(a)),
    gradient: {
      saves: ['a', 'out'],
      grads: (g, { a, out }, t) => [g.mul(t(t(out.div(a)).where(t(a.ne(0)), 0))), null],
    },
    composite: (a, b) => owned((t) => {
      const negative = t(t(b.lt(0)).logicalOr(t(t(b.eq(0)).logicalAnd(t(t(b.reciprocal()).lt(0))))));
      const magnitude = t(a.abs());
      return t(magnitude.neg()).where(negative, magnitude);
    }),
  },
  logaddexp: {
    code: 18, kind: 'math', float: 'kernel', int: 'refuse', bool: 'refuse',
    reference: (a, b) => (a === b ? a + Math.LN2 : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)))),
    gradient: {
      saves: ['a', 'b', 'out'],
      grads: (g, { a, b, out }, t) => [g.mul(t(t(a.sub(out)).exp())), g.mul(t(t(b.sub(out)).exp()))],
    },
    // max + log1p(e^-|a - b|); equal operands (infinities included) give a + ln 2.
    composite: (a, b) => owned((t) => {
      const general = t(t(a.maximum(b)).add(t(t(t(t(t(a.sub(b)).abs()).neg()).exp()).log1p())));
      return general.where(t(a.ne(b)), t(a.add(Math.LN2)));
    }),
  },
  logaddexp2: {
    code: 19, kind: 'math', float: 'kernel', int: 'refuse', bool: 'refuse',
    reference: (a, b) => (a === b ? a + 1 : Math.max(a, b) + Math.log1p(2 ** -Math.abs(a - b)) / Math.LN2),
    gradient: {
      saves: ['a', 'b', 'out'],
      grads: (g, { a, b, out }, t) => [g.mul(t(t(a.sub(out)).exp2())), g.mul(t(t(b.sub(out)).exp2()))],
    },
    composite: (a, b) => owned((t) => {
      const gap = t(t(t(t(a.sub(b)).abs()).neg()).exp2());
      const general = t(t(a.maximum(b)).add(t(t(gap.log1p()).mul(Math.LOG2E))));
      return general.where(t(a.ne(b)), t(a.add(1)));
    }),
  },
  xlogy: {
    code: 20, kind: 'math', ...FLOAT_ONLY, domain: POSITIVE,
    reference: (x, y) => (x === 0 && y === y ? 0 : x * Math.log(y)),
    gradient: {
      saves: ['a', 'b'],
      grads: (g, { a, b }, t) => {
        const zero = t(t(a.eq(0)).logicalAnd(t(b.eq(b))));
        return [g.mul(t(t(b.log()).where(t(zero.logicalNot()), 0))), g.mul(t(a.div(b)))];
      },
    },
    // 0 where x is 0 (even for y = 0), unless y is NaN.
    composite: (x, y) => owned((t) => {
      const zero = t(t(x.eq(0)).logicalAnd(t(y.eq(y))));
      return t(x.mul(t(y.log()))).where(t(zero.logicalNot()), 0);
    }),
  },
  logicalXor: {
    code: 21, kind: 'logical', float: 'bool', int: 'bool', bool: 'kernel', reference: (a, b) => +((a !== 0) !== (b !== 0)), gradient: null,
    composite: (a, b) => a.ne(b),
  },
  remainder: {
    code: 22, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: remainder,
    intReference: remainderInt32,
    intOperandCheck: 'nonzero',
    gradient: {
      saves: ['a', 'b'],
      grads: (g, { a, b }, t) => [g, t(g.mul(t(a.floorDivide(b)))).neg()],
    },
  },
  fmod: {
    code: 23, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: fmod,
    intReference: fmodInt32,
    intOperandCheck: 'nonzero',
    gradient: {
      saves: ['a', 'b'],
      grads: (g, { a, b }, t) => [g, t(g.mul(t(t(a.div(b)).trunc()))).neg()],
    },
  },
  floorDivide: {
    code: 24, kind: 'math', float: 'kernel', int: 'kernel', bool: 'refuse',
    reference: floorDivide,
    intReference: floorDivideInt32,
    intOperandCheck: 'nonzero',
    // Piecewise constant: zero gradients, as PyTorch's.
    gradient: { saves: [], grads: () => [null, null] },
  },
  // Bitwise ops on int32 (two's complement) and bool (0 and 1, so the same formulas).
  bitwiseAnd: { code: 25, kind: 'math', float: 'refuse', int: 'kernel', bool: 'kernel', reference: (a, b) => a & b, gradient: null },
  bitwiseOr: { code: 26, kind: 'math', float: 'refuse', int: 'kernel', bool: 'kernel', reference: (a, b) => a | b, gradient: null },
  bitwiseXor: { code: 27, kind: 'math', float: 'refuse', int: 'kernel', bool: 'kernel', reference: (a, b) => a ^ b, gradient: null },
  // The shift count is taken modulo 32, as PyTorch's int32 shifts on the CPU (`1 << 33` is 2);
  // the right shift is arithmetic (it copies the sign bit).
  bitwiseLeftShift: { code: 28, kind: 'math', float: 'refuse', int: 'kernel', bool: 'refuse', reference: (a, b) => a << b, gradient: null },
  bitwiseRightShift: { code: 29, kind: 'math', float: 'refuse', int: 'kernel', bool: 'refuse', reference: (a, b) => a >> b, gradient: null },
  // maximum/minimum that ignore NaN: the other operand wins (NaN only when both are).
  fmax: {
    code: 30, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalOr',
    reference: (a, b) => (a >= b || b !== b ? a : b),
    gradient: { saves: ['a', 'b'], grads: (g, s, t) => nanIgnoringGrads(g, s, t, 'ge') },
    composite: (a, b) => owned((t) => a.where(t(t(a.ge(b)).logicalOr(t(b.ne(b)))), b)),
  },
  fmin: {
    code: 31, kind: 'math', float: 'kernel', int: 'kernel', bool: 'logicalAnd',
    reference: (a, b) => (a <= b || b !== b ? a : b),
    gradient: { saves: ['a', 'b'], grads: (g, s, t) => nanIgnoringGrads(g, s, t, 'le') },
    composite: (a, b) => owned((t) => a.where(t(t(a.le(b)).logicalOr(t(b.ne(b)))), b)),
  },
} as const satisfies Record<BinaryOp, BinaryFacts>;

/** Gradient routing of fmax/fmin, as PyTorch: `a` takes it where it won (ties and a NaN `b` included), `b` elsewhere. */
function nanIgnoringGrads(g: Tensor, { a, b }: BinarySaved, t: Track, win: 'ge' | 'le'): [Tensor, Tensor] {
  const aWins = t(t(win === 'ge' ? a.ge(b) : a.le(b)).logicalOr(t(b.ne(b))));
  return [g.where(aWins, 0), g.where(t(aWins.logicalNot()), 0)];
}

/** Gradient split of maximum/minimum: the winner takes it, ties share it equally (as PyTorch). */
function extremumGrads(g: Tensor, { a, b }: BinarySaved, t: Track, win: 'gt' | 'lt'): [Tensor, Tensor] {
  const aWins = t(t(win === 'gt' ? a.gt(b) : a.lt(b)).cast(g.dtype));
  const half = t(t(t(a.eq(b)).cast(g.dtype)).mul(0.5));
  const wa = t(aWins.add(half));
  return [g.mul(wa), g.mul(t(t(wa.neg()).add(1)))];
}

export interface ReduceFacts {
  readonly code: number;
  /** The result over no elements. */
  readonly identity: number;
  /** Fold one element into the accumulator (float64); the kernel's result is compared with its rounding. */
  readonly reference: (acc: number, x: number) => number;
  /** The fold on int32 values, where it differs from `reference(acc, x) | 0`. */
  readonly intReference?: (acc: number, x: number) => number;
  readonly float: DTypeRule;
  readonly int: DTypeRule;
  readonly bool: DTypeRule;
}

/** Reductions over a set of axes. Kernels see float and int32 inputs; bools count in int32, as PyTorch's sum. */
export const REDUCE_TABLE = {
  sum: { code: 0, identity: 0, reference: (acc, x) => acc + x, float: 'kernel', int: 'kernel', bool: 'int32' },
  prod: { code: 1, identity: 1, reference: (acc, x) => acc * x, intReference: Math.imul, float: 'kernel', int: 'kernel', bool: 'int32' },
  // Math.max and Math.min return NaN when either argument is NaN: a NaN anywhere wins.
  max: { code: 2, identity: -Infinity, reference: (acc, x) => Math.max(acc, x), float: 'kernel', int: 'kernel', bool: 'int32' },
  min: { code: 3, identity: Infinity, reference: (acc, x) => Math.min(acc, x), float: 'kernel', int: 'kernel', bool: 'int32' },
} as const satisfies Record<string, ReduceFacts>;

/** Index of the extreme value along one axis (first occurrence on ties; NaN counts as extreme, as PyTorch). */
export const ARG_REDUCE_TABLE = {
  argmax: { code: 0 },
  argmin: { code: 1 },
} as const;

export type ReduceOp = keyof typeof REDUCE_TABLE;
export type ArgReduceOp = keyof typeof ARG_REDUCE_TABLE;

export const REDUCE_OPS = Object.keys(REDUCE_TABLE) as readonly ReduceOp[];
export const ARG_REDUCE_OPS = Object.keys(ARG_REDUCE_TABLE) as readonly ArgReduceOp[];

type WithComposite<T> = { [K in keyof T]: T[K] extends { composite: unknown } ? K : never }[keyof T];

/** Unary ops with a composite: a backend may accelerate them (see {@link Backend.accelerates}). */
export type UnaryComposite = WithComposite<typeof UNARY_TABLE>;
/** Binary ops with a composite. */
export type BinaryComposite = WithComposite<typeof BINARY_TABLE>;
/** Unary ops without a composite: every backend implements them. */
export type UnaryPrimitive = Exclude<UnaryOp, UnaryComposite>;
export type BinaryPrimitive = Exclude<BinaryOp, BinaryComposite>;

/** The facts of a unary op, typed as the general record. */
export function unaryFacts(op: UnaryOp): UnaryFacts {
  return UNARY_TABLE[op] as UnaryFacts;
}

export function binaryFacts(op: BinaryOp): BinaryFacts {
  return BINARY_TABLE[op] as BinaryFacts;
}

export function reduceFacts(op: ReduceOp): ReduceFacts {
  return REDUCE_TABLE[op] as ReduceFacts;
}

/** Whether a unary or binary op has a composite (and so needs no kernel). */
export function hasComposite(facts: UnaryFacts | BinaryFacts): boolean {
  return facts.composite !== undefined;
}

/**
 * The input dtypes an op's kernel receives: float32 (and float16 on backends that hold
 * it) where the float rule is `kernel`, int32 and bool likewise. Core sends no others.
 */
export function kernelDTypes(facts: { float: string; int: string; bool: string }): DType[] {
  const out: DType[] = [];
  if (facts.float === 'kernel') out.push('float32', 'float16');
  if (facts.int === 'kernel') out.push('int32');
  if (facts.bool === 'kernel') out.push('bool');
  return out;
}

/** The dtype an op of `kind` writes for inputs of `dtype`. */
export function resultDType(kind: OpKind, dtype: DType): DType {
  return kind === 'math' ? dtype : 'bool';
}

/** The rule for inputs of `dtype`. */
export function ruleFor<R extends string>(facts: { float: R; int: R; bool: R }, dtype: DType): R {
  return dtype === 'bool' ? facts.bool : dtype === 'int32' ? facts.int : facts.float;
}
