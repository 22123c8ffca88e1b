// Reductions over strided views (float32 sums in f64, int32 in i64), argmax/argmin and
// the fused softmax. Op and dtype codes come from generated/ops.ts; reduce receives float32
// or int32 (core counts bools in int32) and writes its input's dtype.
import {
  ARG_REDUCE_ARGMAX, ARG_REDUCE_ARGMIN, DTYPE_FLOAT32, DTYPE_INT32, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, REDUCE_SUM,
} from './generated/ops';
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';
import { loadAs } from './elementwise';
import { claim } from './threads';
import { expShiftedf4 } from './math';

/** What a float32 reduction over no elements gives. */
function identity(op: i32): f64 {
  switch (op) {
    case REDUCE_SUM: return 0;
    case REDUCE_PROD: return 1;
    case REDUCE_MAX: return -Infinity;
    case REDUCE_MIN: return Infinity;
    default: return unreachable();
  }
}

/** Two partial results of `op` folded into one. */
function combine(op: i32, acc: f64, v: f64): f64 {
  switch (op) {
    case REDUCE_SUM: return acc + v;
    case REDUCE_PROD: return acc * v;
    case REDUCE_MAX: return extreme1(true, acc, v);
    case REDUCE_MIN: return extreme1(false, acc, v);
    default: return unreachable();
  }
}

/** `acc` folded with a row of n float32, s bytes apart. */
function foldRow(op: i32, acc: f64, p: usize, s: usize, n: i32): f64 {
  let i = 0;
  switch (op) {
    case REDUCE_SUM: {
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
    case REDUCE_PROD: {
      for (; i < n; i++, p += s) acc *= <f64>load<f32>(p);
      return acc;
    }
    case REDUCE_MAX: {
      if (s == 4) return extremeRow(true, acc, p, n);
      for (; i < n; i++, p += s) acc = extreme1(true, acc, <f64>load<f32>(p));
      return acc;
    }
    case REDUCE_MIN: {
      if (s == 4) return extremeRow(false, acc, p, n);
      for (; i < n; i++, p += s) acc = extreme1(false, acc, <f64>load<f32>(p));
      return acc;
    }
    default: return unreachable();
  }
}

// max / min with NaN winning, as PyTorch's. pmax/pmin are single instructions that keep
// their first operand where the comparison fails, so a NaN already in the accumulator
// stays; a NaN arriving in x is OR'ed in as all-ones bits, which are a NaN too.

@inline function extreme1(isMax: bool, acc: f64, v: f64): f64 {
  return (isMax ? v > acc : v < acc) || v != v ? v : acc;
}

@inline function extreme4(isMax: bool, acc: v128, x: v128): v128 {
  return v128.or(isMax ? f32x4.pmax(acc, x) : f32x4.pmin(acc, x), f32x4.ne(x, x));
}

@inline function extreme2(isMax: bool, acc: v128, x: v128): v128 {
  return v128.or(isMax ? f64x2.pmax(acc, x) : f64x2.pmin(acc, x), f64x2.ne(x, x));
}

/** max (min) of `acc` and `n` contiguous float32 at p. */
@inline function extremeRow(isMax: bool, acc: f64, p: usize, n: i32): f64 {
  let i = 0;
  if (n >= 16) {
    let a0 = f32x4.splat(<f32>acc), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 16 <= n; i += 16, p += 64) {
      a0 = extreme4(isMax, a0, v128.load(p));
      a1 = extreme4(isMax, a1, v128.load(p, 16));
      a2 = extreme4(isMax, a2, v128.load(p, 32));
      a3 = extreme4(isMax, a3, v128.load(p, 48));
    }
    a0 = extreme4(isMax, extreme4(isMax, a0, a1), extreme4(isMax, a2, a3));
    acc = extreme1(isMax, acc, <f64>f32x4.extract_lane(a0, 0));
    acc = extreme1(isMax, acc, <f64>f32x4.extract_lane(a0, 1));
    acc = extreme1(isMax, acc, <f64>f32x4.extract_lane(a0, 2));
    acc = extreme1(isMax, acc, <f64>f32x4.extract_lane(a0, 3));
  }
  for (; i < n; i++, p += 4) acc = extreme1(isMax, acc, <f64>load<f32>(p));
  return acc;
}

