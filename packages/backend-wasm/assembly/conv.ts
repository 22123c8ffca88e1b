// conv2d and its two gradients as im2col + GEMM (see backend-cpu's conv.ts for the maths).
// Geometry arrives as a CONV record `g` (src/layouts.ts: core's conv geometry, then x's
// strides in elements, used by the forward and weight-gradient kernels).
// Weight and dy are contiguous (the host packs them when they are not); out is contiguous.
// Threads split images when there are at least as many images as threads, else split
// each GEMM's output tiles (each thread then builds its own copy of the column matrix).
import {
  CONV_BATCH, CONV_DIL_H, CONV_DIL_W, CONV_GROUPS, CONV_IN_C, CONV_IN_C_PER_GROUP, CONV_IN_H, CONV_IN_W, CONV_K_H, CONV_K_W,
  CONV_OUT_C, CONV_OUT_C_PER_GROUP, CONV_OUT_H, CONV_OUT_W, CONV_PAD_H, CONV_PAD_W, CONV_STRIDE_H, CONV_STRIDE_W,
  CONV_X_STRIDE_C, CONV_X_STRIDE_H, CONV_X_STRIDE_N, CONV_X_STRIDE_W,
} from './generated/ops';
import { gemmBlock, gemmPart, GEMM_SCRATCH } from './matmul';

@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

