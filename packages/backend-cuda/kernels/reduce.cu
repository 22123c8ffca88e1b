// Reductions: sum/prod/max/min over any set of axes, argmax/argmin along one axis, and the
// fused softmax/logSoftmax. The TypeScript side splits the input into `outer` kept
// positions and `inner` reduced positions (each coalesced into at most 8 dims).
// mode 0: one block per output, the block strides over the reduced elements and combines
// with warp shuffles (long reductions); mode 1: one thread per output walks its reduced
// elements in order (short reductions with many outputs, coalesced across threads).
// float32 sums and products accumulate in double, int32 ones wrap like int32 arithmetic.
#include "common.cuh"

__device__ __forceinline__ i64 inner_offset(const ReduceParams& p, i64 j) {
  return p.innerRank == 1 ? j * p.xInnerStrides[0] : strided_offset(j, (int)p.innerRank, p.innerShape, p.xInnerStrides);
}
__device__ __forceinline__ i64 x_base(const ReduceParams& p, i64 o) {
  return p.xOffset + strided_offset(o, (int)p.outerRank, p.outerShape, p.xOuterStrides);
}
__device__ __forceinline__ i64 out_base(const ReduceParams& p, i64 o) {
  return p.outOffset + strided_offset(o, (int)p.outerRank, p.outerShape, p.outOuterStrides);
}

// ---- reduce ---------------------------------------------------------------------------------

template <class Acc> struct SumOp {
  __device__ static Acc identity() { return (Acc)0; }
  __device__ Acc operator()(Acc a, Acc b) const { return a + b; }
};
struct ProdD {
  __device__ static double identity() { return 1.0; }
  __device__ double operator()(double a, double b) const { return a * b; }
};
struct ProdU {  // int32 products wrap: multiply as unsigned
  __device__ static unsigned identity() { return 1u; }
  __device__ unsigned operator()(unsigned a, unsigned b) const { return a * b; }
};
struct MaxF {  // NaN sticks
  __device__ static float identity() { return -INFINITY; }
  __device__ float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }
};
struct MinF {
  __device__ static float identity() { return INFINITY; }
  __device__ float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
};
struct MaxI {
  __device__ static int identity() { return INT_MIN; }
  __device__ int operator()(int a, int b) const { return a > b ? a : b; }
};
struct MinI {
  __device__ static int identity() { return INT_MAX; }
  __device__ int operator()(int a, int b) const { return a < b ? a : b; }
};

template <class T, class Acc, class Op>
__device__ void reduce_body(const ReduceParams& p) {
  const T* x = dev<const T>(p.x);
  T* out = dev<T>(p.out);
  const Op op;
  if (p.mode == 1) {
    TL_FOR(o, p.outer) {
      const i64 base = x_base(p, o);
      Acc acc = Op::identity();
      for (i64 j = 0; j < p.inner; ++j) acc = op(acc, (Acc)x[base + inner_offset(p, j)]);
      out[out_base(p, o)] = (T)acc;
    }
    return;
  }
  __shared__ Acc scratch[32];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 base = x_base(p, o);
    Acc acc = Op::identity();
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) acc = op(acc, (Acc)x[base + inner_offset(p, j)]);
    acc = block_reduce(acc, op, scratch);
    if (threadIdx.x == 0) out[out_base(p, o)] = (T)acc;
  }
}

extern "C" __global__ void sum_f32(const ReduceParams p) { reduce_body<float, double, SumOp<double>>(p); }
extern "C" __global__ void prod_f32(const ReduceParams p) { reduce_body<float, double, ProdD>(p); }
extern "C" __global__ void max_f32(const ReduceParams p) { reduce_body<float, float, MaxF>(p); }
extern "C" __global__ void min_f32(const ReduceParams p) { reduce_body<float, float, MinF>(p); }
extern "C" __global__ void sum_i32(const ReduceParams p) { reduce_body<int, long long, SumOp<long long>>(p); }
extern "C" __global__ void prod_i32(const ReduceParams p) { reduce_body<int, unsigned, ProdU>(p); }
extern "C" __global__ void max_i32(const ReduceParams p) { reduce_body<int, int, MaxI>(p); }
extern "C" __global__ void min_i32(const ReduceParams p) { reduce_body<int, int, MinI>(p); }

// ---- argmax / argmin --------------------------------------------------------------------------

template <class T> __device__ __forceinline__ bool is_nan(T v) { return v != v; }

// Whether candidate (v, i) beats (bv, bi): a NaN wins (the first one), then the strict
// extreme, then the lower index on ties; bi < 0 means "nothing yet".
template <class T, bool Max>
__device__ __forceinline__ bool beats(T v, int i, T bv, int bi) {
  if (i < 0) return false;
  if (bi < 0) return true;
  const bool vn = is_nan(v), bn = is_nan(bv);
  if (vn || bn) return vn && (!bn || i < bi);
  if (Max ? v > bv : v < bv) return true;
  if (v == bv) return i < bi;
  return false;
}

