// Reductions: sum/prod/max/min over any set of axes, argmax/argmin along one axis, and the
// fused softmax/logSoftmax. The TypeScript side splits the input into `outer` kept
// positions and `inner` reduced positions (core's planReduce, each merged into at most
// TL_MAX_DIMS dims).
// mode 0: one block per output, the block strides over the reduced elements and combines
// with warp shuffles (long reductions); mode 1: one thread per output walks its reduced
// elements in order (short reductions with many outputs, coalesced across threads).
// Reduce and arg-reduce kernels are instantiated per entry of the generated lists (the op
// table's ops, in the dtypes its rules send) from a fold per op code.
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

// The fold of a reduce op code: a nested struct per dtype its kernel takes (the op table sends
// float32 and int32; bools arrive as int32), each with its accumulator type, identity and
// combine. Only these specialisations exist, so a reduce op without its fold fails to compile.
template <int Op>
struct Reduce {
  static_assert(Op < 0, "reduce.cu: a reduce op in TL_CUDA_REDUCE_KERNELS has no Reduce<REDUCE_op> fold");
};

template <class A> struct SumFold {
  using Acc = A;
  __device__ static Acc identity() { return (Acc)0; }
  __device__ Acc operator()(Acc a, Acc b) const { return a + b; }
};
// float32 sums and products accumulate in double; int32 ones wrap like int32 arithmetic.
template <> struct Reduce<REDUCE_sum> {
  using f32 = SumFold<double>;
  using i32 = SumFold<long long>;
};
template <> struct Reduce<REDUCE_prod> {
  struct f32 {
    using Acc = double;
    __device__ static Acc identity() { return 1.0; }
    __device__ Acc operator()(Acc a, Acc b) const { return a * b; }
  };
  struct i32 {  // multiply as unsigned: wraps modulo 2^32
    using Acc = unsigned;
    __device__ static Acc identity() { return 1u; }
    __device__ Acc operator()(Acc a, Acc b) const { return a * b; }
  };
};
struct MaxF {  // NaN sticks
  using Acc = float;
  __device__ static float identity() { return -INFINITY; }
  __device__ float operator()(float a, float b) const { return (a > b || a != a) ? a : b; }
};
struct MinF {
  using Acc = float;
  __device__ static float identity() { return INFINITY; }
  __device__ float operator()(float a, float b) const { return (a < b || a != a) ? a : b; }
};
template <> struct Reduce<REDUCE_max> {
  using f32 = MaxF;
  struct i32 {
    using Acc = int;
    __device__ static int identity() { return INT_MIN; }
    __device__ int operator()(int a, int b) const { return a > b ? a : b; }
  };
};
template <> struct Reduce<REDUCE_min> {
  using f32 = MinF;
  struct i32 {
    using Acc = int;
    __device__ static int identity() { return INT_MAX; }
    __device__ int operator()(int a, int b) const { return a < b ? a : b; }
  };
};

template <class T, class Fold>
__device__ void reduce_body(const ReduceParams& p) {
  using Acc = typename Fold::Acc;
  const T* x = dev<const T>(p.x);
  T* out = dev<T>(p.out);
  const Fold op;
  if (p.mode == 1) {
    TL_FOR(o, p.outer) {
      const i64 base = x_base(p, o);
      Acc acc = Fold::identity();
      for (i64 j = 0; j < p.inner; ++j) acc = op(acc, (Acc)x[base + inner_offset(p, j)]);
      out[out_base(p, o)] = (T)acc;
    }
    return;
  }
  __shared__ Acc scratch[32];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 base = x_base(p, o);
    Acc acc = Fold::identity();
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) acc = op(acc, (Acc)x[base + inner_offset(p, j)]);
    acc = block_reduce(acc, op, scratch);
    if (threadIdx.x == 0) out[out_base(p, o)] = (T)acc;
  }
}

#define TL_REDUCE_KERNEL(op, code, dtype, T, dtypeCode)                                 \
  extern "C" __global__ void op##_##dtype(const ReduceParams p) {                      \
    reduce_body<T, Reduce<REDUCE_##op>::dtype>(p);                                      \
  }
TL_CUDA_REDUCE_KERNELS(TL_REDUCE_KERNEL)

// ---- argmax / argmin --------------------------------------------------------------------------

