/**
 * Matrix multiplication: a cache-blocked, register-tiled GEMM in the style of GotoBLAS /
 * BLIS, written in plain TypeScript.
 *
 * C (m x n) = A (m x k) · B (k x n) is cut into blocks so that the working set stays in cache:
 * - a KC x NC block of B is packed into panels NR columns wide (contiguous, zero-padded),
 * - an MC x KC block of A is packed into panels MR rows tall,
 * - a micro-kernel multiplies one A panel by one B panel, holding the MR x NR tile of C in
 *   local variables (registers) with the loop over k innermost.
 * Packing also absorbs arbitrary strides (transposed or broadcast operands), so the
 * micro-kernel only ever sees unit-stride data.
 */
import type { TensorView } from '@tensile/core';
import { dataOf } from '../buffer.js';
import { RowIterator } from '../strided.js';

/** A strided matrix inside a flat array. */
export interface Matrix<T extends Float32Array | Int32Array | Uint8Array = Float32Array> {
  readonly data: T;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

// 3 x 4 measured fastest in V8 on x86-64 (7.3-7.7 GFLOP/s against 6.2-6.5 for 4 x 8): its 12
// accumulators and 7 operands nearly fit the 16 vector registers, so little spills.
const MR = 3; // rows of the register tile
const NR = 4; // columns of the register tile
const KC = 256; // depth of a packed block: an A and a B panel fit in L1
const MC = 72; // rows of A packed at once (MC x KC floats stay in L2); a multiple of MR
const NC = 2048; // columns of B packed at once
/** Below this many multiply-adds, packing costs more than it saves. */
const SMALL_GEMM = 32 * 32 * 32;

// Scratch reused across calls (JavaScript is single-threaded here), grown on demand.
let packedA = new Float32Array(MC * KC);
let packedB = new Float32Array(0);
const tile = new Float64Array(MR * NR);

/**
 * `C = A·B`, or `C += A·B` when `accumulate`. C's columns must be unit-stride (`out` of
 * every kernel is contiguous); A and B may have any strides.
 */
export function gemm(m: number, n: number, k: number, a: Matrix, b: Matrix, c: Matrix, accumulate: boolean): void {
  if (m === 0 || n === 0) return;
  if (k === 0 || m * n * k <= SMALL_GEMM) {
    smallGemm(m, n, k, a, b, c, accumulate);
    return;
  }
  const packedBSize = KC * Math.min(NC, roundUp(n, NR));
  if (packedB.length < packedBSize) packedB = new Float32Array(packedBSize);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelsOfB(b, pc, jc, kc, nc);
      // The first depth block overwrites C unless the caller asked to accumulate.
      const overwrite = pc === 0 && !accumulate;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelsOfA(a, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, (ir / MR) * kc * MR, (jr / NR) * kc * NR);
            storeTile(c, ic + ir, jc + jr, Math.min(MR, mc - ir), Math.min(NR, nc - jr), overwrite);
          }
        }
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** packedB[(panel * kc + p) * NR + j] = B[pc + p, jc + panel * NR + j], zero past the edge. */
function packPanelsOfB(b: Matrix, pc: number, jc: number, kc: number, nc: number): void {
  const { data, rowStride, colStride } = b;
  let dst = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = Math.min(NR, nc - j0);
    let src = b.offset + pc * rowStride + (jc + j0) * colStride;
    for (let p = 0; p < kc; p++, src += rowStride) {
      let j = 0;
      for (let s = src; j < cols; j++, s += colStride) packedB[dst++] = data[s];
      for (; j < NR; j++) packedB[dst++] = 0;
    }
  }
}

/** packedA[(panel * kc + p) * MR + i] = A[ic + panel * MR + i, pc + p], zero past the edge. */
function packPanelsOfA(a: Matrix, ic: number, pc: number, mc: number, kc: number): void {
  const { data, rowStride, colStride } = a;
  let dst = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = Math.min(MR, mc - i0);
    let src = a.offset + (ic + i0) * rowStride + pc * colStride;
    for (let p = 0; p < kc; p++, src += colStride) {
      let i = 0;
      for (let s = src; i < rows; i++, s += rowStride) packedA[dst++] = data[s];
      for (; i < MR; i++) packedA[dst++] = 0;
    }
  }
}

