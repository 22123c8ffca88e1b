// Matmul: a single-precision GEMM of packed panels and a 6 x 8 register-blocked SIMD
// micro-kernel (GotoBLAS / BLIS structure), which conv.ts builds on too, and the batched
// matmul over it (core's matmul takes floating operands only). All pointers are byte
// addresses in the shared linear memory; strides count elements. Each thread passes its
// own scratch area for packing.
import { PRODUCT_A, PRODUCT_B, PRODUCT_C, PRODUCT_WORDS } from './generated/ops';
import { claim } from './threads';

export const MR: i32 = 6;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 120;
export const NC: i32 = 512;
/** Bytes of packing scratch one thread needs: A block, B block, a spill tile. */
export const GEMM_SCRATCH: i32 = (MC * KC + KC * NC + MR * NR) * 4;

/** a * b + c: fused where relaxed SIMD is on (the rounding may differ by engine). */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** packedB[(panel * kc + p) * NR + j] = B[p, panel * NR + j], zero past the edge. */
function packB(b: usize, rsB: i32, csB: i32, kc: i32, nc: i32, dst: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    let src = b + (<usize>j0 * <usize>csB << 2);
    if (cols == NR && rsB == 1) {
      // Transposed B (columns contiguous): transpose 4 x 4 blocks with shuffles.
      const cs = <usize>csB << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const at = src + (<usize>p << 2);
        for (let q = 0; q < NR; q += 4) {
          const c0 = at + <usize>q * cs;
          const r0 = v128.load(c0), r1 = v128.load(c0 + cs), r2 = v128.load(c0 + 2 * cs), r3 = v128.load(c0 + 3 * cs);
          const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const o = dst + (<usize>(p * NR + q) << 2);
          v128.store(o, i64x2.shuffle(t0, t1, 0, 2));
          v128.store(o + NR * 4, i64x2.shuffle(t0, t1, 1, 3));
          v128.store(o + NR * 8, i64x2.shuffle(t2, t3, 0, 2));
          v128.store(o + NR * 12, i64x2.shuffle(t2, t3, 1, 3));
        }
      }
      for (; p < kc; p++) {
        const at = src + (<usize>p << 2);
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>(p * NR + j) << 2), load<f32>(at + <usize>j * cs));
      }
      dst += <usize>(kc * NR) << 2;
    } else if (cols == NR && csB == 1) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += NR * 4;
        src += <usize>rsB << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        let j = 0;
        let s = src;
        for (; j < cols; j++) {
          store<f32>(dst, load<f32>(s));
          dst += 4;
          s += <usize>csB << 2;
        }
        for (; j < NR; j++) {
          store<f32>(dst, 0);
          dst += 4;
        }
        src += <usize>rsB << 2;
      }
    }
  }
}

/** packedA[(panel * kc + p) * MR + i] = A[panel * MR + i, p], zero past the edge. */
function packA(a: usize, rsA: i32, csA: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    const src = a + (<usize>i0 * <usize>rsA << 2);
    if (rows == MR && rsA == 1) {
      // Transposed A: the panel's 6 rows are contiguous for each p.
      let s = src;
      const step = <usize>csA << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(s));
        store<u64>(dst, load<u64>(s, 16), 16);
        dst += MR * 4;
        s += step;
      }
    } else if (rows == MR) {
      const r1 = <usize>rsA << 2;
      let s = src;
      for (let p = 0; p < kc; p++) {
        store<f32>(dst, load<f32>(s));
        store<f32>(dst, load<f32>(s + r1), 4);
        store<f32>(dst, load<f32>(s + 2 * r1), 8);
        store<f32>(dst, load<f32>(s + 3 * r1), 12);
        store<f32>(dst, load<f32>(s + 4 * r1), 16);
        store<f32>(dst, load<f32>(s + 5 * r1), 20);
        dst += MR * 4;
        s += <usize>csA << 2;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        let i = 0;
        for (; i < rows; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + ((<usize>i * <usize>rsA + <usize>p * <usize>csA) << 2)));
        for (; i < MR; i++) store<f32>(dst + (<usize>i << 2), 0);
        dst += MR * 4;
      }
    }
  }
}