// Which of two values an arg-reduce op prefers (strictly); NaN and ties are handled by `beats`.
template <int Op>
struct ArgReduce {
  static_assert(Op < 0, "reduce.cu: an arg-reduce op in TL_CUDA_ARG_REDUCE_KERNELS has no ArgReduce<ARG_REDUCE_op>");
};
template <> struct ArgReduce<ARG_REDUCE_argmax> {
  template <class T> static __device__ __forceinline__ bool better(T a, T b) { return a > b; }
};
template <> struct ArgReduce<ARG_REDUCE_argmin> {
  template <class T> static __device__ __forceinline__ bool better(T a, T b) { return a < b; }
};

template <class T> __device__ __forceinline__ bool is_nan(T v) { return v != v; }

// Whether candidate (v, i) beats (bv, bi): a NaN wins (the first one), then the strict
// extreme, then the lower index on ties; bi < 0 means "nothing yet".
template <class Op, class T>
__device__ __forceinline__ bool beats(T v, int i, T bv, int bi) {
  if (i < 0) return false;
  if (bi < 0) return true;
  const bool vn = is_nan(v), bn = is_nan(bv);
  if (vn || bn) return vn && (!bn || i < bi);
  if (Op::better(v, bv)) return true;
  if (v == bv) return i < bi;
  return false;
}

// The type a value travels in through warp shuffles, which move 32-bit words: bools as ints.
template <class T> struct Shuffled { using type = T; };
template <> struct Shuffled<uint8_t> { using type = int; };

template <class T, class Op>
__device__ void arg_body(const ReduceParams& p) {
  using V = typename Shuffled<T>::type;
  const T* x = dev<const T>(p.x);
  int* out = dev<int>(p.out);
  __shared__ V sv[32];
  __shared__ int si[32];
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const i64 base = x_base(p, o);
    V bv = V();
    int bi = -1;
    for (i64 j = threadIdx.x; j < p.inner; j += blockDim.x) {
      const V v = (V)x[base + j * p.xInnerStrides[0]];
      if (beats<Op>(v, (int)j, bv, bi)) { bv = v; bi = (int)j; }
    }
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int s = 16; s > 0; s >>= 1) {
      const V ov = __shfl_down_sync(0xffffffffu, bv, s);
      const int oi = __shfl_down_sync(0xffffffffu, bi, s);
      if (lane + s < 32 && beats<Op>(ov, oi, bv, bi)) { bv = ov; bi = oi; }
    }
    __syncthreads();
    if (lane == 0) { sv[warp] = bv; si[warp] = bi; }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (unsigned w = 1; w < (blockDim.x >> 5); ++w) {
        if (beats<Op>(sv[w], si[w], bv, bi)) { bv = sv[w]; bi = si[w]; }
      }
      out[out_base(p, o)] = bi < 0 ? 0 : bi;
    }
  }
}

#define TL_ARG_REDUCE_KERNEL(op, code, dtype, T, dtypeCode)                                 \
  extern "C" __global__ void op##_##dtype(const ReduceParams p) {                          \
    arg_body<T, ArgReduce<ARG_REDUCE_##op>>(p);                                             \
  }
TL_CUDA_ARG_REDUCE_KERNELS(TL_ARG_REDUCE_KERNEL)

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

#define TL_REDUCE_ENTRY(op, code, dtype, T, dtypeCode) TL_ENTRY(op##_##dtype, "reduce", code, dtypeCode, ReduceParams),
#define TL_ARG_REDUCE_ENTRY(op, code, dtype, T, dtypeCode) TL_ENTRY(op##_##dtype, "argReduce", code, dtypeCode, ReduceParams),
static const KernelEntry kTable[] = {
    TL_CUDA_REDUCE_KERNELS(TL_REDUCE_ENTRY)
    TL_CUDA_ARG_REDUCE_KERNELS(TL_ARG_REDUCE_ENTRY)
    TL_ENTRY(softmax_f32, "softmax", 0, TL_DTYPE_FLOAT32, ReduceParams),
    TL_ENTRY(logSoftmax_f32, "logSoftmax", 0, TL_DTYPE_FLOAT32, ReduceParams),
};
TL_TABLE(tl_reduce_kernels, kTable)
