/**
 * Elementwise ops of one operand. Each is one entry in the op table (its dtype rules,
 * gradient and composite) and one line here (its public name and documentation).
 */
import { recordOp } from '../autograd/engine.js';
import { traceOp, withinOp } from '../autograd/trace.js';

import { ruleFor, unaryFacts, type UnaryOp } from '../backend/op-table.js';
import type { Tensor } from '../tensor/tensor.js';
import { maximum, minimum } from './binary.js';
import { owned } from '../memory.js';
import { accelerates, castTarget, inFloat32, refusal, unaryKernel } from './elementwise.js';
import { zerosLike } from './creation.js';
import { isTensor, requireTensor } from './util.js';
import { autocastActive, autocasting, withAutocastPolicy } from '../autocast.js';

/** The public function of unary op `op`: dtype rules, then the kernel or the composite. */
function unary(op: UnaryOp): (x: Tensor) => Tensor {
  const facts = unaryFacts(op);
  const fn = (x: Tensor): Tensor => {
    requireTensor(op, x);
    const rule = ruleFor(facts, x.dtype);
    if (rule === 'refuse') throw refusal(op, x.dtype, 'one');
    if (rule === 'identity') return x.internalAlias(false);
    const target = castTarget(rule);
    return owned((own) => {
      const input = target ? own(x.cast(target)) : x;
      // The composite runs untracked (its gradient is the table's, as on the kernel path),
      // float16 in float32 as PyTorch's half kernels compute.
      const composite = facts.composite && !accelerates(input.backend, 'unary', op) ? facts.composite : null;
      const out = composite ? withinOp(() => inFloat32([input], ([v]) => composite(v))) : unaryKernel(op, input);
      if (facts.kind !== 'math') {
        traceOp(op, [input], [out]); // a bool result carries no gradient, but a trace follows it
        return out;
      }
      const gradient = facts.gradient;
      // Rounding and sign have a zero gradient, which still flows (as PyTorch's floor does).
      if (!gradient) return recordOp(op, [input], out, [], (g) => [zerosLike(g)]);
      const save = gradient.saves === 'x' ? [input] : gradient.saves === 'y' ? [out] : [];
      return recordOp(op, [input], out, save, (g, saved) => {
        const formula = ([grad, kept]: Tensor[]) => owned((own) => gradient.grad(grad, kept, own));
        // A composite's gradient formula is as long as the composite: float16 runs it in float32 too.
        return [composite ? inFloat32([g, saved[0] ?? g], formula) : formula([g, saved[0]])];
      });
    });
  };
  return withAutocastPolicy(op, fn);
}

/** `-x`. @example `tl.neg(tl.tensor([1, -2]))` */
export const neg = unary('neg');
/** `|x|`. */
export const abs = unary('abs');
/** -1, 0 or 1 by the sign of `x` (0 for NaN); zero gradient. */
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
/** Sine (radians). */
export const sin = unary('sin');
/** Cosine (radians). */
export const cos = unary('cos');
/** Hyperbolic tangent. */
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
const roundHalfEven = unary('round');

/**
 * Round half to even, as PyTorch (zero gradient); with `decimals`, to that many decimal
 * places (negative: to tens, hundreds...).
 *
 * @example
 * ```ts
 * tl.round(tl.tensor([2.5, 3.14159]), { decimals: 2 }); // [2.5, 3.14]
 * ```
 */
