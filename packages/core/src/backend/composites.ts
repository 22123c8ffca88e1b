/**
 * The longer composites of the op table, written with Tensor methods only (so this module,
 * like the table, loads before the ops). They run in float32 (float16 inputs are widened by
 * core) without recording; each op's gradient is in its table entry.
 */
import type { Tensor } from '../tensor/tensor.js';
import { owned } from '../memory.js';
import type { Track } from './op-table.js';

/** `c0 + x (c1 + x (c2 + ...))` by Horner's rule (coefficients from the constant term up), tracked. */
function horner(x: Tensor, coefficients: readonly number[], t: Track): Tensor {
  let acc = t(x.mul(coefficients[coefficients.length - 1]));
  for (let i = coefficients.length - 2; i > 0; i--) acc = t(t(acc.add(coefficients[i])).mul(x));
  return t(acc.add(coefficients[0]));
}

/**
 * atan after Cephes' atanf: reduce |x| below tan(pi/8) with atan(x) = pi/2 - atan(1/x) and
 * atan(x) = pi/4 + atan((x - 1) / (x + 1)), then an odd polynomial (relative error ~1e-7).
 */
export function atan(x: Tensor): Tensor {
  return owned((t) => {
    const a = t(x.abs());
    const big = t(a.gt(2.414213562373095)); // tan(3pi/8)
    const mid = t(t(a.gt(0.4142135623730950)).logicalAnd(t(big.logicalNot()))); // tan(pi/8)
    const r = t(t(t(t(a.reciprocal()).neg()).where(big, a)).where(t(mid.logicalNot()), t(t(a.sub(1)).div(t(a.add(1))))));
    const offset = t(t(t(big.cast('float32')).mul(Math.PI / 2)).add(t(t(mid.cast('float32')).mul(Math.PI / 4))));
    const z = t(r.square());
    const p = horner(z, [-3.33329491539e-1, 1.99777106478e-1, -1.38776856032e-1, 8.05374449538e-2], t);
    const y = t(t(t(t(p.mul(z)).mul(r)).add(r)).add(offset));
    return t(x.sign()).mul(y); // sign(NaN) is 0, but y is NaN there
  });
}

/** erfc: 1 - erf below 0.5, else Numerical Recipes' erfcc (relative error < 1.2e-7), reflected below 0. */
export function erfc(x: Tensor): Tensor {
  return owned((t) => {
    const z = t(x.abs());
    const u = t(t(t(z.mul(0.5)).add(1)).reciprocal());
    const poly = horner(u, [
      -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
    ], t);
    const tail = t(u.mul(t(t(t(t(z.square()).neg()).add(poly)).exp())));
    const signed = t(t(t(tail.neg()).add(2)).where(t(x.lt(0)), tail));
    const near = t(t(t(x.erf()).neg()).add(1));
    return near.where(t(z.lt(0.5)), signed);
  });
}

/** erfinv after Giles (2010), single precision: two polynomial branches in w = -log(1 - x^2). */
export function erfinv(x: Tensor): Tensor {
  return owned((t) => {
    const w = t(t(t(t(t(x.neg()).add(1)).mul(t(x.add(1)))).log()).neg());
    const central = horner(t(w.sub(2.5)), [
      1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6, 3.43273939e-7, 2.81022636e-8,
    ], t);
    const tail = horner(t(t(w.sqrt()).sub(3)), [
      2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322, 0.000100950558, -0.000200214257,
    ], t);
    const y = t(t(central.where(t(w.lt(5)), tail)).mul(x));
    // ±1 gives ±Infinity (the polynomial would give inf - inf).
    return y.where(t(t(x.abs()).ne(1)), t(x.mul(Infinity)));
  });
}

// Numerical Recipes' gammln (Lanczos, g = 5, n = 6): relative error < 2e-10 for x > 0.
const LANCZOS = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];

/** log Γ(x) for x > 0 (Lanczos). */
function lgammaPositive(x: Tensor, t: Track): Tensor {
  let series = t(t(t(t(x.add(1)).reciprocal()).mul(LANCZOS[0])).add(1.000000000190015));
  for (let j = 1; j < 6; j++) series = t(series.add(t(t(t(x.add(j + 1)).reciprocal()).mul(LANCZOS[j]))));
  const base = t(x.add(5.5));
  const lead = t(t(t(x.add(0.5)).mul(t(base.log()))).sub(base));
  return t(lead.add(t(t(t(series.mul(2.5066282746310005)).div(x)).log())));
}

