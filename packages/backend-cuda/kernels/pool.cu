// 2-D max and average pooling and their gradients, one thread per output (or per dy)
// element. Semantics follow the cpu reference exactly: the first maximum wins ties, a NaN
// takes over, padding is -inf for max; avg divides by the window cells inside the input
// (plus the padding band with countIncludePad). The gradients scatter with atomicAdd into
// a buffer the caller zeroed.
#include "common.cuh"

struct Window {
  i64 n, c, oh, ow, h0, w0;
};

__device__ __forceinline__ Window window_of(const PoolParams& p, i64 i) {
  Window w;
  w.ow = i % p.outW;
  i /= p.outW;
  w.oh = i % p.outH;
  i /= p.outH;
  w.c = i % p.channels;
  w.n = i / p.channels;
  w.h0 = w.oh * p.strideH - p.padH;
  w.w0 = w.ow * p.strideW - p.padW;
  return w;
}

// Position (ih, iw) of the window's maximum, or ih = -1 for an all-padding window.
__device__ __forceinline__ void window_argmax(const PoolParams& p, const float* x, i64 base, const Window& w, i64& bh, i64& bw) {
  bh = -1;
  bw = -1;
  float best = -INFINITY;
  for (i64 i = 0; i < p.kH; ++i) {
    const i64 ih = w.h0 + i * p.dilH;
    if (ih < 0 || ih >= p.inH) continue;
    for (i64 j = 0; j < p.kW; ++j) {
      const i64 iw = w.w0 + j * p.dilW;
      if (iw < 0 || iw >= p.inW) continue;
      const float v = x[base + ih * p.xStrides[2] + iw * p.xStrides[3]];
      if (bh < 0 || v > best || v != v) {
        bh = ih;
        bw = iw;
        best = v;
      }
    }
  }
}

__device__ __forceinline__ double avg_divisor(const PoolParams& p, const Window& w) {
  const i64 lowH = p.countIncludePad ? -p.padH : 0, highH = p.countIncludePad ? p.inH + p.padH : p.inH;
  const i64 lowW = p.countIncludePad ? -p.padW : 0, highW = p.countIncludePad ? p.inW + p.padW : p.inW;
  i64 rows = 0, cols = 0;
  for (i64 i = 0; i < p.kH; ++i) rows += (w.h0 + i * p.dilH >= lowH && w.h0 + i * p.dilH < highH);
  for (i64 j = 0; j < p.kW; ++j) cols += (w.w0 + j * p.dilW >= lowW && w.w0 + j * p.dilW < highW);
  return (double)(rows * cols);
}

template <bool Max>
__device__ void pool_body(const PoolParams& p) {
  const float* x = dev<const float>(p.x);
  float* y = dev<float>(p.y);
  const i64 total = p.batch * p.channels * p.outH * p.outW;
  TL_FOR(i, total) {
    const Window w = window_of(p, i);
    const i64 base = p.xOffset + w.n * p.xStrides[0] + w.c * p.xStrides[1];
    const i64 at = p.yOffset + w.n * p.yStrides[0] + w.c * p.yStrides[1] + w.oh * p.yStrides[2] + w.ow * p.yStrides[3];
    if (Max) {
      i64 bh, bw;
      window_argmax(p, x, base, w, bh, bw);
      y[at] = bh < 0 ? -INFINITY : x[base + bh * p.xStrides[2] + bw * p.xStrides[3]];
    } else {
      double sum = 0.0;
      for (i64 a = 0; a < p.kH; ++a) {
        const i64 ih = w.h0 + a * p.dilH;
        if (ih < 0 || ih >= p.inH) continue;
        for (i64 b = 0; b < p.kW; ++b) {
          const i64 iw = w.w0 + b * p.dilW;
          if (iw >= 0 && iw < p.inW) sum += (double)x[base + ih * p.xStrides[2] + iw * p.xStrides[3]];
        }
      }
      y[at] = (float)(sum / avg_divisor(p, w));
    }
  }
}

template <bool Max>
__device__ void pool_backward_body(const PoolParams& p) {
  const float* x = dev<const float>(p.x);
  const float* dy = dev<const float>(p.y);
  float* g = dev<float>(p.g);
  const i64 total = p.batch * p.channels * p.outH * p.outW;
  TL_FOR(i, total) {
    const Window w = window_of(p, i);
    const float grad = dy[p.yOffset + w.n * p.yStrides[0] + w.c * p.yStrides[1] + w.oh * p.yStrides[2] + w.ow * p.yStrides[3]];
    const i64 gBase = p.gOffset + w.n * p.gStrides[0] + w.c * p.gStrides[1];
    if (Max) {
      i64 bh, bw;
      window_argmax(p, x, p.xOffset + w.n * p.xStrides[0] + w.c * p.xStrides[1], w, bh, bw);
      if (bh >= 0) atomicAdd(g + gBase + bh * p.gStrides[2] + bw * p.gStrides[3], grad);
    } else {
      const float share = (float)((double)grad / avg_divisor(p, w));
      for (i64 a = 0; a < p.kH; ++a) {
        const i64 ih = w.h0 + a * p.dilH;
        if (ih < 0 || ih >= p.inH) continue;
        for (i64 b = 0; b < p.kW; ++b) {
          const i64 iw = w.w0 + b * p.dilW;
          if (iw >= 0 && iw < p.inW) atomicAdd(g + gBase + ih * p.gStrides[2] + iw * p.gStrides[3], share);
        }
      }
    }
  }
}

extern "C" __global__ void maxPool2d_f32(const PoolParams p) { pool_body<true>(p); }
extern "C" __global__ void avgPool2d_f32(const PoolParams p) { pool_body<false>(p); }
extern "C" __global__ void maxPool2dBackward_f32(const PoolParams p) { pool_backward_body<true>(p); }
extern "C" __global__ void avgPool2dBackward_f32(const PoolParams p) { pool_backward_body<false>(p); }

static const KernelEntry kTable[] = {
    TL_ENTRY(maxPool2d_f32, "maxPool2d", 0, TL_DTYPE_FLOAT32, PoolParams),
    TL_ENTRY(avgPool2d_f32, "avgPool2d", 0, TL_DTYPE_FLOAT32, PoolParams),
    TL_ENTRY(maxPool2dBackward_f32, "maxPool2dBackward", 0, TL_DTYPE_FLOAT32, PoolParams),
    TL_ENTRY(avgPool2dBackward_f32, "avgPool2dBackward", 0, TL_DTYPE_FLOAT32, PoolParams),
};
TL_TABLE(tl_pool_kernels, kTable)