/** One 6 x 8 tile of C (row stride rsC elements) from packed panels over depth kc. */
export function micro(kc: i32, pa: usize, pb: usize, c: usize, rsC: i32, rows: i32, cols: i32, overwrite: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load_splat<f32>(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load_splat<f32>(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load_splat<f32>(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load_splat<f32>(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load_splat<f32>(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    a = v128.load_splat<f32>(pa, 20);
    c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    pa += MR * 4;
    pb += NR * 4;
  }
  const full = rows == MR && cols == NR;
  const step: usize = full ? <usize>rsC << 2 : NR * 4;
  if (full && !overwrite) {
    let r = c;
    v128.store(r, f32x4.add(v128.load(r), c00)); v128.store(r, f32x4.add(v128.load(r, 16), c01), 16);
    r += step;
    v128.store(r, f32x4.add(v128.load(r), c10)); v128.store(r, f32x4.add(v128.load(r, 16), c11), 16);
    r += step;
    v128.store(r, f32x4.add(v128.load(r), c20)); v128.store(r, f32x4.add(v128.load(r, 16), c21), 16);
    r += step;
    v128.store(r, f32x4.add(v128.load(r), c30)); v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
    r += step;
    v128.store(r, f32x4.add(v128.load(r), c40)); v128.store(r, f32x4.add(v128.load(r, 16), c41), 16);
    r += step;
    v128.store(r, f32x4.add(v128.load(r), c50)); v128.store(r, f32x4.add(v128.load(r, 16), c51), 16);
    return;
  }
  let r = full ? c : tile;
  v128.store(r, c00); v128.store(r, c01, 16);
  r += step;
  v128.store(r, c10); v128.store(r, c11, 16);
  r += step;
  v128.store(r, c20); v128.store(r, c21, 16);
  r += step;
  v128.store(r, c30); v128.store(r, c31, 16);
  r += step;
  v128.store(r, c40); v128.store(r, c41, 16);
  r += step;
  v128.store(r, c50); v128.store(r, c51, 16);
  if (full) return;
  for (let i = 0; i < rows; i++) {
    const crow = c + (<usize>i * <usize>rsC << 2);
    const trow = tile + <usize>(i * NR * 4);
    if (overwrite) {
      for (let j = 0; j < cols; j++) store<f32>(crow + (<usize>j << 2), load<f32>(trow + (<usize>j << 2)));
    } else {
      for (let j = 0; j < cols; j++) {
        const at = crow + (<usize>j << 2);
        store<f32>(at, load<f32>(at) + load<f32>(trow + (<usize>j << 2)));
      }
    }
  }
}

/**
 * C[m, n] (=|+=) A[m, k] · B[k, n]; C has unit column stride. Runs on one thread with
 * the given scratch (GEMM_SCRATCH bytes).
 */
export function gemmBlock(
  m: i32, n: i32, k: i32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, rsC: i32, accumulate: bool, scratch: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++) memory.fill(c + (<usize>i * <usize>rsC << 2), 0, <usize>n << 2);
    }
    return;
  }
  const pA = scratch;
  const pB = scratch + (<usize>(MC * KC) << 2);
  const tile = pB + (<usize>(KC * NC) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b + ((<usize>pc * <usize>rsB + <usize>jc * <usize>csB) << 2), rsB, csB, kc, nc, pB);
      const overwrite = pc == 0 && !accumulate;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a + ((<usize>ic * <usize>rsA + <usize>pc * <usize>csA) << 2), rsA, csA, mc, kc, pA);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const pbPanel = pB + (<usize>jr * <usize>kc << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            micro(
              kc, pA + (<usize>ir * <usize>kc << 2), pbPanel,
              c + ((<usize>(ic + ir) * <usize>rsC + <usize>(jc + jr)) << 2), rsC,
              min(MR, mc - ir), cols, overwrite, tile,
            );
          }
        }
      }
    }
  }
}

/**
 * Thread `tid` of `nt` computes its share of C: rows split in MR multiples when C is
 * taller than wide, columns in NR multiples otherwise.
 */
