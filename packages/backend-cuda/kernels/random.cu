// Philox4x32-10, ported line for line from packages/core/src/random.ts: element i of a draw
// uses counter (offset + i) split into (lo, hi) words and key (seed, 0x7e45113), so every
// backend gives the same numbers for one seed. Uniform is word 0's top 24 bits (exact in
// float32: bit-identical to the cpu); normal is Box-Muller on words 0 and 1 in double
// (as JavaScript's Math), rounded once to float32.
#include "common.cuh"

__device__ __forceinline__ uint4 philox4x32(unsigned c0, unsigned c1, unsigned k0, unsigned k1) {
  const unsigned M0 = 0xd2511f53u, M1 = 0xcd9e8d57u, W0 = 0x9e3779b9u, W1 = 0xbb67ae85u;
  unsigned x0 = c0, x1 = c1, x2 = 0, x3 = 0;
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    const unsigned hi0 = __umulhi(M0, x0), lo0 = M0 * x0;
    const unsigned hi1 = __umulhi(M1, x2), lo1 = M1 * x2;
    const unsigned n0 = hi1 ^ x1 ^ k0;
    const unsigned n2 = hi0 ^ x3 ^ k1;
    x0 = n0;
    x1 = lo1;
    x2 = n2;
    x3 = lo0;
    k0 += W0;
    k1 += W1;
  }
  return make_uint4(x0, x1, x2, x3);
}

__device__ __forceinline__ double uint32_to_uniform(unsigned word) { return (double)(word >> 8) * (1.0 / 16777216.0); }

template <bool Normal>
__device__ void random_body(const RandomParams& p) {
  float* out = dev<float>(p.out);
  TL_FOR(i, p.n) {
    const unsigned long long index = (unsigned long long)p.counterOffset + (unsigned long long)i;
    const uint4 w = philox4x32((unsigned)(index & 0xffffffffull), (unsigned)(index >> 32), (unsigned)p.seed, 0x7e45113u);
    const double u0 = uint32_to_uniform(w.x);
    double v;
    if (Normal) {
      const double u1 = uint32_to_uniform(w.y);
      v = sqrt(-2.0 * log(1.0 - u0)) * cos(2.0 * 3.141592653589793 * u1);
    } else {
      v = u0;
    }
    out[p.offset + (p.rank <= 1 ? (p.rank == 1 ? i * p.strides[0] : 0) : strided_offset(i, (int)p.rank, p.shape, p.strides))] = (float)v;
  }
}

extern "C" __global__ void uniform_f32(const RandomParams p) { random_body<false>(p); }
extern "C" __global__ void normal_f32(const RandomParams p) { random_body<true>(p); }

static const KernelEntry kTable[] = {
    TL_ENTRY(uniform_f32, "uniform", 0, TL_DTYPE_FLOAT32, RandomParams),
    TL_ENTRY(normal_f32, "normal", 0, TL_DTYPE_FLOAT32, RandomParams),
};
TL_TABLE(tl_random_kernels, kTable)
