/** Elementwise ops of one operand, each with its gradient beside it. */
import { recordOp } from '../autograd/engine.js';
import type { UnaryOp } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { maximum, minimum } from './binary.js';
import { zerosLike } from './creation.js';
import { empty } from './util.js';
import { isFloating } from '../dtype.js';

/** Run a unary kernel (no recording). */
export function unaryKernel(op: UnaryOp, x: Tensor): Tensor {
  const out = empty(x.backend, x.shape, op === 'logicalNot' ? 'bool' : x.dtype);
  x.backend.unary(op, x.kernelView, out.kernelView);
  return out;
}

/** How an op's gradient is formed: from the input `x`, the output `y`, or neither. */
interface UnaryRule {
  /** Integer inputs are converted to float32 first (exp of an int is a float, as PyTorch). */
  floatOnly?: boolean;
  /** `d(out)/d(x)`, multiplied by the incoming gradient by the caller; null: zero gradient. */
  derivative: ((x: Tensor, y: Tensor) => Tensor) | null;
  /** Which of x and y the derivative reads. */
  saves: 'x' | 'y' | 'none';
}

const RULES: { [Op in Exclude<UnaryOp, 'logicalNot'>]: UnaryRule } = {
  neg: { derivative: (x) => zerosLike(x).sub(1), saves: 'x' },
  abs: { derivative: (x) => x.sign(), saves: 'x' },
  sign: { derivative: null, saves: 'none' },
  exp: { floatOnly: true, derivative: (_, y) => y.internalAlias(false), saves: 'y' },
  expm1: { floatOnly: true, derivative: (_, y) => y.add(1), saves: 'y' },
  log: { floatOnly: true, derivative: (x) => x.reciprocal(), saves: 'x' },
  log1p: { floatOnly: true, derivative: (x) => chain(x.add(1), (t) => t.reciprocal()), saves: 'x' },
  sqrt: { floatOnly: true, derivative: (_, y) => chain(y.mul(2), (t) => t.reciprocal()), saves: 'y' },
  rsqrt: { floatOnly: true, derivative: (_, y) => chain(y.pow(3), (t) => t.mul(-0.5)), saves: 'y' },
  reciprocal: { floatOnly: true, derivative: (_, y) => chain(y.square(), (t) => t.neg()), saves: 'y' },
  sin: { floatOnly: true, derivative: (x) => x.cos(), saves: 'x' },
  cos: { floatOnly: true, derivative: (x) => chain(x.sin(), (t) => t.neg()), saves: 'x' },
  tanh: { floatOnly: true, derivative: (_, y) => chain(y.square(), (t) => t.neg(), (t) => t.add(1)), saves: 'y' },
  sigmoid: { floatOnly: true, derivative: (_, y) => chain(y.neg(), (t) => t.add(1), (t) => t.mul(y)), saves: 'y' },
  relu: { derivative: (x) => chain(x.gt(0), (t) => t.cast(x.dtype)), saves: 'x' },
  erf: {
    floatOnly: true,
    derivative: (x) => chain(x.square(), (t) => t.neg(), (t) => t.exp(), (t) => t.mul(2 / Math.sqrt(Math.PI))),
    saves: 'x',
  },
  floor: { derivative: null, saves: 'none' },
  ceil: { derivative: null, saves: 'none' },
  round: { derivative: null, saves: 'none' },
};

/** Apply `steps` in turn, disposing each intermediate. */
function chain(first: Tensor, ...steps: ((t: Tensor) => Tensor)[]): Tensor {
  let current = first;
  for (const step of steps) {
    const next = step(current);
    current.dispose();
    current = next;
  }
  return current;
}

function unary(op: Exclude<UnaryOp, 'logicalNot'>) {
  const rule = RULES[op];
  return (x: Tensor): Tensor => {
    if (x.dtype === 'bool' && op !== 'abs' && op !== 'sign') {
      if (!rule.floatOnly) throw new Error(`${op}: not supported for bool tensors; cast with t.cast('int32') or t.float() first`);
    }
    const input = rule.floatOnly && !isFloating(x.dtype) ? x.cast('float32') : x;
    const out = unaryKernel(op, input);
    const save = rule.saves === 'x' ? [input] : rule.saves === 'y' ? [out] : [];
    recordOp(op, [input], out, save, (g, saved) => {
      if (!rule.derivative) return [zerosLike(g)];
      const local = rule.derivative(saved[0], saved[0]);
      const grad = g.mul(local);
      local.dispose();
      return [grad];
    });
    if (input !== x) input.dispose();
    return out;
  };
}