export function gemmPart(
  m: i32, n: i32, k: i32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, rsC: i32, accumulate: bool, scratch: usize, tid: i32, nt: i32,
): void {
  if (nt <= 1) {
    gemmBlock(m, n, k, a, rsA, csA, b, rsB, csB, c, rsC, accumulate, scratch);
    return;
  }
  if (m >= n) {
    const panels = (m + MR - 1) / MR;
    const per = (panels + nt - 1) / nt;
    const r0 = tid * per * MR;
    const r1 = min(m, r0 + per * MR);
    if (r0 >= r1) return;
    gemmBlock(r1 - r0, n, k, a + (<usize>r0 * <usize>rsA << 2), rsA, csA, b, rsB, csB,
      c + (<usize>r0 * <usize>rsC << 2), rsC, accumulate, scratch);
  } else {
    const panels = (n + NR - 1) / NR;
    const per = (panels + nt - 1) / nt;
    const c0 = tid * per * NR;
    const c1 = min(n, c0 + per * NR);
    if (c0 >= c1) return;
    gemmBlock(m, c1 - c0, k, a, rsA, csA, b + (<usize>c0 * <usize>csB << 2), rsB, csB,
      c + (<usize>c0 << 2), rsC, accumulate, scratch);
  }
}

/**
 * C (=|+=) A·B shared by every thread that calls it with the same `counter` (an i32 the
 * host zeroed): threads claim row blocks (or column blocks when C is wider than tall) one
 * at a time, so a thread that the OS delays leaves its share to the others instead of
 * holding up the call.
 */
export function gemmShared(
  m: i32, n: i32, k: i32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, rsC: i32, accumulate: bool, scratch: usize, counter: usize,
): void {
  const byRows = m >= n;
  const size = byRows ? MC : 4 * NR;
  const total = byRows ? m : n;
  const chunks = (total + size - 1) / size;
  for (;;) {
    const q = claim(counter);
    if (q >= chunks) return;
    const lo = q * size, count = min(size, total - lo);
    if (byRows) {
      gemmBlock(count, n, k, a + (<usize>lo * <usize>rsA << 2), rsA, csA, b, rsB, csB,
        c + (<usize>lo * <usize>rsC << 2), rsC, accumulate, scratch);
    } else {
      gemmBlock(m, count, k, a, rsA, csA, b + (<usize>lo * <usize>csB << 2), rsB, csB,
        c + (<usize>lo << 2), rsC, accumulate, scratch);
    }
  }
}

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH;
}

/** Byte address of operand `field` (PRODUCT_A, _B or _C) of product i of a batch list. */
@inline function operand(list: usize, i: i32, field: i32): usize {
  return <usize>load<u32>(list + (<usize>(i * PRODUCT_WORDS + field) << 2));
}

/**
 * Batched C = A·B. `list` holds `count` PRODUCT records (byte addresses of a, b, c). With
 * at least as many products as threads each thread claims whole products; otherwise every
 * product is shared out in blocks (gemmShared). `counter` is an i32 the host zeroed.
 */
