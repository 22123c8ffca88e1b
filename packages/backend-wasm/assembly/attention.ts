// Fused attention, flash-attention style: out = softmax(q kᵀ · scale + mask) v for each row,
// without the [L, S] scores. A thread claims one block of query rows of one head at a time
// (it keeps the head's k packed as kᵀ panels for its next block) and walks the keys in tiles
// of KT: for each panel of MR rows it computes the MR x KT scores with a 6 x 8 micro-kernel
// like the GEMM's, folds them into the rows' running max and sum (online softmax: the
// accumulators are rescaled when the max grows) and adds weights · v into the rows'
// accumulators with a second 6 x 8 micro-kernel. Pointers are byte addresses.
import { madd, micro } from './matmul';
import { expShiftedf4 } from './math';
import { claim } from './threads';

/** Keys per tile: a panel's scores (MR x KT floats) stay in L1, and each row's fold covers many keys (64 measured 2% slower). */
const KT: i32 = 128;
/** Rows of a panel (the splatted operand of both micro-kernels). */
const MR: i32 = 6;
/** Keys, or value columns, of a micro-tile: two v128. */
const NR: i32 = 8;
const SCORE_ROW: usize = <usize>KT << 2;

@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** A panel's 6 x 8 scores for 8 keys over depth e (the GEMM's micro-kernel, writing a full tile of rows SCORE_ROW apart). */
@inline function score(e: i32, pq: usize, pk: usize, dst: usize): void {
  micro(e, pq, pk, dst, KT, MR, NR, true, 0);
}

/**
 * Bytes of one thread's scratch for blocks of up to `rb` rows and `s` keys: packed q, the
 * head's packed k, a panel's scores, the rows' accumulators, maxima (f32) and sums (f64).
 */
export function attention_scratch_bytes(rb: i32, s: i32, e: i32, ev: i32): i32 {
  const rows = roundUp(rb, MR);
  return ((roundUp(rows * e, 4) + roundUp(s, NR) * e + MR * KT + roundUp(rows * ev, 4) + roundUp(rows, 4)) << 2) + (rows << 3);
}

/** dst[(panel * e + c) * MR + r] = q[panel * MR + r, c] · scale, zero past `rows`: each panel's rows side by side for every c. */
function packQ(q: usize, rows: i32, e: i32, scale: f32, dst: usize): void {
  const row = <usize>e << 2;
  for (let p0 = 0; p0 < rows; p0 += MR) {
    const n = min(MR, rows - p0);
    const src = q + <usize>p0 * row;
    for (let r = 0; r < MR; r++) {
      let s = src + <usize>r * row, d = dst + (<usize>r << 2);
      if (r < n) {
        for (let c = 0; c < e; c++, s += 4, d += MR * 4) store<f32>(d, load<f32>(s) * scale);
      } else {
        for (let c = 0; c < e; c++, d += MR * 4) store<f32>(d, 0);
      }
    }
    dst += <usize>(MR * e) << 2;
  }
}

/** dst[(panel * e + c) * NR + j] = k[panel * NR + j, c], zero past `keys`: the GEMM's packed-B layout of kᵀ. */
function packK(k: usize, keys: i32, e: i32, dst: usize): void {
  const row = <usize>e << 2;
  for (let j0 = 0; j0 < keys; j0 += NR) {
    const n = min(NR, keys - j0);
    const src = k + <usize>j0 * row;
    let c = 0;
    if (n == NR) {
      // 4 x 4 blocks transposed with shuffles, as packB.
      for (; c + 4 <= e; c += 4) {
        const o = dst + (<usize>(c * NR) << 2);
        for (let h = 0; h < NR; h += 4) {
          const at = src + <usize>h * row + (<usize>c << 2);
          const r0 = v128.load(at), r1 = v128.load(at + row), r2 = v128.load(at + 2 * row), r3 = v128.load(at + 3 * row);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const d = o + (<usize>h << 2);
          v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
          v128.store(d, i64x2.shuffle(t0, t1, 1, 3), NR * 4);
          v128.store(d, i64x2.shuffle(t2, t3, 0, 2), NR * 8);
          v128.store(d, i64x2.shuffle(t2, t3, 1, 3), NR * 12);
        }
      }
    }
    for (; c < e; c++) {
      const d = dst + (<usize>(c * NR) << 2);
      let j = 0;
      for (; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(src + <usize>j * row + (<usize>c << 2)));
      for (; j < NR; j++) store<f32>(d + (<usize>j << 2), 0);
    }
    dst += <usize>(NR * e) << 2;
  }
}