/** `-x`. @example `tl.neg(x)` */
export const neg = unary('neg');
/** `|x|`. */
export const abs = unary('abs');
/** -1, 0 or 1 by the sign of `x`. */
export const sign = unary('sign');
/** `e^x`. @example `tl.exp(tl.tensor([0, 1]))` */
export const exp = unary('exp');
/** `e^x - 1`, accurate near 0. */
export const expm1 = unary('expm1');
/** Natural logarithm. */
export const log = unary('log');
/** `log(1 + x)`, accurate near 0. */
export const log1p = unary('log1p');
/** Square root. */
export const sqrt = unary('sqrt');
/** `1 / sqrt(x)`. */
export const rsqrt = unary('rsqrt');
/** `1 / x`. */
export const reciprocal = unary('reciprocal');
export const sin = unary('sin');
export const cos = unary('cos');
export const tanh = unary('tanh');
/** `1 / (1 + e^-x)`. */
export const sigmoid = unary('sigmoid');
/** `max(x, 0)`; the gradient at 0 is 0, as PyTorch. */
export const relu = unary('relu');
/** The error function. */
export const erf = unary('erf');
/** Round down; zero gradient. */
export const floor = unary('floor');
/** Round up; zero gradient. */
export const ceil = unary('ceil');
/** Round half to even, as PyTorch; zero gradient. */
export const round = unary('round');

/** Elementwise NOT of truthiness, as bool. */
export function logicalNot(x: Tensor): Tensor {
  return unaryKernel('logicalNot', x);
}

// ---- composites: gradients come from the ops they are made of ------------------------------

/** `x * x`. */
export function square(x: Tensor): Tensor {
  return x.mul(x);
}

/**
 * Limit values to [min, max] (either may be omitted). The gradient passes where
 * `min <= x <= max`, as PyTorch.
 *
 * @example
 * ```ts
 * tl.clamp(x, 0, 6); // relu6
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) throw new Error('clamp: at least one of min and max must be given');
  const [out, pass] = noGrad(() => {
    const lower = hasMin ? maximum(x, min) : x.internalAlias(false);
    const value = hasMax ? minimum(lower, max) : lower;
    if (value !== lower) lower.dispose();
    const aboveMin = hasMin ? x.ge(min) : null;
    const belowMax = hasMax ? x.le(max) : null;
    const inside = aboveMin && belowMax ? aboveMin.logicalAnd(belowMax) : (aboveMin ?? belowMax)!;
    const mask = inside.cast(x.dtype);
    for (const m of [aboveMin, belowMax, inside]) m?.dispose();
    return [value, mask];
  });
  recordOp('clamp', [x], out, [pass], (g, [m]) => [g.mul(m)]);
  pass.dispose();
  return out;
}

/**
 * `x` where positive, `negativeSlope * x` elsewhere.
 *
 * @example
 * ```ts
 * tl.leakyRelu(x, 0.2);
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const positive = x.gt(0);
  const scaled = x.mul(negativeSlope);
  const out = x.where(positive, scaled);
  positive.dispose();
  scaled.dispose();
  return out;
}

/**
 * Gaussian error linear unit: `x * Φ(x)`, or its tanh approximation.
 *
 * @example
 * ```ts
 * tl.gelu(x);          // exact, as PyTorch's default
 * tl.gelu(x, 'tanh');  // the approximation
 * ```
 */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  const temps: Tensor[] = [];
  const t = <T extends Tensor>(v: T): T => (temps.push(v), v);
  let inner: Tensor;
  if (approximate === 'tanh') {
    const cubic = t(t(x.pow(3)).mul(0.044715));
    inner = t(t(t(x.add(cubic)).mul(Math.sqrt(2 / Math.PI))).tanh());
  } else {
    inner = t(t(x.mul(Math.SQRT1_2)).erf());
  }
  const out = t(t(inner.add(1)).mul(x)).mul(0.5);
  temps.forEach((v) => v.dispose());
  return out;
}

/** `x * sigmoid(x)` (also called swish). */
export function silu(x: Tensor): Tensor {
  const s = x.sigmoid();
  const out = x.mul(s);
  s.dispose();
  return out;
}

/** `log(1 + e^x)`, linear above 20 as PyTorch's default threshold. */
export function softplus(x: Tensor): Tensor {
  if (x.dtype === 'float16') {
    // exp(x) overflows half from x ≈ 11; compute in float32 as PyTorch's half kernels do.
    const wide = x.float();
    const y = softplus(wide);
    const out = y.half();
    [wide, y].forEach((v) => v.dispose());
    return out;
  }
  const capped = x.clamp(null, 20);
  const e = capped.exp();
  const soft = e.log1p();
  const linear = x.gt(20);
  const out = x.where(linear, soft);
  [capped, e, soft, linear].forEach((v) => v.dispose());
  return out;
}
