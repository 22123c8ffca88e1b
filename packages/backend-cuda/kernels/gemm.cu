// Tiled GEMM kernels: batched matmul and conv2d (forward and both gradients) as implicit
// GEMMs. One tile loop serves every problem: a "problem" says how to read A[m, k] and
// B[k, n] (strided matmul operands, or im2col positions computed on the fly for
// convolutions, never materialised) and where C[m, n] goes.
//
// Two tile loops: `gemm_tf32` uses tensor cores through WMMA (m16n16k8, TF32 inputs,
// float32 accumulation; 64x64 block tile, 4 warps of 32x32) and is the default, like
// PyTorch with allow_tf32; `gemm_simt` is strict float32 FMA (64x64 tile, 256 threads of
// 4x4), chosen by setAllowTF32(false). grid.z walks batch (or conv groups) x K-splits;
// with splits > 1 the partial products are atomically added into a C the caller zeroed.
#include <mma.h>
#include "common.cuh"

using namespace nvcuda;

// The host sizes grids by the same generated constants (src/params.ts).
constexpr int BM = TL_GEMM_TILE, BN = TL_GEMM_TILE, BK = TL_GEMM_TILE_K;
constexpr int SIMT_THREADS = TL_GEMM_SIMT_THREADS, TF32_THREADS = TL_GEMM_TF32_THREADS;
// The tile loops below are written for these shapes: 16x16 threads of 4x4 outputs, and 4
// warps of 32x32 in a 2x2 arrangement.
static_assert(BM == 64 && BN == 64 && BK == 16, "gemm tiles: the loops assume 64x64x16");
static_assert(SIMT_THREADS == 256 && TF32_THREADS == 128, "gemm tiles: the loops assume 256 (SIMT) and 128 (TF32) threads");

// ---- problems ---------------------------------------------------------------------------------

struct MatmulProblem {
  const float* A;
  const float* B;
  float* C;
  i64 M, N, K, aRow, aCol, bRow, bCol, cRow, cCol;
  static __device__ i64 groups(const MatmulParams& p) { return p.batch; }
  __device__ MatmulProblem(const MatmulParams& p, i64 g)
      : M(p.M), N(p.N), K(p.K), aRow(p.aRowStride), aCol(p.aColStride), bRow(p.bRowStride),
        bCol(p.bColStride), cRow(p.cRowStride), cCol(p.cColStride) {
    i64 ao = p.aOffset, bo = p.bOffset, co = p.cOffset;
    for (int d = (int)p.batchRank - 1; d >= 0; --d) {
      const i64 c = g % p.batchShape[d];
      g /= p.batchShape[d];
      ao += c * p.aBatchStrides[d];
      bo += c * p.bBatchStrides[d];
      co += c * p.cBatchStrides[d];
    }
    A = dev<const float>(p.a) + ao;
    B = dev<const float>(p.b) + bo;
    C = dev<float>(p.c) + co;
  }
  __device__ float a(i64 m, i64 k) const { return A[m * aRow + k * aCol]; }
  __device__ float b(i64 k, i64 n) const { return B[k * bRow + n * bCol]; }
  __device__ void store(i64 m, i64 n, float v) const { C[m * cRow + n * cCol] = v; }
  __device__ void add(i64 m, i64 n, float v) const { atomicAdd(C + m * cRow + n * cCol, v); }
};

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

// ---- strict float32: SIMT tiles ------------------------------------------------------------------

template <class Prob, class Params>
__device__ void gemm_simt(const Params& p) {
  __shared__ float As[BK][BM + 4];  // As[k][m]
  __shared__ float Bs[BK][BN + 4];  // Bs[k][n]
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const i64 total = Prob::groups(p) * p.splits;
  for (i64 z = blockIdx.z; z < total; z += gridDim.z) {
    const Prob prob(p, z / p.splits);
    const i64 split = z % p.splits;
    const i64 m0 = (i64)blockIdx.y * BM, n0 = (i64)blockIdx.x * BN;
    const i64 kBegin = split * p.kChunk;
    const i64 kEnd = min(prob.K, kBegin + p.kChunk);
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    for (i64 k0 = kBegin; k0 < kEnd; k0 += BK) {
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int e = tid + SIMT_THREADS * r;
        const int kk = e & 15, mm = e >> 4;
        const i64 m = m0 + mm, k = k0 + kk;
        As[kk][mm] = (m < prob.M && k < kEnd) ? prob.a(m, k) : 0.f;
        const int nn = e & 63, kb = e >> 6;
        const i64 n = n0 + nn, kq = k0 + kb;
        Bs[kb][nn] = (n < prob.N && kq < kEnd) ? prob.b(kq, n) : 0.f;
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < BK; ++kk) {
        float av[4], bv[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) av[i] = As[kk][ty + 16 * i];
#pragma unroll
        for (int j = 0; j < 4; ++j) bv[j] = Bs[kk][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const i64 m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
        if (m < prob.M && n < prob.N) {
          if (p.splits > 1) prob.add(m, n, acc[i][j]);
          else prob.store(m, n, acc[i][j]);
        }
      }
    }
  }
}

