// Batched matmul C = A B with any strides (broadcast batches through stride 0), on the
// tile loops of gemm.cuh.
#include "gemm.cuh"

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

TL_GEMM_KERNELS(matmul, MatmulProblem, MatmulParams)

static const KernelEntry kTable[] = {TL_GEMM_ENTRIES(matmul, MatmulParams)};
TL_TABLE(tl_matmul_kernels, kTable)
