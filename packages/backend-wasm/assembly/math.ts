// Scalar functions with PyTorch's conventions, in f64 (rounded to f32 on the store), as
// backend-cpu's math.ts; then float32 forms on four lanes for the v128 loops.
import { madd } from './gemm';

export function roundHalfEven(v: f64): f64 {
  return nearest(v);
}

export function sigmoid(v: f64): f64 {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export function sign(v: f64): f64 {
  return <f64>(<i32>(v > 0) - <i32>(v < 0));
}

@inline function expMinusSquare(y: f64): f64 {
  const ysq = trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del);
}

/** The error function after W. J. Cody (same coefficients as backend-cpu). */
export function erf(x: f64): f64 {
  const y = abs(x);
  if (y <= 0.46875) {
    const z = y * y;
    let num = 0.185777706184603153 * z;
    let den = z;
    num = (num + 3.1611237438705656) * z; den = (den + 23.6012909523441209) * z;
    num = (num + 113.864154151050156) * z; den = (den + 244.024637934444173) * z;
    num = (num + 377.485237685302021) * z; den = (den + 1282.61652607737228) * z;
    return (x * (num + 3209.37758913846947)) / (den + 2844.23683343917062);
  }
  let erfc: f64;
  if (y <= 4) {
    let num = 2.15311535474403846e-8 * y;
    let den = y;
    num = (num + 0.564188496988670089) * y; den = (den + 15.7449261107098347) * y;
    num = (num + 8.88314979438837594) * y; den = (den + 117.693950891312499) * y;
    num = (num + 66.1191906371416295) * y; den = (den + 537.181101862009858) * y;
    num = (num + 298.635138197400131) * y; den = (den + 1621.38957456669019) * y;
    num = (num + 881.95222124176909) * y; den = (den + 3290.79923573345963) * y;
    num = (num + 1712.04761263407058) * y; den = (den + 4362.61909014324716) * y;
    num = (num + 2051.07837782607147) * y; den = (den + 3439.36767414372164) * y;
    erfc = (expMinusSquare(y) * (num + 1230.33935479799725)) / (den + 1230.33935480374942);
  } else if (y < 6) {
    const z = 1 / (y * y);
    let num = 0.0163153871373020978 * z;
    let den = z;
    num = (num + 0.305326634961232344) * z; den = (den + 2.56852019228982242) * z;
    num = (num + 0.360344899949804439) * z; den = (den + 1.87295284992346047) * z;
    num = (num + 0.125781726111229246) * z; den = (den + 0.527905102951428412) * z;
    num = (num + 0.0160837851487422766) * z; den = (den + 0.0605183413124413191) * z;
    const r = (z * (num + 6.58749161529837803e-4)) / (den + 0.00233520497626869185);
    erfc = (expMinusSquare(y) * (0.56418958354775628695 - r)) / y;
  } else {
    erfc = y == y ? 0 : NaN;
  }
  const result = 0.5 - erfc + 0.5;
  return x < 0 ? -result : result;
}

/** JavaScript's ToInt32: truncate, then wrap modulo 2^32 (NaN and infinities give 0). */
export function toInt32(v: f64): i32 {
  if (!isFinite(v)) return 0;
  const t = trunc(v);
  if (t >= -2147483648.0 && t <= 2147483647.0) return <i32>t;
  let m = t - floor(t / 4294967296.0) * 4294967296.0;
  if (m >= 2147483648.0) m -= 4294967296.0;
  return <i32>m;
}

// ---- float32 x 4: exp (softmax's and the elementwise one), sigmoid, tanh.

const LOG2E: f32 = 1.44269504088896341;
/** 1.5 * 2^23 + 127: adding it rounds to an integer n and leaves n + 127 in the low mantissa bits. */
const MAGIC: f32 = 12583039.0;
/** 1.5 * 2^23: adding it rounds to an integer n; the float's bits less ROUND_BITS are n. */
const ROUND: f32 = 12582912.0;
const ROUND_BITS: i32 = 0x4b400000;
/** ln 2 as a float32, for softmax's fused reduction step. */
const LN2: f32 = 0.693147182464599609375;
/** ln 2 in two parts for the unfused steps; LN2_HI ends in zero bits, so n * LN2_HI is exact. */
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.428606765330187e-6;
/** exp(t) ~ 1 + t (C1 + t (C2 + t (C3 + t (C4 + t C5)))) on [-ln2/2, ln2/2]: a minimax fit, relative error 1e-7. */
const C1: f32 = 0.9999997019767761;
const C2: f32 = 0.4999915063381195;
const C3: f32 = 0.1666763573884964;
const C4: f32 = 0.04189793020486832;
const C5: f32 = 0.008290315046906471;
/** ln of the smallest normal float32: below it softmax's exp gives 0. */
const EXP_LO: f32 = -87.3365478515625;
/** exp is below half the smallest subnormal under EXP_MIN and above the largest float over EXP_MAX. */
const EXP_MIN: f32 = -104;
const EXP_MAX: f32 = 89;

