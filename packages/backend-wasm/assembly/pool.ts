// 2-D max/avg pooling and gradients, direct loops over windows (backend-cpu's pool.ts).
// Geometry arrives as a POOL record `p` (src/layouts.ts: core's pool geometry, max or avg,
// x's strides and, for the backward kernel, dy's, in elements).
// out is contiguous. Planes (n, c) are split across threads.
import {
  POOL_BATCH, POOL_CHANNELS, POOL_COUNT_INCLUDE_PAD, POOL_DIL_H, POOL_DIL_W, POOL_DY_STRIDE_C, POOL_DY_STRIDE_H,
  POOL_DY_STRIDE_N, POOL_DY_STRIDE_W, POOL_IN_H, POOL_IN_W, POOL_IS_MAX, POOL_K_H, POOL_K_W, POOL_OUT_H, POOL_OUT_W,
  POOL_PAD_H, POOL_PAD_W, POOL_STRIDE_H, POOL_STRIDE_W, POOL_X_STRIDE_C, POOL_X_STRIDE_H, POOL_X_STRIDE_N, POOL_X_STRIDE_W,
} from './generated/ops';

@inline function pi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Position ih * W + iw of the window's first maximum (NaN wins), or -1 for all padding. */
function windowArgmax(p: usize, x: usize, sH: i32, sW: i32, h0: i32, w0: i32): i32 {
  const H = pi(p, POOL_IN_H), W = pi(p, POOL_IN_W), kH = pi(p, POOL_K_H), kW = pi(p, POOL_K_W);
  const dilH = pi(p, POOL_DIL_H), dilW = pi(p, POOL_DIL_W);
  let best = -1;
  let bestValue: f32 = -Infinity;
  for (let i = 0; i < kH; i++) {
    const ih = h0 + i * dilH;
    if (ih < 0 || ih >= H) continue;
    for (let j = 0; j < kW; j++) {
      const iw = w0 + j * dilW;
      if (iw < 0 || iw >= W) continue;
      const v = load<f32>(x + (<usize>(ih * sH + iw * sW) << 2));
      if (best < 0 || v > bestValue || v != v) {
        best = ih * W + iw;
        bestValue = v;
      }
    }
  }
  return best;
}

function avgDivisor(p: usize, h0: i32, w0: i32): f64 {
  const H = pi(p, POOL_IN_H), W = pi(p, POOL_IN_W), kH = pi(p, POOL_K_H), kW = pi(p, POOL_K_W);
  const dilH = pi(p, POOL_DIL_H), dilW = pi(p, POOL_DIL_W);
  const padH = pi(p, POOL_PAD_H), padW = pi(p, POOL_PAD_W);
  const inc = pi(p, POOL_COUNT_INCLUDE_PAD) != 0;
  const lowH = inc ? -padH : 0, highH = inc ? H + padH : H;
  const lowW = inc ? -padW : 0, highW = inc ? W + padW : W;
  let rows = 0, cols = 0;
  for (let i = 0; i < kH; i++) if (h0 + i * dilH >= lowH && h0 + i * dilH < highH) rows++;
  for (let j = 0; j < kW; j++) if (w0 + j * dilW >= lowW && w0 + j * dilW < highW) cols++;
  return <f64>(rows * cols);
}