/** acc[r, 0..8) += Σ_j w[r, j] v[j, 0..8) for a panel's MR rows over `keys` keys (v row step rv, acc row step ra bytes). */
function valueMicro8(keys: i32, w: usize, v: usize, rv: usize, acc: usize, ra: usize): void {
  const a0 = acc, a1 = a0 + ra, a2 = a1 + ra, a3 = a2 + ra, a4 = a3 + ra, a5 = a4 + ra;
  let c00 = v128.load(a0), c01 = v128.load(a0, 16), c10 = v128.load(a1), c11 = v128.load(a1, 16);
  let c20 = v128.load(a2), c21 = v128.load(a2, 16), c30 = v128.load(a3), c31 = v128.load(a3, 16);
  let c40 = v128.load(a4), c41 = v128.load(a4, 16), c50 = v128.load(a5), c51 = v128.load(a5, 16);
  for (let j = 0; j < keys; j++) {
    const b0 = v128.load(v), b1 = v128.load(v, 16);
    let a = v128.load_splat<f32>(w);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load_splat<f32>(w, SCORE_ROW);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load_splat<f32>(w, 2 * SCORE_ROW);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load_splat<f32>(w, 3 * SCORE_ROW);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load_splat<f32>(w, 4 * SCORE_ROW);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    a = v128.load_splat<f32>(w, 5 * SCORE_ROW);
    c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    w += 4;
    v += rv;
  }
  v128.store(a0, c00); v128.store(a0, c01, 16); v128.store(a1, c10); v128.store(a1, c11, 16);
  v128.store(a2, c20); v128.store(a2, c21, 16); v128.store(a3, c30); v128.store(a3, c31, 16);
  v128.store(a4, c40); v128.store(a4, c41, 16); v128.store(a5, c50); v128.store(a5, c51, 16);
}

/** valueMicro8 for 4 value columns (the tail of Ev past its multiples of 8). */
function valueMicro4(keys: i32, w: usize, v: usize, rv: usize, acc: usize, ra: usize): void {
  const a0 = acc, a1 = a0 + ra, a2 = a1 + ra, a3 = a2 + ra, a4 = a3 + ra, a5 = a4 + ra;
  let c0 = v128.load(a0), c1 = v128.load(a1), c2 = v128.load(a2), c3 = v128.load(a3), c4 = v128.load(a4), c5 = v128.load(a5);
  for (let j = 0; j < keys; j++) {
    const b = v128.load(v);
    c0 = madd(v128.load_splat<f32>(w), b, c0);
    c1 = madd(v128.load_splat<f32>(w, SCORE_ROW), b, c1);
    c2 = madd(v128.load_splat<f32>(w, 2 * SCORE_ROW), b, c2);
    c3 = madd(v128.load_splat<f32>(w, 3 * SCORE_ROW), b, c3);
    c4 = madd(v128.load_splat<f32>(w, 4 * SCORE_ROW), b, c4);
    c5 = madd(v128.load_splat<f32>(w, 5 * SCORE_ROW), b, c5);
    w += 4;
    v += rv;
  }
  v128.store(a0, c0); v128.store(a1, c1); v128.store(a2, c2); v128.store(a3, c3); v128.store(a4, c4); v128.store(a5, c5);
}

/** One value column (the last 1-3 of Ev) for a panel's MR rows. */
function valueColumn(keys: i32, w: usize, v: usize, rv: usize, acc: usize, ra: usize): void {
  for (let r = 0; r < MR; r++) {
    const at = acc + <usize>r * ra;
    let s = load<f32>(at), p = w + <usize>r * SCORE_ROW, q = v;
    for (let j = 0; j < keys; j++, p += 4, q += rv) s += load<f32>(p) * load<f32>(q);
    store<f32>(at, s);
  }
}

