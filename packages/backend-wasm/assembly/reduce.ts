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
