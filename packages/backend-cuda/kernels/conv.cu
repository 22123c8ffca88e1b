// conv2d and both its gradients as implicit GEMMs on the tile loops of gemm.cuh: the
// input is read through im2col positions computed on the fly, never materialised. The
// sizes are core's convGeometry (ConvParams), the views NCHW / OIHW with any strides.
#include "gemm.cuh"

// Shared geometry of the three convolution problems, for group g.
struct ConvGeometry {
  const ConvParams& p;
  i64 g, Og, Cg, khw;
  __device__ ConvGeometry(const ConvParams& p, i64 g)
      : p(p), g(g), Og(p.outCPerGroup), Cg(p.inCPerGroup), khw(p.kH * p.kW) {}
  __device__ float x(i64 b, i64 c, i64 h, i64 w) const {  // input channel c of this group; 0 outside
    if (h < 0 || h >= p.inH || w < 0 || w >= p.inW) return 0.f;
    return dev<const float>(p.x)[p.xOffset + b * p.xStrides[0] + (g * Cg + c) * p.xStrides[1] + h * p.xStrides[2] + w * p.xStrides[3]];
  }
  __device__ i64 xAt(i64 b, i64 c, i64 h, i64 w) const {
    return p.xOffset + b * p.xStrides[0] + (g * Cg + c) * p.xStrides[1] + h * p.xStrides[2] + w * p.xStrides[3];
  }
  __device__ i64 wAt(i64 o, i64 c, i64 kh, i64 kw) const {
    return p.wOffset + (g * Og + o) * p.wStrides[0] + c * p.wStrides[1] + kh * p.wStrides[2] + kw * p.wStrides[3];
  }
  __device__ i64 yAt(i64 b, i64 o, i64 h, i64 w) const {
    return p.yOffset + b * p.yStrides[0] + (g * Og + o) * p.yStrides[1] + h * p.yStrides[2] + w * p.yStrides[3];
  }
};

// out[b, o, oh, ow] = sum_{c, kh, kw} w[o, c, kh, kw] x[b, c, oh*s - p + kh*d, ...]
// M = O/groups, N = batch*oH*oW, K = C/groups*kH*kW.
struct ConvForward : ConvGeometry {
  i64 M, N, K;
  static __device__ i64 groups(const ConvParams& p) { return p.groups; }
  __device__ ConvForward(const ConvParams& p, i64 g) : ConvGeometry(p, g) {
    M = Og;
    N = p.batch * p.outH * p.outW;
    K = Cg * khw;
  }
  __device__ float a(i64 m, i64 k) const {
    const i64 c = k / khw, r = k % khw;
    return dev<const float>(p.w)[wAt(m, c, r / p.kW, r % p.kW)];
  }
  __device__ float b(i64 k, i64 n) const {
    const i64 c = k / khw, r = k % khw, kh = r / p.kW, kw = r % p.kW;
    const i64 ohw = p.outH * p.outW, bi = n / ohw, q = n % ohw, oh = q / p.outW, ow = q % p.outW;
    return x(bi, c, oh * p.strideH - p.padH + kh * p.dilH, ow * p.strideW - p.padW + kw * p.dilW);
  }
  __device__ i64 cAt(i64 m, i64 n) const {
    const i64 ohw = p.outH * p.outW, bi = n / ohw, q = n % ohw;
    return yAt(bi, m, q / p.outW, q % p.outW);
  }
  __device__ void store(i64 m, i64 n, float v) const { dev<float>(p.y)[cAt(m, n)] = v; }
  __device__ void add(i64 m, i64 n, float v) const { atomicAdd(dev<float>(p.y) + cAt(m, n), v); }
};