/**
 * t = x - n ln 2 (Cody-Waite) for n = round(x log2 e) as a float: n * LN2_HI is exact with
 * or without fusion, so t is good to 1e-10 |n| wherever relaxed madd is unfused too.
 */
@inline function expReduce(x: v128, n: v128): v128 {
  return madd(n, f32x4.splat(-LN2_LO), madd(n, f32x4.splat(-LN2_HI), x));
}

/** scale * exp(t) for |t| <= ln2/2, as scale + (t scale) p(t). */
@inline function expScaled(t: v128, scale: v128): v128 {
  let p = madd(f32x4.splat(C5), t, f32x4.splat(C4));
  p = madd(p, t, f32x4.splat(C3));
  p = madd(p, t, f32x4.splat(C2));
  p = madd(p, t, f32x4.splat(C1));
  return madd(f32x4.mul(t, scale), p, scale);
}

/**
 * exp of four lanes that are <= 0 (softmax's x - max) or NaN, to a relative error below 4e-7:
 * exp(x) = 2^n exp(t) with n = round(x log2 e), t = x - n ln 2. Adding MAGIC rounds x log2 e
 * and leaves n + 127 in the low mantissa bits, so shifting the bits left by 23 gives 2^n as
 * a float. Lanes below EXP_LO (-Infinity included) give 0 by the mask; NaN stays NaN.
 */
@inline export function expShiftedf4(x: v128): v128 {
  let n = madd(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
  const scale = i32x4.shl(n, 23);
  n = f32x4.sub(n, f32x4.splat(MAGIC));
  // One fused step where the build has relaxed madd: t is off by LN2's own error, 2e-9 |n|.
  const t = ASC_FEATURE_RELAXED_SIMD ? madd(n, f32x4.splat(-LN2), x) : expReduce(x, n);
  const e = expScaled(t, scale);
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(EXP_LO)));
}

/**
 * exp of any four lanes, as expShiftedf4 but over the whole range: x is clamped to
 * [EXP_MIN, EXP_MAX] (pmin/pmax keep NaN), and 2^n is applied as two normal factors
 * 2^(n >> 1) 2^(n - (n >> 1)), so results fall into the subnormals and overflow to
 * Infinity, each rounded once at the last multiply.
 */
@inline export function expf4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const r = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUND));
  const n = i32x4.sub(r, i32x4.splat(ROUND_BITS));
  const half = i32x4.shr_s(n, 1);
  const s1 = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(n, half), i32x4.splat(127)), 23);
  return f32x4.mul(expScaled(expReduce(x, f32x4.sub(r, f32x4.splat(ROUND))), s1), s2);
}

/** 1 / (1 + exp(-x)) for x >= 0, e / (1 + e) with e = exp(x) otherwise: exp never overflows. */
@inline export function sigmoidf4(x: v128): v128 {
  const e = expf4(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, f32x4.splat(0)));
}

/** Below it tanh takes the odd polynomial, where 1 - 2 / (exp(2|x|) + 1) would cancel. */
const TANH_SMALL: f32 = 0.625;
/** tanh(a) ~ a + a^3 (T1 + a^2 (T2 + ... a^2 T5)) on [0, 0.625]: relative error 8e-8. */
const T1: f32 = -0.3333328366279602;
const T2: f32 = 0.13331474363803864;
const T3: f32 = -0.053741950541734695;
const T4: f32 = 0.020645424723625183;
const T5: f32 = -0.005711284466087818;

/**
 * tanh(|x|) with x's sign: the polynomial for small |x| (relative accuracy down to the
 * subnormals), 1 - 2 / (exp(2|x|) + 1) above, which reaches 1 when exp overflows; NaN
 * propagates through exp.
 */
@inline export function tanhf4(x: v128): v128 {
  const a = f32x4.abs(x);
  const a2 = f32x4.mul(a, a);
  let p = madd(f32x4.splat(T5), a2, f32x4.splat(T4));
  p = madd(p, a2, f32x4.splat(T3));
  p = madd(p, a2, f32x4.splat(T2));
  p = madd(p, a2, f32x4.splat(T1));
  const small = madd(f32x4.mul(a, a2), p, a);
  const e = expf4(f32x4.add(a, a));
  const large = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  const y = v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(TANH_SMALL)));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000)));
}
