// Scalar functions with PyTorch's conventions, in f64 (rounded to f32 on the store), as
// backend-cpu's math.ts; then float32 forms on four lanes for the v128 loops.
import { madd } from './matmul';

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

/** 2^k as float32 lanes for integer lanes k in [-126, 127]: k + 127 placed in the exponent bits. */
@inline function pow2(k: v128): v128 {
  return i32x4.shl(i32x4.add(k, i32x4.splat(127)), 23);
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
  const s1 = pow2(half);
  const s2 = pow2(i32x4.sub(n, half));
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

// ---- float32 x 4: log, log1p (after musl's logf / log1pf), expm1.

/** The bits of sqrt(1/2) rounded: the mantissa is reduced to [sqrt(1/2), sqrt(2)). */
const SQRT_HALF_BITS: i32 = 0x3f3504f3;
/** ln 2 in two parts for log: LOG_LN2_HI ends in 8 zero bits, so k * LOG_LN2_HI is exact. */
const LOG_LN2_HI: f32 = 0.693138122559;
const LOG_LN2_LO: f32 = 9.0580006145e-6;
/** log(1 + f) = 2 atanh(s), s = f / (2 + f): the minimax terms of musl's logf (error < 1 ulp). */
const LG1: f32 = 0.66666662693;
const LG2: f32 = 0.40000972152;
const LG3: f32 = 0.28498786688;
const LG4: f32 = 0.24279078841;
/** The smallest normal float32: below it log scales x by 2^23 first. */
const MIN_NORMAL: f32 = 1.1754943508222875e-38;

/**
 * k ln 2 + log(1 + f) + c for f in [sqrt(1/2) - 1, sqrt(2) - 1] (k a float, c a correction
 * of f's rounding), in musl's order: f - hfsq + s (hfsq + R), hfsq = f^2 / 2, so that the
 * result is good to 1 ulp of itself, relative accuracy included where k = 0 and f is small.
 */
@inline function logReduced(f: v128, k: v128, c: v128): v128 {
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, madd(w, f32x4.splat(LG4), f32x4.splat(LG2)));
  const t2 = f32x4.mul(z, madd(w, f32x4.splat(LG3), f32x4.splat(LG1)));
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f), f);
  let r = madd(s, f32x4.add(hfsq, f32x4.add(t2, t1)), madd(k, f32x4.splat(LOG_LN2_LO), c));
  r = f32x4.add(f32x4.sub(r, hfsq), f);
  return madd(k, f32x4.splat(LOG_LN2_HI), r);
}

/**
 * log of four lanes, within 1.5e-7 relative of float64: x = 2^k m with m in [sqrt(1/2),
 * sqrt(2)) from the bits (subnormals scaled by 2^23 first), then log(m) by logReduced with
 * f = m - 1 exact. log(0) = -Infinity, log(x < 0) = NaN, +Infinity and NaN pass through.
 */
@inline export function logf4(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608)), x, tiny);
  const ix = i32x4.add(xs, i32x4.splat(0x3f800000 - SQRT_HALF_BITS));
  const k = i32x4.sub(i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(0x7f)), v128.and(tiny, i32x4.splat(23)));
  const m = i32x4.add(v128.and(ix, i32x4.splat(0x7fffff)), i32x4.splat(SQRT_HALF_BITS));
  let y = logReduced(f32x4.sub(m, f32x4.splat(1)), f32x4.convert_i32x4_s(k), f32x4.splat(0));
  y = v128.bitselect(x, y, v128.or(f32x4.ne(x, x), f32x4.eq(x, f32x4.splat(<f32>Infinity))));
  y = v128.bitselect(f32x4.splat(-<f32>Infinity), y, f32x4.eq(x, f32x4.splat(0)));
  return v128.bitselect(f32x4.splat(<f32>NaN), y, f32x4.lt(x, f32x4.splat(0)));
}

/** Below it log1p(x) and expm1(x) are x to within half an ulp (and -0 stays -0). */
const LOG1P_TINY: f32 = 5.9604644775390625e-8; // 2^-24
const EXPM1_TINY: f32 = 2.9802322387695312e-8; // 2^-25

