// Reductions over strided views (float32 sums in f64; int32/bool in i64, see integer.ts),
// argmax/argmin and the fused softmax. dtype codes: 0 float32, 1 int32, 2 bool.
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { foldInt, identityInt, loadInt, storeInt } from './integer';

const SUM = 0, PROD = 1, MAX = 2, MIN = 3;

@inline function loadAny(kind: i32, p: usize): f64 {
  return kind == 0 ? <f64>load<f32>(p) : <f64>loadInt(kind, p);
}

@inline function identity(op: i32): f64 {
  return op == SUM ? 0 : op == PROD ? 1 : op == MAX ? -Infinity : Infinity;
}

function foldRow(op: i32, acc: f64, p: usize, s: usize, n: i32): f64 {
  let i = 0;
  if (op == SUM) {
    if (s == 4 && n >= 8) {
      let v0 = f64x2.splat(0), v1 = f64x2.splat(0);
      for (; i + 4 <= n; i += 4, p += 16) {
        const x = v128.load(p);
        v0 = f64x2.add(v0, f64x2.promote_low_f32x4(x));
        v1 = f64x2.add(v1, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)));
      }
      const t = f64x2.add(v0, v1);
      acc += f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    }
    for (; i < n; i++, p += s) acc += <f64>load<f32>(p);
    return acc;
  }
  if (op == PROD) {
    for (; i < n; i++, p += s) acc *= <f64>load<f32>(p);
    return acc;
  }
  if (op == MAX) {
    for (; i < n; i++, p += s) {
      const v = <f64>load<f32>(p);
      if (v > acc || v != v) acc = v;
    }
    return acc;
  }
  for (; i < n; i++, p += s) {
    const v = <f64>load<f32>(p);
    if (v < acc || v != v) acc = v;
  }
  return acc;
}

/**
 * Reduce where the reduced dims include x's innermost: `dk` walks the kept dims (views x,
 * out), `dr` walks the reduced dims of x from each kept position.
 */
export function reduce_fold(op: i32, kin: i32, kout: i32, dk: usize, dr: usize, x: usize, o: usize): void {
  const nk = rowLength(dk), rowsK = rowCount(dk);
  const sxk = <usize>innerStride(dk, 0), sok = <usize>innerStride(dk, 1);
  const nr = rowLength(dr), rowsR = rowCount(dr);
  const sr = <usize>innerStride(dr, 0);
  startWalk(dk, x, o, 0, 0);
  for (let r = 0; r < rowsK; r++) {
    let px = ptrOf(dk, 0), po = ptrOf(dk, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      startWalk(dr, px, 0, 0, 0);
      if (kin == 0) {
        let acc = identity(op);
        for (let q = 0; q < rowsR; q++, nextRow(dr, 1)) acc = foldRow(op, acc, ptrOf(dr, 0), sr, nr);
        store<f32>(po, <f32>acc);
      } else {
        let acc = identityInt(op);
        for (let q = 0; q < rowsR; q++, nextRow(dr, 1)) {
          let p = ptrOf(dr, 0);
          for (let i = 0; i < nr; i++, p += sr) acc = foldInt(op, acc, loadInt(kin, p));
        }
        storeInt(kout, po, <i32>acc);
      }
    }
    nextRow(dk, 2);
  }
}

/**
 * Reduce where x's innermost dim is kept: sweep x (walk `d`, views acc and x; acc strides
 * are 0 on reduced dims) into 8-byte accumulators (f64 for float32, i64 for int32/bool), then convert them into
 * the contiguous out.
 */