export function matmul_f32(
  list: usize, count: i32, m: i32, n: i32, k: i32,
  rsA: i32, csA: i32, rsB: i32, csB: i32, rsC: i32, scratch: usize, counter: usize, tid: i32, nt: i32,
): void {
  const mine = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  if (nt <= 1 || count >= nt) {
    for (let i = 0; i < count; i++) {
      if (nt > 1) {
        i = claim(counter);
        if (i >= count) return;
      }
      const a = operand(list, i, PRODUCT_A), b = operand(list, i, PRODUCT_B), c = operand(list, i, PRODUCT_C);
      gemmBlock(m, n, k, a, rsA, csA, b, rsB, csB, c, rsC, false, mine);
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const a = operand(list, i, PRODUCT_A), b = operand(list, i, PRODUCT_B), c = operand(list, i, PRODUCT_C);
    // One counter per product: the host zeroed `count` of them.
    gemmShared(m, n, k, a, rsA, csA, b, rsB, csB, c, rsC, false, mine, counter + 4 + (<usize>i << 2));
  }
}

// ---- small M (a few rows: one token of a decoder) ------------------------------------------
//
// With M <= SMALL_M the product is bound by reading B, which the GEMM above packs (copies)
// on every call and then multiplies 6 rows at a time, most of them padding. These kernels
// read B once, in place, with v128 loads, for the two layouts weights come in: B with
// contiguous rows ([K, N], `y[i, :] += A[i, k] * B[k, :]`, the axpy form) and B a transposed
// view of a contiguous [N, K] (`y[i, n] = dot(A[i, :], W[n, :])`). Rows are taken in pairs
// (2 + 2 for M = 4, 2 + 1 for M = 3) over a piece of B small enough to stay in cache, so B
// comes from memory once whatever M is. Threads claim column ranges of B.

/** Largest M that takes the small-M kernels (the host checks it too). */
export const SMALL_M: i32 = 8;
/** Columns of one axpy tile: the tile's output rows (4 KiB each) stay in L1 while B streams. */
const AXPY_TILE: i32 = 1024;

/**
 * Output rows c0 (and c1 when R == 2) over columns [0, w), += A rows a0/a1 times B rows
 * [0, k) (B row p at b + p * rsB bytes; A element p at a + p * csA bytes), the rows of B
 * four at a time. R is a constant at every call, so the second row's code folds away.
 */
@inline function axpyRows(R: i32, k: i32, w: i32, a0: usize, a1: usize, csA: usize, b: usize, rsB: usize, c0: usize, c1: usize): void {
  const wv = w & ~3;
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const pa = <usize>p * csA;
    const x00 = v128.load_splat<f32>(a0 + pa), x01 = v128.load_splat<f32>(a0 + pa + csA);
    const x02 = v128.load_splat<f32>(a0 + pa + 2 * csA), x03 = v128.load_splat<f32>(a0 + pa + 3 * csA);
    let x10 = x00, x11 = x00, x12 = x00, x13 = x00;
    if (R > 1) {
      x10 = v128.load_splat<f32>(a1 + pa); x11 = v128.load_splat<f32>(a1 + pa + csA);
      x12 = v128.load_splat<f32>(a1 + pa + 2 * csA); x13 = v128.load_splat<f32>(a1 + pa + 3 * csA);
    }
    const b0 = b + <usize>p * rsB, b1 = b0 + rsB, b2 = b1 + rsB, b3 = b2 + rsB;
    let j = 0;
    for (; j < wv; j += 4) {
      const o = <usize>j << 2;
      const v0 = v128.load(b0 + o), v1 = v128.load(b1 + o), v2 = v128.load(b2 + o), v3 = v128.load(b3 + o);
      v128.store(c0 + o, madd(x03, v3, madd(x02, v2, madd(x01, v1, madd(x00, v0, v128.load(c0 + o))))));
      if (R > 1) v128.store(c1 + o, madd(x13, v3, madd(x12, v2, madd(x11, v1, madd(x10, v0, v128.load(c1 + o))))));
    }
    for (; j < w; j++) {
      const o = <usize>j << 2;
      const v0 = load<f32>(b0 + o), v1 = load<f32>(b1 + o), v2 = load<f32>(b2 + o), v3 = load<f32>(b3 + o);
      store<f32>(c0 + o, load<f32>(c0 + o) + f32x4.extract_lane(x00, 0) * v0 + f32x4.extract_lane(x01, 0) * v1
        + f32x4.extract_lane(x02, 0) * v2 + f32x4.extract_lane(x03, 0) * v3);
      if (R > 1) {
        store<f32>(c1 + o, load<f32>(c1 + o) + f32x4.extract_lane(x10, 0) * v0 + f32x4.extract_lane(x11, 0) * v1
          + f32x4.extract_lane(x12, 0) * v2 + f32x4.extract_lane(x13, 0) * v3);
      }
    }
  }
  for (; p < k; p++) {
    const pa = <usize>p * csA;
    const s0 = load<f32>(a0 + pa);
    const x0 = f32x4.splat(s0);
    let s1: f32 = 0;
    if (R > 1) s1 = load<f32>(a1 + pa);
    const x1 = f32x4.splat(s1);
    const bp = b + <usize>p * rsB;
    let j = 0;
    for (; j < wv; j += 4) {
      const o = <usize>j << 2;
      const v = v128.load(bp + o);
      v128.store(c0 + o, madd(x0, v, v128.load(c0 + o)));
      if (R > 1) v128.store(c1 + o, madd(x1, v, v128.load(c1 + o)));
    }
    for (; j < w; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(bp + o);
      store<f32>(c0 + o, load<f32>(c0 + o) + s0 * v);
      if (R > 1) store<f32>(c1 + o, load<f32>(c1 + o) + s1 * v);
    }
  }
}