// dx[b, c, ih, iw] = sum_{o, kh, kw} w[o, c, kh, kw] dy[b, o, oh, ow] where
// ih = oh*s - p + kh*d. M = C/groups, N = batch*H*W, K = O/groups*kH*kW.
struct ConvBackwardInput : ConvGeometry {
  i64 M, N, K;
  static __device__ i64 groups(const ConvParams& p) { return p.groups; }
  __device__ ConvBackwardInput(const ConvParams& p, i64 g) : ConvGeometry(p, g) {
    M = Cg;
    N = p.batch * p.inH * p.inW;
    K = Og * khw;
  }
  __device__ float a(i64 m, i64 k) const {
    const i64 o = k / khw, r = k % khw;
    return dev<const float>(p.w)[wAt(o, m, r / p.kW, r % p.kW)];
  }
  __device__ float b(i64 k, i64 n) const {
    const i64 o = k / khw, r = k % khw, kh = r / p.kW, kw = r % p.kW;
    const i64 hw = p.inH * p.inW, bi = n / hw, q = n % hw, ih = q / p.inW, iw = q % p.inW;
    const i64 th = ih + p.padH - kh * p.dilH, tw = iw + p.padW - kw * p.dilW;
    if (th < 0 || tw < 0 || th % p.strideH != 0 || tw % p.strideW != 0) return 0.f;
    const i64 oh = th / p.strideH, ow = tw / p.strideW;
    if (oh >= p.outH || ow >= p.outW) return 0.f;
    return dev<const float>(p.y)[yAt(bi, o, oh, ow)];
  }
  __device__ i64 cAt(i64 m, i64 n) const {
    const i64 hw = p.inH * p.inW, bi = n / hw, q = n % hw;
    return xAt(bi, m, q / p.inW, q % p.inW);
  }
  __device__ void store(i64 m, i64 n, float v) const { dev<float>(p.x)[cAt(m, n)] = v; }
  __device__ void add(i64 m, i64 n, float v) const { atomicAdd(dev<float>(p.x) + cAt(m, n), v); }
};

// dw[o, c, kh, kw] = sum_{b, oh, ow} dy[b, o, oh, ow] x[b, c, oh*s - p + kh*d, ...]
// M = O/groups, N = C/groups*kH*kW, K = batch*oH*oW (long: split-K applies here).
struct ConvBackwardWeight : ConvGeometry {
  i64 M, N, K;
  static __device__ i64 groups(const ConvParams& p) { return p.groups; }
  __device__ ConvBackwardWeight(const ConvParams& p, i64 g) : ConvGeometry(p, g) {
    M = Og;
    N = Cg * khw;
    K = p.batch * p.outH * p.outW;
  }
  __device__ float a(i64 m, i64 k) const {
    const i64 ohw = p.outH * p.outW, bi = k / ohw, q = k % ohw;
    return dev<const float>(p.y)[yAt(bi, m, q / p.outW, q % p.outW)];
  }
  __device__ float b(i64 k, i64 n) const {
    const i64 c = n / khw, r = n % khw, kh = r / p.kW, kw = r % p.kW;
    const i64 ohw = p.outH * p.outW, bi = k / ohw, q = k % ohw, oh = q / p.outW, ow = q % p.outW;
    return x(bi, c, oh * p.strideH - p.padH + kh * p.dilH, ow * p.strideW - p.padW + kw * p.dilW);
  }
  __device__ i64 cAt(i64 m, i64 n) const {
    const i64 c = n / khw, r = n % khw;
    return wAt(m, c, r / p.kW, r % p.kW);
  }
  __device__ void store(i64 m, i64 n, float v) const { dev<float>(p.w)[cAt(m, n)] = v; }
  __device__ void add(i64 m, i64 n, float v) const { atomicAdd(dev<float>(p.w) + cAt(m, n), v); }
};

TL_GEMM_KERNELS(conv2d, ConvForward, ConvParams)
TL_GEMM_KERNELS(conv2dBackwardInput, ConvBackwardInput, ConvParams)
TL_GEMM_KERNELS(conv2dBackwardWeight, ConvBackwardWeight, ConvParams)

static const KernelEntry kTable[] = {
    TL_GEMM_ENTRIES(conv2d, ConvParams)
    TL_GEMM_ENTRIES(conv2dBackwardInput, ConvParams)
    TL_GEMM_ENTRIES(conv2dBackwardWeight, ConvParams)
};
TL_TABLE(tl_conv_kernels, kTable)
