// Scalar functions with PyTorch's conventions, in f64 (rounded to f32 on the store), as
// backend-cpu's math.ts.

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