export function round(x: Tensor, options: { decimals?: number } = {}): Tensor {
  const decimals = options.decimals ?? 0;
  if (!Number.isInteger(decimals)) throw new Error(`round: decimals must be an integer, got ${decimals}`);
  if (decimals === 0) return roundHalfEven(x);
  requireTensor('round', x);
  if (x.dtype !== 'float32' && x.dtype !== 'float16') throw new TypeError(`round: decimals needs a floating tensor, got ${x.dtype}`);
  // As PyTorch: multiply by 10^d, round, divide (a negative d divides first); float16 in
  // float32, where x * 10^d may pass half's range.
  const scale = 10 ** Math.abs(decimals);
  return inFloat32([x], ([v]) =>
    owned((own) => {
      const scaled = own(decimals > 0 ? v.mul(scale) : v.div(scale));
      const rounded = own(roundHalfEven(scaled));
      return decimals > 0 ? rounded.div(scale) : rounded.mul(scale);
    }),
  );
}
/** Elementwise NOT of truthiness, as bool. @example `tl.logicalNot(mask)` */
export const logicalNot = unary('logicalNot');
/** Tangent (radians). */
export const tan = unary('tan');
/** Hyperbolic sine. @example `tl.sinh(tl.tensor([0, 1]))` */
export const sinh = unary('sinh');
/** Hyperbolic cosine. */
export const cosh = unary('cosh');
/** Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1]. */
export const asin = unary('asin');
/** Inverse cosine, in [0, pi]; NaN outside [-1, 1]. */
export const acos = unary('acos');
/** Inverse tangent, in (-pi/2, pi/2). */
export const atan = unary('atan');
/** Inverse hyperbolic sine. */
export const asinh = unary('asinh');
/** Inverse hyperbolic cosine; NaN below 1. */
export const acosh = unary('acosh');
/** Inverse hyperbolic tangent; ±Infinity at ±1, NaN beyond. */
export const atanh = unary('atanh');
/** Base-2 logarithm. */
export const log2 = unary('log2');
/** Base-10 logarithm. */
export const log10 = unary('log10');
/** `2^x`. */
export const exp2 = unary('exp2');
/** Round toward zero; zero gradient. Integers stay as they are. */
export const trunc = unary('trunc');
/** `x - trunc(x)`, the fractional part with the sign of `x`. */
export const frac = unary('frac');
/** `1 - erf(x)`, accurate where erf is near ±1 (erfc(5) = 1.5e-12). */
export const erfc = unary('erfc');
/** The inverse error function on (-1, 1); ±Infinity at ±1. */
export const erfinv = unary('erfinv');
/** `log |Γ(x)|`; +Infinity at 0 and the negative integers. @example `tl.lgamma(tl.tensor([0.5, 10]))` */
export const lgamma = unary('lgamma');
/** The digamma function `Γ'(x) / Γ(x)`. */
export const digamma = unary('digamma');
/** `sin(pi x) / (pi x)`, 1 at 0 (the normalised sinc, as PyTorch). */
export const sinc = unary('sinc');
/** Where `x` is NaN, as bool. @example `tl.isnan(x).any()` */
export const isnan = unary('isnan');
/** Where `x` is ±Infinity, as bool. */
export const isinf = unary('isinf');
/** Where `x` is +Infinity, as bool. */
export const isposinf = unary('isposinf');
/** Where `x` is -Infinity, as bool. */
export const isneginf = unary('isneginf');
/** Where `x` is neither NaN nor infinite, as bool. */
export const isfinite = unary('isfinite');
/**
 * Bitwise NOT of an int32 (`~x`, that is `-x - 1`) or bool (logical not) tensor.
 * @example `tl.bitwiseNot(tl.tensor([0, 5], { dtype: 'int32' })) // [-1, -6]`
 */
export const bitwiseNot = unary('bitwiseNot');

