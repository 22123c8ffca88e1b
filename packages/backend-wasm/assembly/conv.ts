// conv2d and its two gradients as im2col + GEMM (see backend-cpu's conv.ts for the maths).
// Geometry arrives as an i32 descriptor `g`:
//   0 N, 1 C, 2 H, 3 W, 4 O, 5 Cg, 6 Og, 7 kH, 8 kW, 9 oH, 10 oW,
//   11 strideH, 12 strideW, 13 padH, 14 padW, 15 dilH, 16 dilW, 17 groups,
//   18..21 x strides (N, C, H, W) in elements (forward and weight gradient).
// Weight and dy are contiguous (the host packs them when they are not); out is contiguous.
// Threads split images when there are at least as many images as threads, else split
// each GEMM's output tiles (each thread then builds its own copy of the column matrix).
import { gemmBlock, gemmPart, GEMM_SCRATCH } from './matmul';

@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2));
}

function im2col(g: usize, x: usize, sC: i32, sH: i32, sW: i32, col: usize): void {
  const Cg = gi(g, 5), kH = gi(g, 7), kW = gi(g, 8), oH = gi(g, 9), oW = gi(g, 10);
  const H = gi(g, 2), W = gi(g, 3);
  const strH = gi(g, 11), strW = gi(g, 12), padH = gi(g, 13), padW = gi(g, 14), dilH = gi(g, 15), dilW = gi(g, 16);
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
  const Cg = gi(g, 5), kH = gi(g, 7), kW = gi(g, 8), oH = gi(g, 9), oW = gi(g, 10);
  const H = gi(g, 2), W = gi(g, 3);
  const strH = gi(g, 11), strW = gi(g, 12), padH = gi(g, 13), padW = gi(g, 14), dilH = gi(g, 15), dilW = gi(g, 16);
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
  return gi(g, 7) == 1 && gi(g, 8) == 1 && gi(g, 11) == 1 && gi(g, 12) == 1 && gi(g, 13) == 0 && gi(g, 14) == 0 &&
    (gi(g, 2) == 1 || gi(g, 3) == 1 || gi(g, 20) == gi(g, 3) * gi(g, 21));
}

/** Column matrix of image n, group grp: returns its (ptr, rowStride, colStride) via out params at `res`. */
function inputMatrix(g: usize, x: usize, n: i32, grp: i32, col: usize, res: usize): void {
  const sN = gi(g, 18), sC = gi(g, 19), sH = gi(g, 20), sW = gi(g, 21);
  const base = x + ((<usize>(n * sN) + <usize>(grp * gi(g, 5) * sC)) << 2);
  if (pointwise(g)) {
    store<usize>(res, base);
    store<i32>(res, sC, 4);
    store<i32>(res, gi(g, 3) == 1 ? sH : sW, 8);
    return;
  }
  im2col(g, base, sC, sH, sW, col);
  store<usize>(res, col);
  store<i32>(res, gi(g, 9) * gi(g, 10), 4);
  store<i32>(res, 1, 8);
}

/**
 * Forward. `col` holds nt column buffers of `colBytes` each; `scratch` holds nt GEMM
 * scratch areas; `res` is 16 bytes per thread of scratch for small results.
 */
export function conv2d_fwd(g: usize, x: usize, w: usize, o: usize, col: usize, colBytes: i32, scratch: usize, res: usize, tid: i32, nt: i32): void {
  const N = gi(g, 0), O = gi(g, 4), Og = gi(g, 6), groups = gi(g, 17);
  const rows = gi(g, 5) * gi(g, 7) * gi(g, 8), cols = gi(g, 9) * gi(g, 10);
  const myCol = col + <usize>tid * <usize>colBytes;
  const myScratch = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const myRes = res + (<usize>tid << 4);
  const byImage = N >= nt;
  for (let n = byImage ? tid : 0; n < N; n += byImage ? nt : 1) {
    for (let grp = 0; grp < groups; grp++) {
      inputMatrix(g, x, n, grp, myCol, myRes);
      const b = load<usize>(myRes), rsB = load<i32>(myRes, 4), csB = load<i32>(myRes, 8);
      const a = w + (<usize>(grp * Og) * <usize>rows << 2);
      const c = o + ((<usize>(n * O + grp * Og) * <usize>cols) << 2);
      if (byImage) gemmBlock(Og, cols, rows, a, rows, 1, b, rsB, csB, c, cols, false, myScratch);
      else gemmPart(Og, cols, rows, a, rows, 1, b, rsB, csB, c, cols, false, myScratch, tid, nt);
    }
  }
}

/** Gradient wrt input; out (dx) is contiguous [N, C, H, W]. Images split across threads. */
export function conv2d_bwd_input(g: usize, dy: usize, w: usize, dx: usize, col: usize, colBytes: i32, scratch: usize, tid: i32, nt: i32): void {
  const N = gi(g, 0), C = gi(g, 1), H = gi(g, 2), W = gi(g, 3), O = gi(g, 4), Cg = gi(g, 5), Og = gi(g, 6), groups = gi(g, 17);
  const rows = Cg * gi(g, 7) * gi(g, 8), cols = gi(g, 9) * gi(g, 10);
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
export function conv2d_bwd_weight(g: usize, x: usize, dy: usize, dw: usize, partial: usize, col: usize, colBytes: i32, scratch: usize, res: usize, tid: i32, nt: i32): void {
  const N = gi(g, 0), O = gi(g, 4), Og = gi(g, 6), groups = gi(g, 17);
  const rows = gi(g, 5) * gi(g, 7) * gi(g, 8), cols = gi(g, 9) * gi(g, 10);
  const myCol = col + <usize>tid * <usize>colBytes;
  const myScratch = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const myRes = res + (<usize>tid << 4);
  const byImage = N >= nt;
  const wBytes = <usize>O * <usize>rows << 2;
  let target = dw;
  if (byImage && tid > 0) {
    target = partial + <usize>(tid - 1) * wBytes;
    memory.fill(target, 0, wBytes);
  }
  for (let n = byImage ? tid : 0; n < N; n += byImage ? nt : 1) {
    for (let grp = 0; grp < groups; grp++) {
      inputMatrix(g, x, n, grp, myCol, myRes);
      const b = load<usize>(myRes), rsB = load<i32>(myRes, 4), csB = load<i32>(myRes, 8);
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