/** The largest lane, by shuffles and pmax (scalar f32.max compiles to NaN-checking branches). */
@inline function hmax(x: v128): f32 {
  x = f32x4.pmax(x, i32x4.shuffle(x, x, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(x, i32x4.shuffle(x, x, 1, 0, 3, 2)), 0);
}

/**
 * Fold one row's scores for the tile (n entries at s, n a multiple of 4, the first `valid`
 * live) into its running max `*m` (f32) and sum `*l` (f64), leaving the weights
 * exp(score - max) in place (0 past `valid`) and rescaling the row's `ev` accumulators when
 * the max grows. `mask`, when not 0, points at the row's first mask value for the tile, `ms`
 * bytes apart.
 */
function foldRow(s: usize, n: i32, valid: i32, mask: usize, ms: usize, m: usize, l: usize, acc: usize, ev: i32): void {
  let j = 0;
  if (mask) {
    if (ms == 4) {
      for (; j + 4 <= valid; j += 4) {
        const at = s + (<usize>j << 2);
        v128.store(at, f32x4.add(v128.load(at), v128.load(mask + (<usize>j << 2))));
      }
    }
    for (; j < valid; j++) {
      const at = s + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + load<f32>(mask + <usize>j * ms));
    }
  }
  for (j = valid; j < n; j++) store<f32>(s + (<usize>j << 2), -Infinity);
  // The tile's max by pmax (a NaN score is skipped here; its exp below makes the sum NaN).
  let mv = f32x4.splat(-Infinity), mw = mv;
  for (j = 0; j + 8 <= n; j += 8) {
    mv = f32x4.pmax(mv, v128.load(s + (<usize>j << 2)));
    mw = f32x4.pmax(mw, v128.load(s + (<usize>j << 2), 16));
  }
  if (j < n) mv = f32x4.pmax(mv, v128.load(s + (<usize>j << 2)));
  mv = f32x4.pmax(mv, mw);
  const old = load<f32>(m);
  const tile = hmax(mv);
  const top = tile > old ? tile : old;
  if (top == -Infinity) {
    // Nothing live yet: weights 0, the row stays empty.
    memory.fill(s, 0, <usize>n << 2);
    return;
  }
  let sum = load<f64>(l);
  if (top > old) {
    // exp(-inf) = 0 for the row's first live tile, whose accumulators are 0 anyway.
    const alpha = f32x4.extract_lane(expShiftedf4(f32x4.splat(old - top)), 0);
    sum *= <f64>alpha;
    const av = f32x4.splat(alpha);
    let c = 0;
    for (; c + 4 <= ev; c += 4) {
      const at = acc + (<usize>c << 2);
      v128.store(at, f32x4.mul(v128.load(at), av));
    }
    for (; c < ev; c++) {
      const at = acc + (<usize>c << 2);
      store<f32>(at, load<f32>(at) * alpha);
    }
    store<f32>(m, top);
  }
  const tv = f32x4.splat(top);
  // One sum vector (a second one spills: the exp's constants fill the registers).
  let s0 = f32x4.splat(0);
  for (j = 0; j + 8 <= n; j += 8) {
    const at = s + (<usize>j << 2);
    const e0 = expShiftedf4(f32x4.sub(v128.load(at), tv)), e1 = expShiftedf4(f32x4.sub(v128.load(at, 16), tv));
    v128.store(at, e0);
    v128.store(at, e1, 16);
    s0 = f32x4.add(s0, f32x4.add(e0, e1));
  }
  if (j < n) {
    const at = s + (<usize>j << 2);
    const e = expShiftedf4(f32x4.sub(v128.load(at), tv));
    v128.store(at, e);
    s0 = f32x4.add(s0, e);
  }
  sum += <f64>((f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1)) + (f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3)));
  store<f64>(l, sum);
}

/**
 * Attention of `heads` heads: q [heads, L, E], k [heads, S, E], v [heads, S, Ev], out
 * [heads, L, Ev] and lse [heads, L] contiguous float32; `mask` 0 or a float32 [heads, L, S]
 * view with element strides msb, msl, mss; `causal` drops keys j > i. Threads claim blocks
 * of `rb` rows from `counter` (an i32 the host zeroed), head by head and within a head the
 * heaviest first when causal; each works in its own attention_scratch_bytes(rb, S, E, Ev)
 * of `scratch`.
 */