/** C[0..m, j0..j1) = A · B[:, j0..j1) for B with unit column stride (byte strides except the counts). */
function axpyPart(m: i32, k: i32, j0: i32, j1: i32, a: usize, rsA: usize, csA: usize, b: usize, rsB: usize, c: usize, rsC: usize): void {
  for (let t = j0; t < j1; t += AXPY_TILE) {
    const w = min(AXPY_TILE, j1 - t);
    const bt = b + (<usize>t << 2), ct = c + (<usize>t << 2);
    for (let i = 0; i < m; i++) memory.fill(ct + <usize>i * rsC, 0, <usize>w << 2);
    // Four rows of B at a time for every row pair, so the pairs after the first find that
    // piece of B (4 x w floats) in L1.
    for (let p = 0; p < k; p += 4) {
      const kb = min(4, k - p);
      const ap = a + <usize>p * csA, bp = bt + <usize>p * rsB;
      let i = 0;
      for (; i + 2 <= m; i += 2) {
        const ci = ct + <usize>i * rsC;
        axpyRows(2, kb, w, ap + <usize>i * rsA, ap + <usize>(i + 1) * rsA, csA, bp, rsB, ci, ci + rsC);
      }
      if (i < m) axpyRows(1, kb, w, ap + <usize>i * rsA, 0, csA, bp, rsB, ct + <usize>i * rsC, 0);
    }
  }
}

/** [sum(v0), sum(v1), sum(v2), sum(v3)]. */
@inline function hsum4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const s01 = f32x4.add(i32x4.shuffle(v0, v1, 0, 4, 1, 5), i32x4.shuffle(v0, v1, 2, 6, 3, 7));
  const s23 = f32x4.add(i32x4.shuffle(v2, v3, 0, 4, 1, 5), i32x4.shuffle(v2, v3, 2, 6, 3, 7));
  return f32x4.add(i64x2.shuffle(s01, s23, 0, 2), i64x2.shuffle(s01, s23, 1, 3));
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Four outputs of row x0 (and x1 when R == 2): dot products of the contiguous A rows with
 * W rows w, w + csW, w + 2 csW, w + 3 csW (each contiguous, k long), stored at c0 / c1.
 */
@inline function dotRows4(R: i32, k: i32, x0: usize, x1: usize, w: usize, csW: usize, c0: usize, c1: usize): void {
  const w1 = w + csW, w2 = w1 + csW, w3 = w2 + csW;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  const kv = k & ~3;
  for (let p = 0; p < kv; p += 4) {
    const o = <usize>p << 2;
    const u = v128.load(x0 + o);
    let v = u;
    if (R > 1) v = v128.load(x1 + o);
    let q = v128.load(w + o);
    a0 = madd(u, q, a0);
    if (R > 1) b0 = madd(v, q, b0);
    q = v128.load(w1 + o);
    a1 = madd(u, q, a1);
    if (R > 1) b1 = madd(v, q, b1);
    q = v128.load(w2 + o);
    a2 = madd(u, q, a2);
    if (R > 1) b2 = madd(v, q, b2);
    q = v128.load(w3 + o);
    a3 = madd(u, q, a3);
    if (R > 1) b3 = madd(v, q, b3);
  }
  let r0 = hsum4(a0, a1, a2, a3);
  let r1 = r0;
  if (R > 1) r1 = hsum4(b0, b1, b2, b3);
  for (let p = kv; p < k; p++) {
    const o = <usize>p << 2;
    const q = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(w + o)), 1, load<f32>(w1 + o)), 2, load<f32>(w2 + o)), 3, load<f32>(w3 + o));
    r0 = f32x4.add(r0, f32x4.mul(v128.load_splat<f32>(x0 + o), q));
    if (R > 1) r1 = f32x4.add(r1, f32x4.mul(v128.load_splat<f32>(x1 + o), q));
  }
  v128.store(c0, r0);
  if (R > 1) v128.store(c1, r1);
}