export function reduce_acc(op: i32, kin: i32, kout: i32, d: usize, acc: usize, count: i32, x: usize, o: usize): void {
  if (kin == 0) {
    const id = identity(op);
    for (let i = 0; i < count; i++) store<f64>(acc + (<usize>i << 3), id);
  } else {
    const id = identityInt(op);
    for (let i = 0; i < count; i++) store<i64>(acc + (<usize>i << 3), id);
  }
  const n = rowLength(d), rows = rowCount(d);
  const sa = <usize>innerStride(d, 0), sx = <usize>innerStride(d, 1);
  startWalk(d, acc, x, 0, 0);
  for (let r = 0; r < rows; r++) {
    let pa = ptrOf(d, 0), px = ptrOf(d, 1);
    let i = 0;
    if (kin != 0) {
      for (; i < n; i++, pa += sa, px += sx) store<i64>(pa, foldInt(op, load<i64>(pa), loadInt(kin, px)));
    } else if (op == SUM) {
      if (sa == 8 && sx == 4) {
        for (; i + 4 <= n; i += 4, pa += 32, px += 16) {
          const v = v128.load(px);
          v128.store(pa, f64x2.add(v128.load(pa), f64x2.promote_low_f32x4(v)));
          v128.store(pa, f64x2.add(v128.load(pa, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
        }
      }
      for (; i < n; i++, pa += sa, px += sx) store<f64>(pa, load<f64>(pa) + <f64>load<f32>(px));
    } else if (op == PROD) {
      for (; i < n; i++, pa += sa, px += sx) store<f64>(pa, load<f64>(pa) * <f64>load<f32>(px));
    } else if (op == MAX) {
      for (; i < n; i++, pa += sa, px += sx) {
        const v = <f64>load<f32>(px);
        if (v > load<f64>(pa) || v != v) store<f64>(pa, v);
      }
    } else {
      for (; i < n; i++, pa += sa, px += sx) {
        const v = <f64>load<f32>(px);
        if (v < load<f64>(pa) || v != v) store<f64>(pa, v);
      }
    }
    nextRow(d, 2);
  }
  if (kin == 0) {
    for (let i = 0; i < count; i++) store<f32>(o + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
  } else {
    const step: usize = kout == 1 ? 4 : 1;
    for (let i = 0; i < count; i++) storeInt(kout, o + <usize>i * step, <i32>load<i64>(acc + (<usize>i << 3)));
  }
}

/**
 * argmax (op 0) / argmin (op 1) along a line of `n` elements `sx` bytes apart, for every
 * position of walk `d` (views x, out), x of dtype `kin`. First extreme wins; a NaN wins at once.
 */
export function arg_reduce(op: i32, kin: i32, d: usize, x: usize, o: usize, n: i32, sx: i32): void {
  const nk = rowLength(d), rows = rowCount(d);
  const sxk = <usize>innerStride(d, 0), sok = <usize>innerStride(d, 1);
  const wantMax = op == 0;
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      let best = 0;
      let bestValue: f64 = n > 0 ? loadAny(kin, px) : 0;
      if (bestValue == bestValue) {
        let j = px + <usize>sx;
        for (let i = 1; i < n; i++, j += <usize>sx) {
          const v = loadAny(kin, j);
          if (v != v) {
            best = i;
            break;
          }
          if (wantMax ? v > bestValue : v < bestValue) {
            best = i;
            bestValue = v;
          }
        }
      }
      store<i32>(po, best);
    }
    nextRow(d, 2);
  }
}

/** Softmax (log = 0) or log-softmax (log = 1) along lines of `n` (x step sx, out step so bytes). */
export function softmax_f32(log: i32, d: usize, x: usize, o: usize, n: i32, sx: i32, so: i32): void {
  const nk = rowLength(d), rows = rowCount(d);
  const sxk = <usize>innerStride(d, 0), sok = <usize>innerStride(d, 1);
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      let max: f64 = -Infinity;
      let j = px;
      for (let i = 0; i < n; i++, j += <usize>sx) {
        const v = <f64>load<f32>(j);
        if (v > max || v != v) max = v;
      }
      let sum: f64 = 0;
      if (log) {
        j = px;
        for (let i = 0; i < n; i++, j += <usize>sx) sum += Math.exp(<f64>load<f32>(j) - max);
        const shift = max + Math.log(sum);
        j = px;
        let q = po;
        for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) store<f32>(q, <f32>(<f64>load<f32>(j) - shift));
      } else {
        j = px;
        let q = po;
        for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) {
          const e = Math.exp(<f64>load<f32>(j) - max);
          store<f32>(q, <f32>e);
          sum += e;
        }
        q = po;
        for (let i = 0; i < n; i++, q += <usize>so) store<f32>(q, <f32>(<f64>load<f32>(q) / sum));
      }
    }
    nextRow(d, 2);
  }
}

// ---- contiguous-row softmax: f32x4 max, vector exp (Cephes expf, ~1 ulp) + f64 sum, scale.

const EXP_LO: f32 = -87.3365478515625; // below: 0 (x - max <= 0 here, so no overflow)

/** exp of four lanes (Cody-Waite reduction, degree-6 polynomial); NaN stays NaN. */
@inline function expf4(x: v128): v128 {
  // Inputs are x - max <= 0 (or NaN). Lanes below EXP_LO (-Infinity included) give 0 by
  // the mask; whatever the reduction made of them is dropped.
  const under = f32x4.lt(x, f32x4.splat(EXP_LO));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), under);
}