// ---- TF32 tensor cores: WMMA tiles ---------------------------------------------------------------

constexpr int LDA = BK + 8, LDB = BN + 8, LDC = BN + 8;  // multiples of 8 floats: 32-byte aligned rows

template <class Prob, class Params>
__device__ void gemm_tf32(const Params& p) {
  __shared__ __align__(32) float As[BM][LDA];  // As[m][k]
  __shared__ __align__(32) float Bs[BK][LDB];  // Bs[k][n]
  __shared__ __align__(32) float Cs[BM][LDC];
  const int tid = threadIdx.x, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;
  const i64 total = Prob::groups(p) * p.splits;
  for (i64 z = blockIdx.z; z < total; z += gridDim.z) {
    const Prob prob(p, z / p.splits);
    const i64 split = z % p.splits;
    const i64 m0 = (i64)blockIdx.y * BM, n0 = (i64)blockIdx.x * BN;
    const i64 kBegin = split * p.kChunk;
    const i64 kEnd = min(prob.K, kBegin + p.kChunk);
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
    for (i64 k0 = kBegin; k0 < kEnd; k0 += BK) {
#pragma unroll
      for (int r = 0; r < 8; ++r) {
        const int e = tid + TF32_THREADS * r;
        const int kk = e & 15, mm = e >> 4;
        const i64 m = m0 + mm, k = k0 + kk;
        As[mm][kk] = wmma::__float_to_tf32((m < prob.M && k < kEnd) ? prob.a(m, k) : 0.f);
        const int nn = e & 63, kb = e >> 6;
        const i64 n = n0 + nn, kq = k0 + kb;
        Bs[kb][nn] = wmma::__float_to_tf32((n < prob.N && kq < kEnd) ? prob.b(kq, n) : 0.f);
      }
      __syncthreads();
#pragma unroll
      for (int ks = 0; ks < BK; ks += 8) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> af[2];
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> bf[2];
#pragma unroll
        for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(af[i], &As[wm * 32 + i * 16][ks], LDA);
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(bf[j], &Bs[ks][wn * 32 + j * 16], LDB);
#pragma unroll
        for (int i = 0; i < 2; ++i)
#pragma unroll
          for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], af[i], bf[j], acc[i][j]);
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j)
        wmma::store_matrix_sync(&Cs[wm * 32 + i * 16][wn * 32 + j * 16], acc[i][j], LDC, wmma::mem_row_major);
    __syncthreads();
    for (int e = tid; e < BM * BN; e += TF32_THREADS) {
      const int mm = e >> 6, nn = e & 63;
      const i64 m = m0 + mm, n = n0 + nn;
      if (m < prob.M && n < prob.N) {
        if (p.splits > 1) prob.add(m, n, Cs[mm][nn]);
        else prob.store(m, n, Cs[mm][nn]);
      }
    }
    __syncthreads();
  }
}

#define GEMM_KERNELS(op, Prob, Params)                                                                   \
  extern "C" __global__ void __launch_bounds__(SIMT_THREADS) op##_f32(const Params p) { gemm_simt<Prob>(p); } \
  extern "C" __global__ void __launch_bounds__(TF32_THREADS) op##Tf32_f32(const Params p) { gemm_tf32<Prob>(p); }

GEMM_KERNELS(matmul, MatmulProblem, MatmulParams)
GEMM_KERNELS(conv2d, ConvForward, ConvParams)
GEMM_KERNELS(conv2dBackwardInput, ConvBackwardInput, ConvParams)
GEMM_KERNELS(conv2dBackwardWeight, ConvBackwardWeight, ConvParams)

static const KernelEntry kTable[] = {
    TL_ENTRY(matmul_f32, MatmulParams),
    TL_ENTRY(matmulTf32_f32, MatmulParams),
    TL_ENTRY(conv2d_f32, ConvParams),
    TL_ENTRY(conv2dTf32_f32, ConvParams),
    TL_ENTRY(conv2dBackwardInput_f32, ConvParams),
    TL_ENTRY(conv2dBackwardInputTf32_f32, ConvParams),
    TL_ENTRY(conv2dBackwardWeight_f32, ConvParams),
    TL_ENTRY(conv2dBackwardWeightTf32_f32, ConvParams),
};
TL_TABLE(tl_gemm_kernels, kTable)