/**
 * The 3 x 4 register tile: 12 accumulators in locals, 7 loads per 12 multiply-adds.
 * Written out by hand because JavaScript has no way to ask for unrolling.
 */
function microKernel(kc: number, aStart: number, bStart: number): void {
  const A = packedA;
  const B = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  for (let p = 0, ai = aStart, bi = bStart; p < kc; p++, ai += MR, bi += NR) {
    const a0 = A[ai], a1 = A[ai + 1], a2 = A[ai + 2];
    const b0 = B[bi], b1 = B[bi + 1], b2 = B[bi + 2], b3 = B[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
}

/** Write the valid `rows x cols` corner of the tile into C at (row, col). */
function storeTile(c: Matrix, row: number, col: number, rows: number, cols: number, overwrite: boolean): void {
  const data = c.data;
  for (let i = 0; i < rows; i++) {
    let dst = c.offset + (row + i) * c.rowStride + col * c.colStride;
    const src = i * NR;
    if (overwrite) for (let j = 0; j < cols; j++, dst += c.colStride) data[dst] = tile[src + j];
    else for (let j = 0; j < cols; j++, dst += c.colStride) data[dst] += tile[src + j];
  }
}

/** Direct triple loop for small or int32 products (Math.imul keeps int32 wrap-around exact). */
function smallGemm<T extends Float32Array | Int32Array | Uint8Array>(
  m: number, n: number, k: number, a: Matrix<T>, b: Matrix<T>, c: Matrix<T>, accumulate: boolean,
): void {
  const A = a.data, B = b.data, C = c.data;
  const integer = !(C instanceof Float32Array);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let ai = a.offset + i * a.rowStride;
      let bi = b.offset + j * b.colStride;
      if (integer) for (let p = 0; p < k; p++, ai += a.colStride, bi += b.rowStride) sum = (sum + Math.imul(A[ai], B[bi])) | 0;
      else for (let p = 0; p < k; p++, ai += a.colStride, bi += b.rowStride) sum += A[ai] * B[bi];
      const ci = c.offset + i * c.rowStride + j * c.colStride;
      C[ci] = accumulate ? C[ci] + sum : sum;
    }
  }
}

/** Batched matmul over views: `[...batch, M, K] · [...batch, K, N] -> [...batch, M, N]`. */
export function matmul(a: TensorView, b: TensorView, out: TensorView): void {
  const rank = out.shape.length;
  const m = out.shape[rank - 2], n = out.shape[rank - 1], k = a.shape[rank - 1];
  const ad = dataOf(a), bd = dataOf(b), od = dataOf(out);
  const batch = new RowIterator(
    out.shape.slice(0, -2),
    [a.strides.slice(0, -2), b.strides.slice(0, -2), out.strides.slice(0, -2)],
    [a.offset, b.offset, out.offset],
  );
  const [sa, sb, so] = batch.innerStrides;
  for (let r = 0; r < batch.rows; r++, batch.next()) {
    for (let q = 0; q < batch.rowLength; q++) {
      const A = { data: ad, offset: batch.offsets[0] + q * sa, rowStride: a.strides[rank - 2], colStride: a.strides[rank - 1] };
      const B = { data: bd, offset: batch.offsets[1] + q * sb, rowStride: b.strides[rank - 2], colStride: b.strides[rank - 1] };
      const C = { data: od, offset: batch.offsets[2] + q * so, rowStride: out.strides[rank - 2], colStride: out.strides[rank - 1] };
      if (od instanceof Float32Array) gemm(m, n, k, A as Matrix, B as Matrix, C as Matrix, false);
      else smallGemm(m, n, k, A, B, C, false);
    }
  }
}