// ---- composites of other ops: their gradients come from the ops they are made of ----------

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
export function clamp(x: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) throw new Error('clamp: at least one of min and max must be given');
  if (isTensor(min) || isTensor(max)) {
    // Tensor bounds broadcast; gradients reach the bounds where they bind, through maximum/minimum.
    return owned((own) => {
      const lower = own(hasMin ? maximum(x, min) : x.internalAlias(false)); // the result when there is no max
      return hasMax ? minimum(lower, max) : lower;
    });
  }
  return owned((own) => {
    const [out, pass] = withinOp(() => {
      const lower = own(hasMin ? maximum(x, min) : x.internalAlias(false)); // the result when there is no max
      const value = hasMax ? own(minimum(lower, max)) : lower;
      const aboveMin = hasMin ? own(x.ge(min)) : null;
      const belowMax = hasMax ? own(x.le(max)) : null;
      const inside = aboveMin && belowMax ? own(aboveMin.logicalAnd(belowMax)) : (aboveMin ?? belowMax)!;
      return [value, own(inside.cast(x.dtype))];
    });
    return recordOp('clamp', [x], out, [pass], (g, [m]) => [g.mul(m)], { attrs: { min: hasMin ? min : null, max: hasMax ? max : null } });
  });
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
  return owned((own) => x.where(own(x.gt(0)), own(x.mul(negativeSlope))));
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
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${typeof approximate === 'string' ? `'${approximate}'` : JSON.stringify(approximate)}`);
  }
  return owned((t) => {
    let inner: Tensor;
    if (approximate === 'tanh') {
      // 0.044715·x³ by multiplication: pow is a transcendental on every backend (8% of a GPT-2 prefill on wasm).
      const cubic = t(t(t(x.mul(x)).mul(0.044715)).mul(x));
      inner = t(t(t(x.add(cubic)).mul(Math.sqrt(2 / Math.PI))).tanh());
    } else {
      inner = t(t(x.mul(Math.SQRT1_2)).erf());
    }
    return t(t(inner.add(1)).mul(x)).mul(0.5);
  });
}

/** `x * sigmoid(x)` (also called swish). */
export function silu(x: Tensor): Tensor {
  return owned((own) => x.mul(own(x.sigmoid())));
}

/** `log(1 + e^x)`, linear above 20 as PyTorch's default threshold. */
export function softplus(x: Tensor): Tensor {
  if (autocastActive()) return autocasting('softplus', [x], softplus);
  if (x.dtype === 'float16') {
    // exp(x) overflows half from x ≈ 11; compute in float32 as PyTorch's half kernels do.
    return owned((own) => own(softplus(own(x.float()))).half());
  }
  return owned((own) => {
    const soft = own(own(own(x.clamp(null, 20)).exp()).log1p());
    return x.where(own(x.gt(20)), soft);
  });
}

/**
 * `x` with NaN replaced by `nan`, +Infinity by `posinf` and -Infinity by `neginf` (default:
 * the dtype's largest and smallest finite values), as torch.nan_to_num.
 *
 * @example
 * ```ts
 * tl.nanToNum(x, 0, 1e4, -1e4);
 * ```
 */
export function nanToNum(x: Tensor, nan = 0, posinf?: number | null, neginf?: number | null): Tensor {
  requireTensor('nanToNum', x);
  if (x.dtype !== 'float32' && x.dtype !== 'float16') return x.internalAlias(false);
  const largest = x.dtype === 'float16' ? 65504 : 3.4028234663852886e38;
  return owned((track) => {
    const a = track(x.where(track(track(x.isnan()).logicalNot()), nan));
    const b = track(a.where(track(track(a.isposinf()).logicalNot()), posinf ?? largest));
    return b.where(track(track(b.isneginf()).logicalNot()), neginf ?? -largest);
  });
}

/**
 * `start + weight * (end - start)`, computed as PyTorch does for accuracy near both ends;
 * `weight` is a number or a tensor (broadcasting).
 *
 * @example
 * ```ts
 * tl.lerp(ema, value, 0.1); // an exponential moving average step
 * ```
 */
export function lerp(start: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  requireTensor('lerp', start);
  requireTensor('lerp', end, 'end');
  return owned((track) => {
    const span = track(end.sub(start));
    if (typeof weight === 'number') return weight < 0.5 ? start.add(track(span.mul(weight))) : end.sub(track(span.mul(1 - weight)));
    requireTensor('lerp', weight, 'weight');
    const low = track(start.add(track(span.mul(weight))));
    const high = track(end.sub(track(span.mul(track(track(weight.neg()).add(1))))));
    return low.where(track(weight.lt(0.5)), high);
  });
}

/** `log(x / (1 - x))`, with `x` first clamped to [eps, 1 - eps] when `eps` is given. */
export function logit(x: Tensor, eps?: number | null): Tensor {
  requireTensor('logit', x);
  return owned((track) => {
    const p = eps === undefined || eps === null ? x : track(x.clamp(eps, 1 - eps));
    return track(p.div(track(track(p.neg()).add(1)))).log();
  });
}