/**
 * log1p of four lanes as musl's log1pf: u = 1 + x = 2^k m as in logf4; where k = 0, f = x
 * itself (relative accuracy near 0), elsewhere f = m - 1 and c = the rounding error of u over
 * u, (1 - (u - x)) / u or (x - (u - 1)) / u (0 past k = 24). |x| < 2^-24 gives x; x = -1
 * gives -Infinity, x < -1 NaN; +Infinity and NaN pass through.
 */
@inline export function log1pf4(x: v128): v128 {
  const one = f32x4.splat(1);
  const u = f32x4.add(one, x);
  const iu = i32x4.add(u, i32x4.splat(0x3f800000 - SQRT_HALF_BITS));
  const k = i32x4.sub(i32x4.shr_s(iu, 23), i32x4.splat(0x7f));
  const k0 = i32x4.eq(k, i32x4.splat(0));
  const m = i32x4.add(v128.and(iu, i32x4.splat(0x7fffff)), i32x4.splat(SQRT_HALF_BITS));
  const f = v128.bitselect(x, f32x4.sub(m, one), k0);
  const c0 = v128.bitselect(f32x4.sub(one, f32x4.sub(u, x)), f32x4.sub(x, f32x4.sub(u, one)), i32x4.ge_s(k, i32x4.splat(2)));
  const c = v128.andnot(f32x4.div(c0, u), v128.or(k0, i32x4.gt_s(k, i32x4.splat(24))));
  let y = logReduced(f, f32x4.convert_i32x4_s(k), c);
  y = v128.bitselect(x, y, v128.or(f32x4.ne(x, x), f32x4.eq(x, f32x4.splat(<f32>Infinity))));
  y = v128.bitselect(x, y, f32x4.lt(f32x4.abs(x), f32x4.splat(LOG1P_TINY)));
  y = v128.bitselect(f32x4.splat(-<f32>Infinity), y, f32x4.eq(x, f32x4.splat(-1)));
  return v128.bitselect(f32x4.splat(<f32>NaN), y, f32x4.lt(x, f32x4.splat(-1)));
}

/** expm1(t) ~ t + t^2 (1/2 + t (1/6 + ... t / 5040)) on [-ln2/2, ln2/2]: Taylor to t^7, error 1.3e-8. */
const M2: f32 = 0.5;
const M3: f32 = 0.16666666666666666;
const M4: f32 = 0.041666666666666664;
const M5: f32 = 0.008333333333333333;
const M6: f32 = 0.001388888888888889;
const M7: f32 = 0.0001984126984126984;

/**
 * expm1 of four lanes: with x = n ln 2 + t as in expf4 (x clamped to [EXP_MIN, EXP_MAX]),
 * expm1(x) = 2^n expm1(t) + 2^n - 1, computed as s2 (s1 expm1(t) + (s1 - 1 / s2)) with
 * 2^n = s1 s2 split as in expf4: exact where n = 0 (|x| < ln2/2, so small x keeps its
 * relative accuracy), one rounding to -1 for very negative x, overflow to Infinity at the
 * last multiply. |x| < 2^-25 gives x (-0 stays -0); NaN propagates.
 */
@inline export function expm1f4(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const r = madd(xc, f32x4.splat(LOG2E), f32x4.splat(ROUND));
  const n = i32x4.sub(r, i32x4.splat(ROUND_BITS));
  const t = expReduce(xc, f32x4.sub(r, f32x4.splat(ROUND)));
  let p = madd(f32x4.splat(M7), t, f32x4.splat(M6));
  p = madd(p, t, f32x4.splat(M5));
  p = madd(p, t, f32x4.splat(M4));
  p = madd(p, t, f32x4.splat(M3));
  p = madd(p, t, f32x4.splat(M2));
  const em = madd(f32x4.mul(t, t), p, t);
  const half = i32x4.shr_s(n, 1);
  const rest = i32x4.sub(n, half);
  const s1 = pow2(half);
  const s2 = pow2(rest);
  const s2inv = pow2(i32x4.neg(rest));
  const y = f32x4.mul(madd(s1, em, f32x4.sub(s1, s2inv)), s2);
  return v128.bitselect(x, y, f32x4.lt(f32x4.abs(x), f32x4.splat(EXPM1_TINY)));
}