/** One row of reduce_acc for max (min): f64 accumulators `sa` bytes apart, float32 x `sx` apart. */
@inline function extremeAccRow(isMax: bool, pa: usize, px: usize, sa: usize, sx: usize, n: i32): void {
  let i = 0;
  if (sa == 8 && sx == 4) {
    for (; i + 4 <= n; i += 4, pa += 32, px += 16) {
      const v = v128.load(px);
      v128.store(pa, extreme2(isMax, v128.load(pa), f64x2.promote_low_f32x4(v)));
      v128.store(pa, extreme2(isMax, v128.load(pa, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
  }
  for (; i < n; i++, pa += sa, px += sx) store<f64>(pa, extreme1(isMax, load<f64>(pa), <f64>load<f32>(px)));
}

// int32 reductions accumulate in i64: sums are exact until the final wrap to int32,
// products wrap at every step (as int32 multiplication does), max/min compare integers.
function identityInt(op: i32): i64 {
  switch (op) {
    case REDUCE_SUM: return 0;
    case REDUCE_PROD: return 1;
    case REDUCE_MAX: return i64.MIN_VALUE;
    case REDUCE_MIN: return i64.MAX_VALUE;
    default: return unreachable();
  }
}

@inline function foldInt(op: i32, acc: i64, v: i32): i64 {
  switch (op) {
    case REDUCE_SUM: return acc + <i64>v;
    case REDUCE_PROD: return <i64>(<i32>acc * v);
    case REDUCE_MAX: return <i64>v > acc ? <i64>v : acc;
    case REDUCE_MIN: return <i64>v < acc ? <i64>v : acc;
    default: return unreachable();
  }
}

/**
 * Reduce where the reduced dims include x's innermost: `dk` walks the kept dims (views x,
 * out), `dr` walks the reduced dims of x from each kept position. x and out are `dtype`.
 */
export function reduce_fold(op: i32, dtype: i32, dk: usize, dr: usize, x: usize, o: usize): void {
  const nk = rowLength(dk), rowsK = rowCount(dk);
  const sxk = <usize>innerStride(dk, 0), sok = <usize>innerStride(dk, 1);
  const nr = rowLength(dr), rowsR = rowCount(dr);
  const sr = <usize>innerStride(dr, 0);
  if (dtype != DTYPE_FLOAT32 && dtype != DTYPE_INT32) unreachable();
  startWalk(dk, x, o, 0, 0);
  for (let r = 0; r < rowsK; r++) {
    let px = ptrOf(dk, 0), po = ptrOf(dk, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      startWalk(dr, px, 0, 0, 0);
      if (dtype == DTYPE_FLOAT32) {
        let acc = identity(op);
        for (let q = 0; q < rowsR; q++, nextRow(dr, 1)) acc = foldRow(op, acc, ptrOf(dr, 0), sr, nr);
        store<f32>(po, <f32>acc);
      } else {
        let acc = identityInt(op);
        for (let q = 0; q < rowsR; q++, nextRow(dr, 1)) {
          let p = ptrOf(dr, 0);
          for (let i = 0; i < nr; i++, p += sr) acc = foldInt(op, acc, load<i32>(p));
        }
        store<i32>(po, <i32>acc);
      }
    }
    nextRow(dk, 2);
  }
}

/**
 * Reduce where x's innermost dim is kept: sweep x (walk `d`, views acc and x; acc strides
 * are 0 on reduced dims) into 8-byte accumulators (f64 for float32, i64 for int32), then
 * convert them into the contiguous out. x and out are `dtype`.
 */
export function reduce_acc(op: i32, dtype: i32, d: usize, acc: usize, count: i32, x: usize, o: usize): void {
  if (dtype != DTYPE_FLOAT32 && dtype != DTYPE_INT32) unreachable();
  const float = dtype == DTYPE_FLOAT32;
  if (float) {
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
    if (!float) {
      for (; i < n; i++, pa += sa, px += sx) store<i64>(pa, foldInt(op, load<i64>(pa), load<i32>(px)));
    } else {
      switch (op) {
        case REDUCE_SUM: {
          if (sa == 8 && sx == 4) {
            for (; i + 4 <= n; i += 4, pa += 32, px += 16) {
              const v = v128.load(px);
              v128.store(pa, f64x2.add(v128.load(pa), f64x2.promote_low_f32x4(v)));
              v128.store(pa, f64x2.add(v128.load(pa, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
            }
          }
          for (; i < n; i++, pa += sa, px += sx) store<f64>(pa, load<f64>(pa) + <f64>load<f32>(px));
          break;
        }
        case REDUCE_PROD: {
          for (; i < n; i++, pa += sa, px += sx) store<f64>(pa, load<f64>(pa) * <f64>load<f32>(px));
          break;
        }
        case REDUCE_MAX: extremeAccRow(true, pa, px, sa, sx, n); break;
        case REDUCE_MIN: extremeAccRow(false, pa, px, sa, sx, n); break;
        default: unreachable();
      }
    }
    nextRow(d, 2);
  }
  if (float) {
    for (let i = 0; i < count; i++) store<f32>(o + (<usize>i << 2), <f32>load<f64>(acc + (<usize>i << 3)));
  } else {
    for (let i = 0; i < count; i++) store<i32>(o + (<usize>i << 2), <i32>load<i64>(acc + (<usize>i << 3)));
  }
}

// A float32 reduction of one contiguous line to one value, in two exports: threads claim
// chunks and store each chunk's result, then the caller folds those in chunk order. The
// chunks depend on n only, so the result does not depend on the thread count.

const LINE_CHUNKS = 64;
const LINE_CHUNK_MIN = 1 << 14;

/** Elements per chunk (a multiple of 16, so chunks start on vector boundaries). */
@inline function lineChunk(n: i32): i32 {
  return max(LINE_CHUNK_MIN, ((n + LINE_CHUNKS - 1) / LINE_CHUNKS + 15) & ~15);
}

/** Chunk results of `op` over n float32 at x into f64 `partials`; `counter` is an i32 the host zeroed. */
export function reduce_line_f32(op: i32, x: usize, n: i32, partials: usize, counter: usize, tid: i32, nt: i32): void {
  const size = lineChunk(n), count = (n + size - 1) / size;
  for (let c = claim(counter); c < count; c = claim(counter)) {
    const lo = c * size;
    store<f64>(partials + (<usize>c << 3), foldRow(op, identity(op), x + (<usize>lo << 2), 4, min(size, n - lo)));
  }
}

/** Fold the chunk results of reduce_line_f32 (same op and n) into the float32 at o. */
export function reduce_line_end(op: i32, n: i32, partials: usize, o: usize): void {
  const size = lineChunk(n), count = (n + size - 1) / size;
  let acc = identity(op);
  for (let c = 0; c < count; c++) acc = combine(op, acc, load<f64>(partials + (<usize>c << 3)));
  store<f32>(o, <f32>acc);
}

/**
 * argmax / argmin along a line of `n` elements `sx` bytes apart, for every position of walk
 * `d` (views x, out), x of dtype `kin`. First extreme wins; a NaN wins at once.
 */
export function arg_reduce(op: i32, kin: i32, d: usize, x: usize, o: usize, n: i32, sx: i32): void {
  const nk = rowLength(d), rows = rowCount(d);
  const sxk = <usize>innerStride(d, 0), sok = <usize>innerStride(d, 1);
  let wantMax = false;
  switch (op) {
    case ARG_REDUCE_ARGMAX: wantMax = true; break;
    case ARG_REDUCE_ARGMIN: wantMax = false; break;
    default: unreachable();
  }
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      let best = 0;
      let bestValue: f64 = n > 0 ? loadAs(kin, px) : 0;
      if (bestValue == bestValue) {
        let j = px + <usize>sx;
        for (let i = 1; i < n; i++, j += <usize>sx) {
          const v = loadAs(kin, j);
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

// ---- contiguous-row softmax: vector max, vector exp (math.ts), sums, scale.

@inline function expf1(x: f32): f32 {
  return f32x4.extract_lane(expShiftedf4(f32x4.splat(x)), 0);
}

/**
 * Largest of `n` contiguous float32 at p, by pmax: a NaN may be dropped here, but it makes
 * the row's sum of exponentials NaN, and with it every output, as a NaN max would.
 */
function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  for (; i + 16 <= n; i += 16, p += 64) {
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4, p += 16) m0 = f32x4.pmax(m0, v128.load(p));
  m0 = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let max = <f64>f32x4.extract_lane(m0, 0);
  max = extreme1(true, max, <f64>f32x4.extract_lane(m0, 1));
  max = extreme1(true, max, <f64>f32x4.extract_lane(m0, 2));
  max = extreme1(true, max, <f64>f32x4.extract_lane(m0, 3));
  for (; i < n; i++, p += 4) max = extreme1(true, max, <f64>load<f32>(p));
  return <f32>max;
}

/** Elements whose exponentials are summed in f32 lanes before the lanes are added into f64. */
const SUM_BLOCK = 512;

function softmaxRow(log: i32, px: usize, po: usize, n: i32): void {
  const max = rowMax(px, n);
  const mv = f32x4.splat(max);
  // exp(x - max), stored for softmax; summed in two f32 vectors per block (short chains),
  // the blocks in f64 so that long rows keep their precision.
  let sum: f64 = 0;
  let i = 0;
  while (i + 8 <= n) {
    const end = min(n, i + SUM_BLOCK);
    let s0 = f32x4.splat(0), s1 = s0;
    for (; i + 8 <= end; i += 8) {
      const p = px + (<usize>i << 2);
      const e0 = expShiftedf4(f32x4.sub(v128.load(p), mv));
      const e1 = expShiftedf4(f32x4.sub(v128.load(p, 16), mv));
      if (!log) {
        v128.store(po + (<usize>i << 2), e0);
        v128.store(po + (<usize>i << 2), e1, 16);
      }
      s0 = f32x4.add(s0, e0);
      s1 = f32x4.add(s1, e1);
    }
    s0 = f32x4.add(s0, s1);
    sum += <f64>f32x4.extract_lane(s0, 0) + <f64>f32x4.extract_lane(s0, 1) + <f64>f32x4.extract_lane(s0, 2) + <f64>f32x4.extract_lane(s0, 3);
  }
  for (; i < n; i++) {
    const e = expf1(load<f32>(px + (<usize>i << 2)) - max);
    if (!log) store<f32>(po + (<usize>i << 2), e);
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
    const inv = <f32>(1 / sum);
    const iv = f32x4.splat(inv);
    i = 0;
    for (; i + 4 <= n; i += 4) v128.store(po + (<usize>i << 2), f32x4.mul(v128.load(po + (<usize>i << 2)), iv));
    for (; i < n; i++) store<f32>(po + (<usize>i << 2), load<f32>(po + (<usize>i << 2)) * inv);
  }
}

/** Elements per block of rows that a thread claims at a time. */
const SOFTMAX_BLOCK = 8192;

/**
 * Softmax / log-softmax of `rows` contiguous rows of `n` (row steps rx, ro bytes). Threads
 * claim blocks of rows from `counter` (an i32 the host zeroed), so a thread the OS delays
 * leaves its share to the others.
 */
export function softmax_rows_f32(log: i32, x: usize, o: usize, rows: i32, n: i32, rx: i32, ro: i32, counter: usize, tid: i32, nt: i32): void {
  const block = max(1, SOFTMAX_BLOCK / n);
  for (let r0 = claim(counter) * block; r0 < rows; r0 = claim(counter) * block) {
    const r1 = min(rows, r0 + block);
    for (let r = r0; r < r1; r++) softmaxRow(log, x + <usize>r * <usize>rx, o + <usize>r * <usize>ro, n);
  }
}

// ---- scan (cumsum, cumprod, cummax, cummin, logcumsumexp) -------------------------------
// Op codes of the optional scan kernel (src/kernels/scan.ts holds the same list).
const SCAN_SUM = 0, SCAN_PROD = 1, SCAN_MAX = 2, SCAN_MIN = 3, SCAN_LOGSUMEXP = 4;

/** PyTorch's log_add_exp: equal infinities give themselves, NaN propagates. */
@inline function logAddExp(a: f64, b: f64): f64 {
  const lo = b != b ? b : Math.min(a, b);
  const hi = b != b ? b : Math.max(a, b);
  if (lo != hi || (lo - lo == 0)) return Math.log1p(Math.exp(lo - hi)) + hi;
  return a;
}

@inline function storeAs(kin: i32, p: usize, v: f64): void {
  if (kin == DTYPE_INT32) store<i32>(p, <i32>v);
  else store<f32>(p, <f32>v);
}

/**
 * Inclusive scan along lines of `n` elements (x step sx, out and indices step so bytes) for
 * every position of walk `d` (views x, out); `ix` is the indices buffer laid out as out
 * (its address minus out's is added to out's pointer). Sums, products and log-sum-exps in
 * f64 (int32 in i32 arithmetic); max/min as PyTorch: a NaN takes over, later values win ties.
 */
export function scan_lines(op: i32, kin: i32, d: usize, x: usize, o: usize, ix: usize, n: i32, sx: i32, so: i32): void {
  const nk = rowLength(d), rows = rowCount(d);
  const sxk = <usize>innerStride(d, 0), sok = <usize>innerStride(d, 1);
  const int = kin == DTYPE_INT32;
  const idxShift = ix - o;
  startWalk(d, x, o, 0, 0);
  for (let r = 0; r < rows; r++) {
    let px = ptrOf(d, 0), po = ptrOf(d, 1);
    for (let k = 0; k < nk; k++, px += sxk, po += sok) {
      let j = px, q = po;
      switch (op) {
        case SCAN_SUM: {
          if (int) {
            let acc: i32 = 0;
            for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) { acc += load<i32>(j); store<i32>(q, acc); }
          } else if (sx == 4 && so == 4) {
            let acc: f64 = 0;
            for (let i = 0; i < n; i++, j += 4, q += 4) { acc += <f64>load<f32>(j); store<f32>(q, <f32>acc); }
          } else {
            let acc: f64 = 0;
            for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) { acc += <f64>load<f32>(j); store<f32>(q, <f32>acc); }
          }
          break;
        }
        case SCAN_PROD: {
          if (int) {
            let acc: i32 = 1;
            for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) { acc *= load<i32>(j); store<i32>(q, acc); }
          } else {
            let acc: f64 = 1;
            for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) { acc *= <f64>load<f32>(j); store<f32>(q, <f32>acc); }
          }
          break;
        }
        case SCAN_LOGSUMEXP: {
          let acc: f64 = -Infinity;
          for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) { acc = logAddExp(<f64>load<f32>(j), acc); store<f32>(q, <f32>acc); }
          break;
        }
        case SCAN_MAX:
        case SCAN_MIN: {
          const wantMax = op == SCAN_MAX;
          let best: f64 = loadAs(kin, j);
          let at = 0;
          for (let i = 0; i < n; i++, j += <usize>sx, q += <usize>so) {
            const v = loadAs(kin, j);
            if (v != v || (best == best && (wantMax ? v >= best : v <= best))) { best = v; at = i; }
            storeAs(kin, q, best);
            store<i32>(q + idxShift, at);
          }
          break;
        }
        default: unreachable();
      }
    }
    nextRow(d, 2);
  }
}

/**
 * The second pass of a threaded float32 cumsum of one contiguous line: reduce_line_f32 (sum)
 * left each chunk's total in `partials`; each chunk now scans from the sum of the chunks
 * before it, in f64 (the chunks are reduce_line_f32's, fixed by n alone).
 */
export function scan_line_f32(x: usize, o: usize, n: i32, partials: usize, counter: usize, tid: i32, nt: i32): void {
  const size = lineChunk(n), count = (n + size - 1) / size;
  for (let c = claim(counter); c < count; c = claim(counter)) {
    let acc: f64 = 0;
    for (let p = 0; p < c; p++) acc += load<f64>(partials + (<usize>p << 3));
    const lo = c * size, hi = min(n, lo + size);
    let j = x + (<usize>lo << 2), q = o + (<usize>lo << 2);
    for (let i = lo; i < hi; i++, j += 4, q += 4) { acc += <f64>load<f32>(j); store<f32>(q, <f32>acc); }
  }
}