function im2col(g: usize, x: usize, sC: i32, sH: i32, sW: i32, col: usize): void {
  const Cg = gi(g, CONV_IN_C_PER_GROUP), kH = gi(g, CONV_K_H), kW = gi(g, CONV_K_W), oH = gi(g, CONV_OUT_H), oW = gi(g, CONV_OUT_W);
  const H = gi(g, CONV_IN_H), W = gi(g, CONV_IN_W);
  const strH = gi(g, CONV_STRIDE_H), strW = gi(g, CONV_STRIDE_W), padH = gi(g, CONV_PAD_H), padW = gi(g, CONV_PAD_W);
  const dilH = gi(g, CONV_DIL_H), dilW = gi(g, CONV_DIL_W);
  let dst = col;
  for (let c = 0; c < Cg; c++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const shift = kw * dilW - padW;
        // ow range whose iw = ow*strW + shift lies in [0, W)
        let lo = 0, hi = oW;
        if (strW == 1) {
          lo = max(0, -shift);
          hi = min(oW, W - shift);
          if (hi < lo) hi = lo;
        }
        for (let oh = 0; oh < oH; oh++) {
          const ih = oh * strH - padH + kh * dilH;
          if (ih < 0 || ih >= H) {
            memory.fill(dst, 0, <usize>oW << 2);
            dst += <usize>oW << 2;
            continue;
          }
          const row = x + ((<usize>(c * sC) + <usize>(ih * sH)) << 2);
          if (strW == 1) {
            if (lo > 0) memory.fill(dst, 0, <usize>lo << 2);
            if (sW == 1) {
              memory.copy(dst + (<usize>lo << 2), row + (<usize>(lo + shift) << 2), <usize>(hi - lo) << 2);
            } else {
              for (let ow = lo; ow < hi; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(row + (<usize>((ow + shift) * sW) << 2)));
            }
            if (hi < oW) memory.fill(dst + (<usize>hi << 2), 0, <usize>(oW - hi) << 2);
            dst += <usize>oW << 2;
          } else {
            for (let ow = 0; ow < oW; ow++, dst += 4) {
              const iw = ow * strW + shift;
              store<f32>(dst, iw >= 0 && iw < W ? load<f32>(row + (<usize>(iw * sW) << 2)) : 0);
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col for a contiguous [Cg, H, W] block of dx: add columns back. */
function col2im(g: usize, col: usize, dx: usize): void {
  const Cg = gi(g, CONV_IN_C_PER_GROUP), kH = gi(g, CONV_K_H), kW = gi(g, CONV_K_W), oH = gi(g, CONV_OUT_H), oW = gi(g, CONV_OUT_W);
  const H = gi(g, CONV_IN_H), W = gi(g, CONV_IN_W);
  const strH = gi(g, CONV_STRIDE_H), strW = gi(g, CONV_STRIDE_W), padH = gi(g, CONV_PAD_H), padW = gi(g, CONV_PAD_W);
  const dilH = gi(g, CONV_DIL_H), dilW = gi(g, CONV_DIL_W);
  let src = col;
  for (let c = 0; c < Cg; c++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const shift = kw * dilW - padW;
        for (let oh = 0; oh < oH; oh++) {
          const ih = oh * strH - padH + kh * dilH;
          if (ih < 0 || ih >= H) {
            src += <usize>oW << 2;
            continue;
          }
          const row = dx + (<usize>(c * H + ih) * <usize>W << 2);
          for (let ow = 0; ow < oW; ow++, src += 4) {
            const iw = ow * strW + shift;
            if (iw >= 0 && iw < W) {
              const at = row + (<usize>iw << 2);
              store<f32>(at, load<f32>(at) + load<f32>(src));
            }
          }
        }
      }
    }
  }
}

/** Whether the input already is the column matrix (1x1, stride 1, no padding, H and W merge). */
function pointwise(g: usize): bool {
  return gi(g, CONV_K_H) == 1 && gi(g, CONV_K_W) == 1 && gi(g, CONV_STRIDE_H) == 1 && gi(g, CONV_STRIDE_W) == 1 &&
    gi(g, CONV_PAD_H) == 0 && gi(g, CONV_PAD_W) == 0 &&
    (gi(g, CONV_IN_H) == 1 || gi(g, CONV_IN_W) == 1 || gi(g, CONV_X_STRIDE_H) == gi(g, CONV_IN_W) * gi(g, CONV_X_STRIDE_W));
}

// The column matrix inputMatrix chose: address and strides (globals are per instance, so per thread).
let matrix: usize = 0;
let matrixRows: i32 = 0;
let matrixCols: i32 = 0;

/** Column matrix of image n, group grp, into (matrix, matrixRows, matrixCols): x itself when pointwise, else im2col into `col`. */
function inputMatrix(g: usize, x: usize, n: i32, grp: i32, col: usize): void {
  const sN = gi(g, CONV_X_STRIDE_N), sC = gi(g, CONV_X_STRIDE_C), sH = gi(g, CONV_X_STRIDE_H), sW = gi(g, CONV_X_STRIDE_W);
  const base = x + ((<usize>(n * sN) + <usize>(grp * gi(g, CONV_IN_C_PER_GROUP) * sC)) << 2);
  if (pointwise(g)) {
    matrix = base;
    matrixRows = sC;
    matrixCols = gi(g, CONV_IN_W) == 1 ? sH : sW;
    return;
  }
  im2col(g, base, sC, sH, sW, col);
  matrix = col;
  matrixRows = gi(g, CONV_OUT_H) * gi(g, CONV_OUT_W);
  matrixCols = 1;
}

/**
 * Forward. `col` holds nt column buffers of `colBytes` each; `scratch` holds nt GEMM
 * scratch areas.
 */
export function conv2d_fwd(g: usize, x: usize, w: usize, o: usize, col: usize, colBytes: i32, scratch: usize, tid: i32, nt: i32): void {
  const N = gi(g, CONV_BATCH), O = gi(g, CONV_OUT_C), Og = gi(g, CONV_OUT_C_PER_GROUP), groups = gi(g, CONV_GROUPS);
  const rows = gi(g, CONV_IN_C_PER_GROUP) * gi(g, CONV_K_H) * gi(g, CONV_K_W), cols = gi(g, CONV_OUT_H) * gi(g, CONV_OUT_W);
  const myCol = col + <usize>tid * <usize>colBytes;
  const myScratch = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const byImage = N >= nt;
  for (let n = byImage ? tid : 0; n < N; n += byImage ? nt : 1) {
    for (let grp = 0; grp < groups; grp++) {
      inputMatrix(g, x, n, grp, myCol);
      const b = matrix, rsB = matrixRows, csB = matrixCols;
      const a = w + (<usize>(grp * Og) * <usize>rows << 2);
      const c = o + ((<usize>(n * O + grp * Og) * <usize>cols) << 2);
      if (byImage) gemmBlock(Og, cols, rows, a, rows, 1, b, rsB, csB, c, cols, false, myScratch);
      else gemmPart(Og, cols, rows, a, rows, 1, b, rsB, csB, c, cols, false, myScratch, tid, nt);
    }
  }
}

/** Gradient wrt input; out (dx) is contiguous [N, C, H, W]. Images split across threads. */
export function conv2d_bwd_input(g: usize, dy: usize, w: usize, dx: usize, col: usize, colBytes: i32, scratch: usize, tid: i32, nt: i32): void {
  const N = gi(g, CONV_BATCH), C = gi(g, CONV_IN_C), H = gi(g, CONV_IN_H), W = gi(g, CONV_IN_W), O = gi(g, CONV_OUT_C);
  const Cg = gi(g, CONV_IN_C_PER_GROUP), Og = gi(g, CONV_OUT_C_PER_GROUP), groups = gi(g, CONV_GROUPS);
  const rows = Cg * gi(g, CONV_K_H) * gi(g, CONV_K_W), cols = gi(g, CONV_OUT_H) * gi(g, CONV_OUT_W);
  const myCol = col + <usize>tid * <usize>colBytes;
  const myScratch = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const plane = <usize>(H * W);
  for (let n = tid; n < N; n += nt) {
    const image = dx + ((<usize>n * <usize>C * plane) << 2);
    memory.fill(image, 0, (<usize>C * plane) << 2);
    for (let grp = 0; grp < groups; grp++) {
      const a = w + (<usize>(grp * Og) * <usize>rows << 2); // W_g^T: rowStride 1, colStride rows
      const b = dy + ((<usize>(n * O + grp * Og) * <usize>cols) << 2);
      gemmBlock(rows, cols, Og, a, 1, rows, b, cols, 1, myCol, cols, false, myScratch);
      col2im(g, myCol, image + ((<usize>(grp * Cg) * plane) << 2));
    }
  }
}

/**
 * Gradient wrt weight, accumulated into `dw` (zeroed by the host). With images split over
 * threads, thread t > 0 accumulates into partial[t - 1] (zeroed here), summed by the host.
 */
export function conv2d_bwd_weight(g: usize, x: usize, dy: usize, dw: usize, partial: usize, col: usize, colBytes: i32, scratch: usize, tid: i32, nt: i32): void {
  const N = gi(g, CONV_BATCH), O = gi(g, CONV_OUT_C), Og = gi(g, CONV_OUT_C_PER_GROUP), groups = gi(g, CONV_GROUPS);
  const rows = gi(g, CONV_IN_C_PER_GROUP) * gi(g, CONV_K_H) * gi(g, CONV_K_W), cols = gi(g, CONV_OUT_H) * gi(g, CONV_OUT_W);
  const myCol = col + <usize>tid * <usize>colBytes;
  const myScratch = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const byImage = N >= nt;
  const wBytes = <usize>O * <usize>rows << 2;
  let target = dw;
  if (byImage && tid > 0) {
    target = partial + <usize>(tid - 1) * wBytes;
    memory.fill(target, 0, wBytes);
  }
  for (let n = byImage ? tid : 0; n < N; n += byImage ? nt : 1) {
    for (let grp = 0; grp < groups; grp++) {
      inputMatrix(g, x, n, grp, myCol);
      const b = matrix, rsB = matrixRows, csB = matrixCols;
      const a = dy + ((<usize>(n * O + grp * Og) * <usize>cols) << 2);
      const c = target + (<usize>(grp * Og) * <usize>rows << 2);
      // dW_g += dy_g · col^T (swap the column matrix's strides).
      if (byImage) gemmBlock(Og, rows, cols, a, cols, 1, b, csB, rsB, c, rows, true, myScratch);
      else gemmPart(Og, rows, cols, a, cols, 1, b, csB, rsB, c, rows, true, myScratch, tid, nt);
    }
  }
}

/** out[i] += parts[p][i] for p < count: the host's final step of the weight gradient. */
export function add_parts(out: usize, parts: usize, count: i32, size: i32): void {
  for (let p = 0; p < count; p++) {
    const src = parts + <usize>p * (<usize>size << 2);
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      const at = out + (<usize>i << 2);
      v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>i << 2))));
    }
    for (; i < size; i++) {
      const at = out + (<usize>i << 2);
      store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>i << 2)));
    }
  }
}