template <class T, bool Max>
__device__ void arg_body(const ReduceParams& p) {
  const T* x = dev<const T>(p.x);
  int* out = dev<int>(p.out);
  __shared__ T sv[32];
  __shared__ int si[32];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 base = x_base(p, o);
    T bv = T();
    int bi = -1;
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) {
      const T v = x[base + j * p.xInnerStrides[0]];
      if (beats<T, Max>(v, (int)j, bv, bi)) { bv = v; bi = (int)j; }
    }
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int s = 16; s > 0; s >>= 1) {
      const T ov = __shfl_down_sync(0xffffffffu, bv, s);
      const int oi = __shfl_down_sync(0xffffffffu, bi, s);
      if (lane + s < 32 && beats<T, Max>(ov, oi, bv, bi)) { bv = ov; bi = oi; }
    }
    __syncthreads();
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (unsigned w = 1; w < (blockDim.x >> 5); ++w) {
        if (beats<T, Max>(sv[w], si[w], bv, bi)) { bv = sv[w]; bi = si[w]; }
      }
      out[out_base(p, o)] = bi < 0 ? 0 : bi;
    }
  }
}

// Shuffles move 32-bit words: carry bool values as ints.
template <bool Max>
__device__ void arg_body_u8(const ReduceParams& p) {
  const uint8_t* x = dev<const uint8_t>(p.x);
  int* out = dev<int>(p.out);
  __shared__ int sv[32];
  __shared__ int si[32];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 base = x_base(p, o);
    int bv = 0, bi = -1;
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) {
      const int v = x[base + j * p.xInnerStrides[0]];
      if (beats<int, Max>(v, (int)j, bv, bi)) { bv = v; bi = (int)j; }
    }
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int s = 16; s > 0; s >>= 1) {
      const int ov = __shfl_down_sync(0xffffffffu, bv, s);
      const int oi = __shfl_down_sync(0xffffffffu, bi, s);
      if (lane + s < 32 && beats<int, Max>(ov, oi, bv, bi)) { bv = ov; bi = oi; }
    }
    __syncthreads();
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (unsigned w = 1; w < (blockDim.x >> 5); ++w) {
        if (beats<int, Max>(sv[w], si[w], bv, bi)) { bv = sv[w]; bi = si[w]; }
      }
      out[out_base(p, o)] = bi < 0 ? 0 : bi;
    }
  }
}

extern "C" __global__ void argmax_f32(const ReduceParams p) { arg_body<float, true>(p); }
extern "C" __global__ void argmin_f32(const ReduceParams p) { arg_body<float, false>(p); }
extern "C" __global__ void argmax_i32(const ReduceParams p) { arg_body<int, true>(p); }
extern "C" __global__ void argmin_i32(const ReduceParams p) { arg_body<int, false>(p); }
extern "C" __global__ void argmax_u8(const ReduceParams p) { arg_body_u8<true>(p); }
extern "C" __global__ void argmin_u8(const ReduceParams p) { arg_body_u8<false>(p); }

// ---- softmax / logSoftmax -------------------------------------------------------------------

struct SumD {
  __device__ double operator()(double a, double b) const { return a + b; }
};

template <bool Log>
__device__ void softmax_body(const ReduceParams& p) {
  const float* x = dev<const float>(p.x);
  float* out = dev<float>(p.out);
  __shared__ float fscratch[32];
  __shared__ double dscratch[32];
  const i64 sx = p.xInnerStrides[0], so = p.outInnerStrides[0];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 xb = x_base(p, o), ob = out_base(p, o);
    float m = -INFINITY;
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) m = MaxF()(m, x[xb + j * sx]);
    m = block_reduce(m, MaxF(), fscratch);
    const double md = (double)m;
    double sum = 0.0;
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) sum += exp((double)x[xb + j * sx] - md);
    sum = block_reduce(sum, SumD(), dscratch);
    if (Log) {
      const double shift = md + log(sum);
      for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) out[ob + j * so] = (float)((double)x[xb + j * sx] - shift);
    } else {
      for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) {
        const float e = (float)exp((double)x[xb + j * sx] - md);
        out[ob + j * so] = (float)((double)e / sum);
      }
    }
  }
}

extern "C" __global__ void softmax_f32(const ReduceParams p) { softmax_body<false>(p); }
extern "C" __global__ void logSoftmax_f32(const ReduceParams p) { softmax_body<true>(p); }

#define R(name) TL_ENTRY(name, ReduceParams)
static const KernelEntry kTable[] = {
    R(sum_f32), R(prod_f32), R(max_f32), R(min_f32), R(sum_i32), R(prod_i32), R(max_i32), R(min_i32),
    R(argmax_f32), R(argmin_f32), R(argmax_i32), R(argmin_i32), R(argmax_u8), R(argmin_u8),
    R(softmax_f32), R(logSoftmax_f32),
};
TL_TABLE(tl_reduce_kernels, kTable)