export function pool2d_f32(p: usize, x: usize, o: usize, tid: i32, nt: i32): void {
  const N = pi(p, POOL_BATCH), C = pi(p, POOL_CHANNELS), H = pi(p, POOL_IN_H), W = pi(p, POOL_IN_W);
  const oH = pi(p, POOL_OUT_H), oW = pi(p, POOL_OUT_W);
  const kH = pi(p, POOL_K_H), kW = pi(p, POOL_K_W), dilH = pi(p, POOL_DIL_H), dilW = pi(p, POOL_DIL_W);
  const isMax = pi(p, POOL_IS_MAX) != 0;
  const sN = pi(p, POOL_X_STRIDE_N), sC = pi(p, POOL_X_STRIDE_C), sH = pi(p, POOL_X_STRIDE_H), sW = pi(p, POOL_X_STRIDE_W);
  const planes = N * C;
  for (let q = tid; q < planes; q += nt) {
    const n = q / C, c = q % C;
    const base = x + (<usize>(n * sN + c * sC) << 2);
    let out = o + (<usize>q * <usize>(oH * oW) << 2);
    for (let oh = 0; oh < oH; oh++) {
      const h0 = oh * pi(p, POOL_STRIDE_H) - pi(p, POOL_PAD_H);
      for (let ow = 0; ow < oW; ow++, out += 4) {
        const w0 = ow * pi(p, POOL_STRIDE_W) - pi(p, POOL_PAD_W);
        if (isMax) {
          const at = windowArgmax(p, base, sH, sW, h0, w0);
          store<f32>(out, at < 0 ? -Infinity : load<f32>(base + (<usize>((at / W) * sH + (at % W) * sW) << 2)));
          continue;
        }
        let sum: f64 = 0;
        for (let i = 0; i < kH; i++) {
          const ih = h0 + i * dilH;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kW; j++) {
            const iw = w0 + j * dilW;
            if (iw >= 0 && iw < W) sum += <f64>load<f32>(base + (<usize>(ih * sH + iw * sW) << 2));
          }
        }
        store<f32>(out, <f32>(sum / avgDivisor(p, h0, w0)));
      }
    }
  }
}

/** Gradient wrt x into contiguous `dx` (each thread zeroes and fills its own planes). */
export function pool2d_bwd_f32(p: usize, x: usize, dy: usize, dx: usize, tid: i32, nt: i32): void {
  const N = pi(p, POOL_BATCH), C = pi(p, POOL_CHANNELS), H = pi(p, POOL_IN_H), W = pi(p, POOL_IN_W);
  const oH = pi(p, POOL_OUT_H), oW = pi(p, POOL_OUT_W);
  const kH = pi(p, POOL_K_H), kW = pi(p, POOL_K_W), dilH = pi(p, POOL_DIL_H), dilW = pi(p, POOL_DIL_W);
  const isMax = pi(p, POOL_IS_MAX) != 0;
  const sN = pi(p, POOL_X_STRIDE_N), sC = pi(p, POOL_X_STRIDE_C), sH = pi(p, POOL_X_STRIDE_H), sW = pi(p, POOL_X_STRIDE_W);
  const dN = pi(p, POOL_DY_STRIDE_N), dC = pi(p, POOL_DY_STRIDE_C), dH = pi(p, POOL_DY_STRIDE_H), dW = pi(p, POOL_DY_STRIDE_W);
  const planes = N * C;
  for (let q = tid; q < planes; q += nt) {
    const n = q / C, c = q % C;
    const base = x + (<usize>(n * sN + c * sC) << 2);
    const g = dx + (<usize>q * <usize>(H * W) << 2);
    memory.fill(g, 0, <usize>(H * W) << 2);
    for (let oh = 0; oh < oH; oh++) {
      const h0 = oh * pi(p, POOL_STRIDE_H) - pi(p, POOL_PAD_H);
      for (let ow = 0; ow < oW; ow++) {
        const w0 = ow * pi(p, POOL_STRIDE_W) - pi(p, POOL_PAD_W);
        const grad = load<f32>(dy + (<usize>(n * dN + c * dC + oh * dH + ow * dW) << 2));
        if (isMax) {
          const at = windowArgmax(p, base, sH, sW, h0, w0);
          if (at >= 0) {
            const dst = g + (<usize>at << 2);
            store<f32>(dst, load<f32>(dst) + grad);
          }
          continue;
        }
        const share = <f64>grad / avgDivisor(p, h0, w0);
        for (let i = 0; i < kH; i++) {
          const ih = h0 + i * dilH;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < kW; j++) {
            const iw = w0 + j * dilW;
            if (iw >= 0 && iw < W) {
              const dst = g + (<usize>(ih * W + iw) << 2);
              store<f32>(dst, <f32>(<f64>load<f32>(dst) + share));
            }
          }
        }
      }
    }
  }
}