/** One output of row x0 (and x1 when R == 2): the dot product with the W row at w. */
@inline function dotRows1(R: i32, k: i32, x0: usize, x1: usize, w: usize, c0: usize, c1: usize): void {
  let a0 = f32x4.splat(0);
  let b0 = a0;
  const kv = k & ~3;
  for (let p = 0; p < kv; p += 4) {
    const o = <usize>p << 2;
    const q = v128.load(w + o);
    a0 = madd(v128.load(x0 + o), q, a0);
    if (R > 1) b0 = madd(v128.load(x1 + o), q, b0);
  }
  let s0 = hsum(a0), s1 = hsum(b0);
  for (let p = kv; p < k; p++) {
    const o = <usize>p << 2;
    const q = load<f32>(w + o);
    s0 += load<f32>(x0 + o) * q;
    if (R > 1) s1 += load<f32>(x1 + o) * q;
  }
  store<f32>(c0, s0);
  if (R > 1) store<f32>(c1, s1);
}

/**
 * C[0..m, n0..n1) = A · Wᵀ for B = Wᵀ (unit row stride: W row n at b + n * csW bytes, k
 * contiguous floats) and A with contiguous rows.
 */
function dotPart(m: i32, k: i32, n0: i32, n1: i32, a: usize, rsA: usize, b: usize, csW: usize, c: usize, rsC: usize): void {
  let n = n0;
  // Four rows of W at a time for every row pair: the pairs after the first read them from cache.
  for (; n + 4 <= n1; n += 4) {
    const w = b + <usize>n * csW, cn = c + (<usize>n << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const ci = cn + <usize>i * rsC;
      dotRows4(2, k, a + <usize>i * rsA, a + <usize>(i + 1) * rsA, w, csW, ci, ci + rsC);
    }
    if (i < m) dotRows4(1, k, a + <usize>i * rsA, 0, w, csW, cn + <usize>i * rsC, 0);
  }
  for (; n < n1; n++) {
    const w = b + <usize>n * csW, cn = c + (<usize>n << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const ci = cn + <usize>i * rsC;
      dotRows1(2, k, a + <usize>i * rsA, a + <usize>(i + 1) * rsA, w, ci, ci + rsC);
    }
    if (i < m) dotRows1(1, k, a + <usize>i * rsA, 0, w, cn + <usize>i * rsC, 0);
  }
}

/**
 * Batched C = A·B for m <= SMALL_M, B read in place: `dot` (B = Wᵀ, rsB == 1, csA == 1) or
 * the axpy form (csB == 1). Threads claim tickets from `counter` (zeroed by the host): ticket
 * q is columns [chunk * (q % parts), ...) of product q / parts, so the work splits by bytes
 * of B read.
 */
export function matmul_small_f32(
  list: usize, count: i32, m: i32, n: i32, k: i32,
  rsA: i32, csA: i32, rsB: i32, csB: i32, rsC: i32, dot: i32, chunk: i32, counter: usize, tid: i32, nt: i32,
): void {
  const parts = (n + chunk - 1) / chunk;
  const tickets = count * parts;
  const bA = <usize>rsA << 2, bC = <usize>rsC << 2;
  for (;;) {
    const q = claim(counter);
    if (q >= tickets) return;
    const i = q / parts, j0 = (q % parts) * chunk, j1 = min(n, j0 + chunk);
    const a = operand(list, i, PRODUCT_A), b = operand(list, i, PRODUCT_B), c = operand(list, i, PRODUCT_C);
    if (dot) {
      dotPart(m, k, j0, j1, a, bA, b, <usize>csB << 2, c, bC);
    } else {
      axpyPart(m, k, j0, j1, a, bA, <usize>csA << 2, b, <usize>rsB << 2, c, bC);
    }
  }
}
