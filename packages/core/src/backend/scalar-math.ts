/**
 * Scalar functions that JavaScript's Math lacks, with PyTorch's conventions: the reference
 * functions of the op table use them, and the cpu backend's kernels call the same ones.
 */

/** Round half to even, as torch.round (Math.round rounds halves up). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round(v) - v is 0.5 exactly on a tie; then step down to the even neighbour.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Numerically stable logistic function: never exponentiates a large positive number. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** torch.sign: -1, 0 or 1; sign(NaN) and sign(-0) are 0. */
export function sign(v: number): number {
  return (v > 0 ? 1 : 0) - (v < 0 ? 1 : 0);
}

/**
 * `x ** y` of two int32 values, wrapping modulo 2^32 as PyTorch's int32 pow does (by
 * squaring). A negative power truncates toward zero: 1 and -1 stay ±1, anything else is 0.
 */
export function powInt32(x: number, y: number): number {
  if (y < 0) return x === 1 ? 1 : x === -1 ? (y & 1 ? -1 : 1) : 0;
  let result = 1;
  let base = x | 0;
  for (let e = y >>> 0; e !== 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

// W. J. Cody's rational Chebyshev approximations (Math. Comp. 1969, netlib specfun CALERF),
// accurate to about 1e-16 in double precision on three intervals of |x|.
const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
const P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  6.58749161529837803e-4, 0.0163153871373020978,
];
const Q = [2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];
const ONE_OVER_SQRT_PI = 0.56418958354775628695;

/** exp(-y^2) computed as two factors so the rounding of y^2 does not cost accuracy. */
function expMinusSquare(y: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del);
}

/** The complementary error function 1 - erf(x), after Cody: accurate where erf is near ±1. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erf(x);
  let r: number;
  if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]) * y;
      den = (den + D[i]) * y;
    }
    r = (expMinusSquare(y) * (num + C[7])) / (den + D[7]);
  } else if (y < 27) {
    const z = 1 / (y * y);
    let num = P[5] * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + P[i]) * z;
      den = (den + Q[i]) * z;
    }
    r = (expMinusSquare(y) * (ONE_OVER_SQRT_PI - (z * (num + P[4])) / (den + Q[4]))) / y;
  } else {
    r = y === y ? 0 : NaN; // erfc(27) < 1e-318: zero even in double
  }
  return x < 0 ? 2 - r : r;
}

/** The error function, after Cody; absolute error far below float32 resolution. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const z = y * y;
    let num = A[4] * z;
    let den = z;
    for (let i = 0; i < 3; i++) {
      num = (num + A[i]) * z;
      den = (den + B[i]) * z;
    }
    return (x * (num + A[3])) / (den + B[3]);
  }
  if (y >= 6) return y === y ? Math.sign(x) : NaN; // erfc(6) < 3e-17: erf is ±1 in any float format
  const result = 1 - erfc(y);
  return x < 0 ? -result : result;
}

/** The inverse error function: Giles' single-precision start, then Newton steps on `erf`. */
export function erfinv(x: number): number {
  if (x !== x || x < -1 || x > 1) return NaN;
  if (x === 1 || x === -1) return x * Infinity;
  const w0 = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w0 < 5) {
    const w = w0 - 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
  } else {
    const w = Math.sqrt(w0) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
  }
  // Newton on |x|: erf(y) - a, written (1 - a) - erfc(y) near 1, where it would cancel.
  const a = Math.abs(x);
  let y = Math.abs(p * x);
  for (let i = 0; i < 3; i++) {
    const residual = a > 0.5 ? 1 - a - erfc(y) : erf(y) - a;
    const step = residual / ((2 / Math.sqrt(Math.PI)) * Math.exp(-y * y));
    if (!Number.isFinite(step)) break;
    y -= step;
  }
  return x < 0 ? -y : y;
}

// Lanczos approximation (g = 7, n = 9): relative error about 1e-15 for x >= 0.5.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log |Γ(x)|, with reflection below 1/2; +Infinity at the poles (0 and the negative integers), as PyTorch. */
export function lgamma(x: number): number {
  if (x !== x) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Math.floor(x) === x) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * ψ(x) = Γ'(x) / Γ(x): six steps of ψ(x) = ψ(x + 1) - 1/x, then the asymptotic series;
 * reflection below 0. As PyTorch: -inf at +0, +inf at -0, NaN at the negative integers.
 */
export function digamma(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (Math.floor(x) === x) return NaN;
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let shift = 0;
  while (x < 6) {
    shift -= 1 / x;
    x += 1;
  }
  const z = 1 / (x * x);
  const series = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (1 / 132)))));
  return shift + Math.log(x) - 0.5 / x - series;
}

/** C's fmod: the remainder of truncated division, with the dividend's sign (exact in doubles). */
export function fmod(a: number, b: number): number {
  return a % b;
}

/** Python's remainder: the divisor's sign, as torch.remainder (`fmod`, moved by `b` when the signs differ). */
export function remainder(a: number, b: number): number {
  let mod = a % b;
  if (mod !== 0 && b < 0 !== mod < 0) mod += b;
  return mod;
}

/** Floor division of floats as PyTorch's `div_floor_floating`: `(a - fmod(a, b)) / b`, corrected and rounded. */
export function floorDivide(a: number, b: number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) {
    const q = a / b;
    return q < 0 || Object.is(q, -0) ? -0 : 0;
  }
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** int32 fmod; a zero divisor gives 0 (core raises before a kernel sees one where it can read the divisor). */
export function fmodInt32(a: number, b: number): number {
  return b === 0 ? 0 : (a % b) | 0;
}

/** int32 remainder with the divisor's sign; a zero divisor gives 0. */
export function remainderInt32(a: number, b: number): number {
  return b === 0 ? 0 : remainder(a, b) | 0;
}

/** int32 floor division (wrapping: -2^31 // -1 is -2^31); a zero divisor gives 0. */
export function floorDivideInt32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b) | 0;
}
