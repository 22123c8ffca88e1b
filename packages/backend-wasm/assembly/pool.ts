// 2-D max/avg pooling and gradients, direct loops over windows (backend-cpu's pool.ts).
// Descriptor `p` (i32): 0 N, 1 C, 2 H, 3 W, 4 oH, 5 oW, 6 kH, 7 kW, 8 strideH, 9 strideW,
// 10 padH, 11 padW, 12 dilH, 13 dilW, 14 countIncludePad, 15 isMax,
// 16..19 x strides (N, C, H, W), 20..23 dy strides (backward), in elements.
// out is contiguous. Planes (n, c) are split across threads.

@inline function pi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Position ih * W + iw of the window's first maximum (NaN wins), or -1 for all padding. */
function windowArgmax(p: usize, x: usize, sH: i32, sW: i32, h0: i32, w0: i32): i32 {
  const H = pi(p, 2), W = pi(p, 3), kH = pi(p, 6), kW = pi(p, 7), dilH = pi(p, 12), dilW = pi(p, 13);
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
  const H = pi(p, 2), W = pi(p, 3), kH = pi(p, 6), kW = pi(p, 7), dilH = pi(p, 12), dilW = pi(p, 13);
  const padH = pi(p, 10), padW = pi(p, 11);
  const inc = pi(p, 14) != 0;
  const lowH = inc ? -padH : 0, highH = inc ? H + padH : H;
  const lowW = inc ? -padW : 0, highW = inc ? W + padW : W;
  let rows = 0, cols = 0;
  for (let i = 0; i < kH; i++) if (h0 + i * dilH >= lowH && h0 + i * dilH < highH) rows++;
  for (let j = 0; j < kW; j++) if (w0 + j * dilW >= lowW && w0 + j * dilW < highW) cols++;
  return <f64>(rows * cols);
}

export function pool2d_f32(p: usize, x: usize, o: usize, tid: i32, nt: i32): void {
  const N = pi(p, 0), C = pi(p, 1), H = pi(p, 2), W = pi(p, 3), oH = pi(p, 4), oW = pi(p, 5);
  const kH = pi(p, 6), kW = pi(p, 7), dilH = pi(p, 12), dilW = pi(p, 13);
  const isMax = pi(p, 15) != 0;
  const sN = pi(p, 16), sC = pi(p, 17), sH = pi(p, 18), sW = pi(p, 19);
  const planes = N * C;
  for (let q = tid; q < planes; q += nt) {
    const n = q / C, c = q % C;
    const base = x + (<usize>(n * sN + c * sC) << 2);
    let out = o + (<usize>q * <usize>(oH * oW) << 2);
    for (let oh = 0; oh < oH; oh++) {
      const h0 = oh * pi(p, 8) - pi(p, 10);
      for (let ow = 0; ow < oW; ow++, out += 4) {
        const w0 = ow * pi(p, 9) - pi(p, 11);
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
  const N = pi(p, 0), C = pi(p, 1), H = pi(p, 2), W = pi(p, 3), oH = pi(p, 4), oW = pi(p, 5);
  const kH = pi(p, 6), kW = pi(p, 7), dilH = pi(p, 12), dilW = pi(p, 13);
  const isMax = pi(p, 15) != 0;
  const sN = pi(p, 16), sC = pi(p, 17), sH = pi(p, 18), sW = pi(p, 19);
  const dN = pi(p, 20), dC = pi(p, 21), dH = pi(p, 22), dW = pi(p, 23);
  const planes = N * C;
  for (let q = tid; q < planes; q += nt) {
    const n = q / C, c = q % C;
    const base = x + (<usize>(n * sN + c * sC) << 2);
    const g = dx + (<usize>q * <usize>(H * W) << 2);
    memory.fill(g, 0, <usize>(H * W) << 2);
    for (let oh = 0; oh < oH; oh++) {
      const h0 = oh * pi(p, 8) - pi(p, 10);
      for (let ow = 0; ow < oW; ow++) {
        const w0 = ow * pi(p, 9) - pi(p, 11);
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