/** log |Γ(x)|: Lanczos above 1/2, reflection log(pi / |sin(pi x)|) - lgamma(1 - x) below; +inf at the poles. */
export function lgamma(x: Tensor): Tensor {
  return owned((t) => {
    const small = t(x.lt(0.5));
    const safe = t(x.where(t(small.logicalNot()), t(t(x.neg()).add(1)))); // x, or 1 - x for the reflection
    const positive = lgammaPositive(safe, t);
    const sine = t(t(t(x.mul(Math.PI)).sin()).abs());
    const reflected = t(t(t(t(sine.reciprocal()).mul(Math.PI)).log()).sub(positive));
    const pole = t(t(x.le(0)).logicalAnd(t(t(x.floor()).eq(x))));
    const value = t(positive.where(t(small.logicalNot()), reflected));
    return t(value.where(t(pole.logicalNot()), Infinity)).where(t(t(x.abs()).ne(Infinity)), Infinity);
  });
}

/** Σ_{k<6} f(x + k) over the shifts that carry x up to where an asymptotic series holds. */
function shifted(x: Tensor, t: Track, term: (y: Tensor) => Tensor): Tensor {
  let acc = t(term(x));
  for (let k = 1; k < 6; k++) acc = t(acc.add(t(term(t(x.add(k))))));
  return acc;
}

/** ψ(x) for x > 0: six recurrence steps, then the asymptotic series at x + 6. */
function digammaPositive(x: Tensor, t: Track): Tensor {
  const steps = shifted(x, t, (y) => y.reciprocal());
  const z = t(x.add(6));
  const w = t(t(z.square()).reciprocal());
  const series = horner(w, [0, 1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132], t);
  return t(t(t(t(z.log()).sub(t(t(z.reciprocal()).mul(0.5)))).sub(series)).sub(steps));
}

/** ψ(x) = d log Γ(x) / dx; reflection ψ(1 - x) - pi / tan(pi x) below 0; PyTorch's values at the poles. */
export function digamma(x: Tensor): Tensor {
  return owned((t) => {
    const negative = t(x.lt(0));
    const positive = digammaPositive(t(x.where(t(negative.logicalNot()), t(t(x.neg()).add(1)))), t);
    const cot = t(t(t(t(x.mul(Math.PI)).tan()).reciprocal()).mul(Math.PI));
    const value = t(positive.where(t(negative.logicalNot()), t(positive.sub(cot))));
    const negativeInteger = t(negative.logicalAnd(t(t(x.floor()).eq(x))));
    // ψ(+0) = -inf and ψ(-0) = +inf, as PyTorch (the sign of zero read through 1/x).
    const zero = t(x.eq(0));
    const atZero = t(t(t(x.reciprocal()).lt(0)).where(zero, false));
    return t(t(value.where(t(negativeInteger.logicalNot()), NaN)).where(t(zero.logicalNot()), -Infinity))
      .where(t(atZero.logicalNot()), Infinity);
  });
}

/** ψ'(x), the derivative of digamma (for its gradient): recurrence, asymptotic series, reflection. */
export function trigamma(x: Tensor): Tensor {
  return owned((t) => {
    const negative = t(x.lt(0));
    const y = t(x.where(t(negative.logicalNot()), t(t(x.neg()).add(1))));
    const steps = shifted(y, t, (v) => t(v.square()).reciprocal());
    const z = t(y.add(6));
    const w = t(t(z.square()).reciprocal());
    // 1/z + 1/(2z^2) + 1/(6z^3) - 1/(30z^5) + 1/(42z^7) - 1/(30z^9)
    const odd = t(horner(w, [1 / 6, -1 / 30, 1 / 42, -1 / 30], t).div(t(z.pow(3))));
    const positive = t(t(t(t(z.reciprocal()).add(t(w.mul(0.5)))).add(odd)).add(steps));
    const sine = t(t(x.mul(Math.PI)).sin());
    const reflected = t(t(t(t(sine.square()).reciprocal()).mul(Math.PI * Math.PI)).sub(positive));
    return positive.where(t(negative.logicalNot()), reflected);
  });
}