export function attention_f32(
  q: usize, k: usize, v: usize, mask: usize, out: usize, lse: usize,
  heads: i32, L: i32, S: i32, E: i32, Ev: i32, scale: f32, causal: i32, msb: i32, msl: i32, mss: i32,
  rb: i32, scratch: usize, counter: usize, tid: i32, nt: i32,
): void {
  const mine = scratch + <usize>tid * <usize>attention_scratch_bytes(rb, S, E, Ev);
  const rows6 = roundUp(rb, MR);
  const pq = mine;
  const pk = pq + (<usize>roundUp(rows6 * E, 4) << 2);
  const sc = pk + (<usize>(roundUp(S, NR) * E) << 2);
  const acc = sc + (<usize>(MR * KT) << 2);
  const mx = acc + (<usize>roundUp(rows6 * Ev, 4) << 2);
  const sm = mx + (<usize>roundUp(rows6, 4) << 2);
  const blocks = (L + rb - 1) / rb;
  const items = heads * blocks;
  const rowE = <usize>E << 2, rowEv = <usize>Ev << 2;
  const ms = <usize>(mss << 2);
  // The head whose k is packed at pk, and how many of its keys are.
  let packedHead = -1, packed = 0;
  for (let t = claim(counter); t < items; t = claim(counter)) {
    // Head by head, so a thread's next block mostly reuses its packed k.
    const b = t / blocks;
    const blk = causal ? blocks - 1 - t % blocks : t % blocks;
    const r0 = blk * rb, rows = min(rb, L - r0);
    const panels = roundUp(rows, MR);
    packQ(q + (<usize>(b * L + r0)) * rowE, rows, E, scale, pq);
    for (let i = 0; i < panels; i++) {
      store<f32>(mx + (<usize>i << 2), -Infinity);
      store<f64>(sm + (<usize>i << 3), 0);
    }
    memory.fill(acc, 0, <usize>(panels * Ev) << 2);
    const kb = k + <usize>(b * S) * rowE, vb = v + <usize>(b * S) * rowEv;
    // Keys past the block's last row are all dropped when causal.
    const end = causal ? min(S, r0 + rows) : S;
    if (packedHead != b) {
      packedHead = b;
      packed = 0;
    }
    if (packed < end) {
      // From the start of the last panel packed (zero-padded if it was short).
      const from = packed & ~(NR - 1);
      packK(kb + <usize>from * rowE, end - from, E, pk + (<usize>(from * E) << 2));
      packed = end;
    }
    for (let j0 = 0; j0 < end; j0 += KT) {
      const kt = min(KT, end - j0);
      const pkt = pk + (<usize>(j0 * E) << 2);
      for (let p = 0; p < panels; p += MR) {
        // Keys this panel sees: up to its last live row when causal.
        const keys = causal ? min(kt, r0 + min(p + MR, rows) - j0) : kt;
        if (keys <= 0) continue;
        const pqp = pq + (<usize>(p * E) << 2);
        // Two calls a step here and below: Binaryen inlines a function with one call site, and
        // V8 allocates the registers of the larger function worse (1.7x slower, measured).
        let j = 0;
        for (; j + 2 * NR <= keys; j += 2 * NR) {
          score(E, pqp, pkt + (<usize>(j * E) << 2), sc + (<usize>j << 2));
          score(E, pqp, pkt + (<usize>((j + NR) * E) << 2), sc + (<usize>(j + NR) << 2));
        }
        for (; j < keys; j += NR) score(E, pqp, pkt + (<usize>(j * E) << 2), sc + (<usize>j << 2));
        const n = roundUp(keys, 4);
        for (let r = 0; r < MR; r++) {
          const ri = p + r, i = r0 + ri;
          // Padding rows past the block take no keys.
          const valid = ri >= rows ? 0 : causal ? min(keys, i - j0 + 1) : keys;
          const mrow = mask ? mask + (<usize>(b * msb + i * msl + j0 * mss) << 2) : 0;
          foldRow(sc + <usize>r * SCORE_ROW, n, max(valid, 0), mrow, ms, mx + (<usize>ri << 2), sm + (<usize>ri << 3), acc + <usize>ri * rowEv, Ev);
        }
        const ap = acc + <usize>p * rowEv, vt = vb + <usize>j0 * rowEv;
        let c = 0;
        for (; c + 2 * NR <= Ev; c += 2 * NR) {
          valueMicro8(keys, sc, vt + (<usize>c << 2), rowEv, ap + (<usize>c << 2), rowEv);
          valueMicro8(keys, sc, vt + (<usize>(c + NR) << 2), rowEv, ap + (<usize>(c + NR) << 2), rowEv);
        }
        if (c + NR <= Ev) { valueMicro8(keys, sc, vt + (<usize>c << 2), rowEv, ap + (<usize>c << 2), rowEv); c += NR; }
        if (c + 4 <= Ev) {
          valueMicro4(keys, sc, vt + (<usize>c << 2), rowEv, ap + (<usize>c << 2), rowEv);
          c += 4;
        }
        for (; c < Ev; c++) valueColumn(keys, sc, vt + (<usize>c << 2), rowEv, ap + (<usize>c << 2), rowEv);
      }
    }
    // out = acc / sum; lse = max + log(sum) (-inf and NaN for a row with no live key).
    for (let ri = 0; ri < rows; ri++) {
      const i = b * L + r0 + ri;
      const l = load<f64>(sm + (<usize>ri << 3));
      const inv = <f32>(1 / l);
      const iv = f32x4.splat(inv);
      const src = acc + <usize>ri * rowEv, dst = out + <usize>i * rowEv;
      let c = 0;
      for (; c + 4 <= Ev; c += 4) v128.store(dst + (<usize>c << 2), f32x4.mul(v128.load(src + (<usize>c << 2)), iv));
      for (; c < Ev; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)) * inv);
      store<f32>(lse + (<usize>i << 2), <f32>(<f64>load<f32>(mx + (<usize>ri << 2)) + Math.log(l)));
    }
  }
}