@inline function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

function softmaxRow(log: i32, px: usize, po: usize, n: i32): void {
  // max with pmax (one maxps; NaN lanes may be dropped here, but a NaN in the row makes
  // the sum below NaN, and with it every output, as a NaN max would)
  let i = 0;
  let m0 = f32x4.splat(-Infinity), m1 = m0;
  for (; i + 8 <= n; i += 8) {
    m0 = f32x4.pmax(m0, v128.load(px + (<usize>i << 2)));
    m1 = f32x4.pmax(m1, v128.load(px + (<usize>i << 2), 16));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.pmax(m0, v128.load(px + (<usize>i << 2)));
  m0 = f32x4.pmax(m0, m1);
  let max = f32x4.extract_lane(m0, 0);
  for (let l = 1; l < 4; l++) {
    const v = l == 1 ? f32x4.extract_lane(m0, 1) : l == 2 ? f32x4.extract_lane(m0, 2) : f32x4.extract_lane(m0, 3);
    if (v > max || v != v) max = v;
  }
  for (; i < n; i++) {
    const v = load<f32>(px + (<usize>i << 2));
    if (v > max || v != v) max = v;
  }
  const mv = f32x4.splat(max);
  // exp (stored for softmax) and sum in f64
  // f32 partial sums in 8 lanes (short chains), combined in f64.
  let s0 = f32x4.splat(0), s1 = s0;
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const e0 = expf4(f32x4.sub(v128.load(px + (<usize>i << 2)), mv));
    const e1 = expf4(f32x4.sub(v128.load(px + (<usize>i << 2), 16), mv));
    if (!log) {
      v128.store(po + (<usize>i << 2), e0);
      v128.store(po + (<usize>i << 2), e1, 16);
    }
    s0 = f32x4.add(s0, e0);
    s1 = f32x4.add(s1, e1);
  }
  for (; i + 4 <= n; i += 4) {
    const e = expf4(f32x4.sub(v128.load(px + (<usize>i << 2)), mv));
    if (!log) v128.store(po + (<usize>i << 2), e);
    s0 = f32x4.add(s0, e);
  }
  let sum: f64 = <f64>f32x4.extract_lane(s0, 0) + <f64>f32x4.extract_lane(s0, 1) + <f64>f32x4.extract_lane(s0, 2) + <f64>f32x4.extract_lane(s0, 3)
    + <f64>f32x4.extract_lane(s1, 0) + <f64>f32x4.extract_lane(s1, 1) + <f64>f32x4.extract_lane(s1, 2) + <f64>f32x4.extract_lane(s1, 3);
  for (let j = i; j < n; j++) {
    const e = expf1(load<f32>(px + (<usize>j << 2)) - max);
    if (!log) store<f32>(po + (<usize>j << 2), e);
    sum += <f64>e;
  }
  if (log) {
    const shift = <f64>max + Math.log(sum);
    const sv = f64x2.splat(shift);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const x = v128.load(px + (<usize>i << 2));
      const lo = f64x2.sub(f64x2.promote_low_f32x4(x), sv);
      const hi = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)), sv);
      const a = f32x4.demote_f64x2_zero(lo), b = f32x4.demote_f64x2_zero(hi);
      v128.store(po + (<usize>i << 2), i32x4.shuffle(a, b, 0, 1, 4, 5));
    }
    for (; i < n; i++) store<f32>(po + (<usize>i << 2), <f32>(<f64>load<f32>(px + (<usize>i << 2)) - shift));
  } else {
    const inv = f32x4.splat(<f32>(1 / sum));
    i = 0;
    for (; i + 4 <= n; i += 4) v128.store(po + (<usize>i << 2), f32x4.mul(v128.load(po + (<usize>i << 2)), inv));
    const invs = <f32>(1 / sum);
    for (; i < n; i++) store<f32>(po + (<usize>i << 2), load<f32>(po + (<usize>i << 2)) * invs);
  }
}

/** Softmax / log-softmax of `rows` contiguous rows of `n` (row steps rx, ro bytes); rows split across threads. */
export function softmax_rows_f32(log: i32, x: usize, o: usize, rows: i32, n: i32, rx: i32, ro: i32, tid: i32, nt: i32): void {
  const per = (rows + nt - 1) / nt;
  const r0 = tid * per, r1 = min(rows, r0 + per);
  for (let r = r0; r < r1; r++) softmaxRow(log, x + <usize>r * <usize>rx, o + <usize>r * <usize>ro, n);
}
