// The tiled GEMM loops behind matmul.cu and conv.cu. One tile loop serves every problem: a
// "problem" says how to read A[m, k] and B[k, n] (strided matmul operands, or im2col
// positions computed on the fly for convolutions, never materialised) and where C[m, n] goes.
//
// Two tile loops: `gemm_tf32` uses tensor cores through WMMA (m16n16k8, TF32 inputs,
// float32 accumulation; 64x64 block tile, 4 warps of 32x32) and is the default, like
// PyTorch with allow_tf32; `gemm_simt` is strict float32 FMA (64x64 tile, 256 threads of
// 4x4), chosen by setAllowTF32(false). grid.z walks batch (or conv groups) x K-splits;
// with splits > 1 the partial products are atomically added into a C the caller zeroed.
#pragma once
#include <mma.h>
#include "common.cuh"

namespace wmma = nvcuda::wmma;

// The host sizes grids by the same generated constants (src/params.ts).
constexpr int BM = TL_GEMM_TILE, BN = TL_GEMM_TILE, BK = TL_GEMM_TILE_K;
constexpr int SIMT_THREADS = TL_GEMM_SIMT_THREADS, TF32_THREADS = TL_GEMM_TF32_THREADS;
// The tile loops below are written for these shapes: 16x16 threads of 4x4 outputs, and 4
// warps of 32x32 in a 2x2 arrangement.
static_assert(BM == 64 && BN == 64 && BK == 16, "gemm tiles: the loops assume 64x64x16");
static_assert(SIMT_THREADS == 256 && TF32_THREADS == 128, "gemm tiles: the loops assume 256 (SIMT) and 128 (TF32) threads");

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


// The strict float32 kernel `<op>_f32` and the tensor-core kernel `<op>Tf32_f32` of a problem.
#define TL_GEMM_KERNELS(op, Prob, Params)                                                                         \
  extern "C" __global__ void __launch_bounds__(SIMT_THREADS) op##_f32(const Params p) { gemm_simt<Prob>(p); }     \
  extern "C" __global__ void __launch_bounds__(TF32_THREADS) op##Tf32_f32(const Params p) { gemm_tf32<Prob>(p); }
#define TL_GEMM_ENTRIES(op, Params) \
  TL_ENTRY(op##_f32, #op, 0, TL_DTYPE_FLOAT32, Params), TL_ENTRY(op##Tf32_f32, #op "Tf32", 0, TL_DTYPE_FLOAT32, Params),
