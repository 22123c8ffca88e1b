// Strided elementwise kernels: unary, binary, where, cast, copy, fill, for float32 (f32),
// int32 (i32) and bool (u8, 0/1 bytes). One thread per output element in a grid-stride
// loop; operands are read through their own strides (0 on broadcast dims), so broadcasts
// and transposes cost nothing. Float math runs in double and rounds once on the store,
// as the cpu reference does.
#include "common.cuh"

// ---- indexing ----------------------------------------------------------------------------

// The general walk divides 64-bit indices, which is long code: it is compiled once (not
// inlined into each of the ~90 kernels) and only runs when coalescing left more than one dim.
__device__ __noinline__ void strided_offsets(const ElementwiseParams& p, i64 i, int ops, i64* off) {
  for (int k = 0; k < ops; ++k) off[k] = p.offset[k];
  for (int d = (int)p.rank - 1; d >= 0; --d) {
    const i64 s = p.shape[d];
    const i64 c = i % s;
    i /= s;
    for (int k = 0; k < ops; ++k) off[k] += c * p.strides[k][d];
  }
}

template <int OPS>
__device__ __forceinline__ void operand_offsets(const ElementwiseParams& p, i64 i, i64 (&off)[OPS]) {
  if (p.rank <= 1) {
#pragma unroll
    for (int k = 0; k < OPS; ++k) off[k] = p.offset[k] + (p.rank == 1 ? i * p.strides[k][0] : 0);
    return;
  }
  strided_offsets(p, i, OPS, off);
}

template <class Out, class In, class Op>
__device__ void unary_body(const ElementwiseParams& p) {
  Out* out = dev<Out>(p.ptr[0]);
  const In* x = dev<const In>(p.ptr[1]);
  TL_FOR(i, p.n) {
    i64 off[2];
    operand_offsets<2>(p, i, off);
    out[off[0]] = Op::apply(x[off[1]]);
  }
}

template <class Out, class In, class Op>
__device__ void binary_body(const ElementwiseParams& p) {
  Out* out = dev<Out>(p.ptr[0]);
  const In* a = dev<const In>(p.ptr[1]);
  const In* b = dev<const In>(p.ptr[2]);
  TL_FOR(i, p.n) {
    i64 off[3];
    operand_offsets<3>(p, i, off);
    out[off[0]] = Op::apply(a[off[1]], b[off[2]]);
  }
}

// ---- unary ops (float32, math in double) --------------------------------------------------

#define F_UNARY(Name, expr)                                                     \
  struct Name {                                                                 \
    static __device__ __forceinline__ float apply(float xf) {                   \
      const double v = (double)xf;                                              \
      return (float)(expr);                                                     \
    }                                                                           \
  };

__device__ __forceinline__ double sigmoid_d(double v) {
  if (v >= 0) return 1.0 / (1.0 + exp(-v));
  const double e = exp(v);
  return e / (1.0 + e);
}

F_UNARY(NegF, -v)
F_UNARY(AbsF, fabs(v))
F_UNARY(SignF, (double)((v > 0) - (v < 0)))
F_UNARY(ExpF, exp(v))
F_UNARY(Expm1F, expm1(v))
F_UNARY(LogF, log(v))
F_UNARY(Log1pF, log1p(v))
F_UNARY(SqrtF, sqrt(v))
F_UNARY(RsqrtF, 1.0 / sqrt(v))
F_UNARY(ReciprocalF, 1.0 / v)
F_UNARY(SinF, sin(v))
F_UNARY(CosF, cos(v))
F_UNARY(TanhF, tanh(v))
F_UNARY(SigmoidF, sigmoid_d(v))
F_UNARY(ReluF, v < 0 ? 0.0 : v)
F_UNARY(ErfF, erf(v))
F_UNARY(FloorF, floor(v))
F_UNARY(CeilF, ceil(v))
F_UNARY(RoundF, rint(v))  // round half to even, as torch.round

// ---- unary ops (int32) --------------------------------------------------------------------

#define I_UNARY(Name, expr)                                                     \
  struct Name {                                                                 \
    static __device__ __forceinline__ int apply(int v) { return (expr); }       \
  };

I_UNARY(NegI, (int)(0u - (unsigned)v))          // wraps at INT_MIN like an Int32Array store
I_UNARY(AbsI, v < 0 ? (int)(0u - (unsigned)v) : v)
I_UNARY(SignI, (v > 0) - (v < 0))
I_UNARY(ReluI, v < 0 ? 0 : v)
I_UNARY(IdentityI, v)

template <class In>
struct LogicalNot {
  static __device__ __forceinline__ uint8_t apply(In v) { return v == (In)0 ? 1 : 0; }
};

#define UNARY_KERNEL(name, Out, In, Op) \
  extern "C" __global__ void name(const ElementwiseParams p) { unary_body<Out, In, Op>(p); }

UNARY_KERNEL(neg_f32, float, float, NegF)
UNARY_KERNEL(abs_f32, float, float, AbsF)
UNARY_KERNEL(sign_f32, float, float, SignF)
UNARY_KERNEL(exp_f32, float, float, ExpF)
UNARY_KERNEL(expm1_f32, float, float, Expm1F)
UNARY_KERNEL(log_f32, float, float, LogF)
UNARY_KERNEL(log1p_f32, float, float, Log1pF)
UNARY_KERNEL(sqrt_f32, float, float, SqrtF)
UNARY_KERNEL(rsqrt_f32, float, float, RsqrtF)
UNARY_KERNEL(reciprocal_f32, float, float, ReciprocalF)
UNARY_KERNEL(sin_f32, float, float, SinF)
UNARY_KERNEL(cos_f32, float, float, CosF)
UNARY_KERNEL(tanh_f32, float, float, TanhF)
UNARY_KERNEL(sigmoid_f32, float, float, SigmoidF)
UNARY_KERNEL(relu_f32, float, float, ReluF)
UNARY_KERNEL(erf_f32, float, float, ErfF)
UNARY_KERNEL(floor_f32, float, float, FloorF)
UNARY_KERNEL(ceil_f32, float, float, CeilF)
UNARY_KERNEL(round_f32, float, float, RoundF)
UNARY_KERNEL(logicalNot_f32, uint8_t, float, LogicalNot<float>)
UNARY_KERNEL(neg_i32, int, int, NegI)
UNARY_KERNEL(abs_i32, int, int, AbsI)
UNARY_KERNEL(sign_i32, int, int, SignI)
UNARY_KERNEL(relu_i32, int, int, ReluI)
UNARY_KERNEL(logicalNot_i32, uint8_t, int, LogicalNot<int>)
UNARY_KERNEL(logicalNot_u8, uint8_t, uint8_t, LogicalNot<uint8_t>)

// ---- binary ops -----------------------------------------------------------------------------

struct AddF { static __device__ __forceinline__ float apply(float a, float b) { return a + b; } };
struct SubF { static __device__ __forceinline__ float apply(float a, float b) { return a - b; } };
struct MulF { static __device__ __forceinline__ float apply(float a, float b) { return a * b; } };
// Rounded once from the exact double quotient/power, as the cpu backend's double math does.
struct DivF { static __device__ __forceinline__ float apply(float a, float b) { return (float)((double)a / (double)b); } };
struct PowF { static __device__ __forceinline__ float apply(float a, float b) { return (float)pow((double)a, (double)b); } };
// A NaN in either operand wins, as torch.maximum/minimum.
struct MaximumF { static __device__ __forceinline__ float apply(float a, float b) { return (a > b || a != a) ? a : b; } };
struct MinimumF { static __device__ __forceinline__ float apply(float a, float b) { return (a < b || a != a) ? a : b; } };

struct AddI { static __device__ __forceinline__ int apply(int a, int b) { return (int)((unsigned)a + (unsigned)b); } };
struct SubI { static __device__ __forceinline__ int apply(int a, int b) { return (int)((unsigned)a - (unsigned)b); } };
struct MulI { static __device__ __forceinline__ int apply(int a, int b) { return (int)((unsigned)a * (unsigned)b); } };
// Powers by squaring in unsigned arithmetic: they wrap modulo 2^32 as PyTorch's int32 pow, where
// a double pow would lose the low bits past 2^53. A negative power truncates toward zero.
struct PowI {
  static __device__ __forceinline__ int apply(int a, int b) {
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    unsigned r = 1, base = (unsigned)a;
    for (unsigned e = (unsigned)b; e != 0; e >>= 1) {
      if (e & 1) r *= base;
      base *= base;
    }
    return (int)r;
  }
};
struct MaximumI { static __device__ __forceinline__ int apply(int a, int b) { return a > b ? a : b; } };
struct MinimumI { static __device__ __forceinline__ int apply(int a, int b) { return a < b ? a : b; } };

#define CMP(Name, expr)                                                                   \
  template <class T>                                                                      \
  struct Name {                                                                           \
    static __device__ __forceinline__ uint8_t apply(T a, T b) { return (expr) ? 1 : 0; } \
  };
CMP(Eq, a == b)
CMP(Ne, a != b)
CMP(Lt, a < b)
CMP(Le, a <= b)
CMP(Gt, a > b)
CMP(Ge, a >= b)
CMP(LogicalAnd, a != (T)0 && b != (T)0)  // NaN is truthy, as PyTorch
CMP(LogicalOr, a != (T)0 || b != (T)0)

#define BINARY_KERNEL(name, Out, In, Op) \
  extern "C" __global__ void name(const ElementwiseParams p) { binary_body<Out, In, Op>(p); }

#define COMPARISONS(suffix, T)                                   \
  BINARY_KERNEL(eq_##suffix, uint8_t, T, Eq<T>)                  \
  BINARY_KERNEL(ne_##suffix, uint8_t, T, Ne<T>)                  \
  BINARY_KERNEL(lt_##suffix, uint8_t, T, Lt<T>)                  \
  BINARY_KERNEL(le_##suffix, uint8_t, T, Le<T>)                  \
  BINARY_KERNEL(gt_##suffix, uint8_t, T, Gt<T>)                  \
  BINARY_KERNEL(ge_##suffix, uint8_t, T, Ge<T>)

BINARY_KERNEL(add_f32, float, float, AddF)
BINARY_KERNEL(sub_f32, float, float, SubF)
BINARY_KERNEL(mul_f32, float, float, MulF)
BINARY_KERNEL(div_f32, float, float, DivF)
BINARY_KERNEL(pow_f32, float, float, PowF)
BINARY_KERNEL(maximum_f32, float, float, MaximumF)
BINARY_KERNEL(minimum_f32, float, float, MinimumF)
COMPARISONS(f32, float)
BINARY_KERNEL(add_i32, int, int, AddI)
BINARY_KERNEL(sub_i32, int, int, SubI)
BINARY_KERNEL(mul_i32, int, int, MulI)
BINARY_KERNEL(pow_i32, int, int, PowI)
BINARY_KERNEL(maximum_i32, int, int, MaximumI)
BINARY_KERNEL(minimum_i32, int, int, MinimumI)
COMPARISONS(i32, int)
COMPARISONS(u8, uint8_t)
// Core casts float and int operands of logical ops to bool first.
BINARY_KERNEL(logicalAnd_u8, uint8_t, uint8_t, LogicalAnd<uint8_t>)
BINARY_KERNEL(logicalOr_u8, uint8_t, uint8_t, LogicalOr<uint8_t>)

// ---- where, copy, cast, fill ---------------------------------------------------------------

template <class T>
__device__ void where_body(const ElementwiseParams& p) {
  T* out = dev<T>(p.ptr[0]);
  const uint8_t* cond = dev<const uint8_t>(p.ptr[1]);
  const T* a = dev<const T>(p.ptr[2]);
  const T* b = dev<const T>(p.ptr[3]);
  TL_FOR(i, p.n) {
    i64 off[4];
    operand_offsets<4>(p, i, off);
    out[off[0]] = cond[off[1]] != 0 ? a[off[2]] : b[off[3]];
  }
}

extern "C" __global__ void where_f32(const ElementwiseParams p) { where_body<float>(p); }
extern "C" __global__ void where_i32(const ElementwiseParams p) { where_body<int>(p); }
extern "C" __global__ void where_u8(const ElementwiseParams p) { where_body<uint8_t>(p); }

template <class T> struct Identity { static __device__ __forceinline__ T apply(T v) { return v; } };
struct F32ToI32 { static __device__ __forceinline__ int apply(float v) { return js_to_int32((double)v); } };
template <class In> struct ToBool { static __device__ __forceinline__ uint8_t apply(In v) { return v != (In)0 ? 1 : 0; } };
struct I32ToF32 { static __device__ __forceinline__ float apply(int v) { return (float)v; } };
struct U8ToF32 { static __device__ __forceinline__ float apply(uint8_t v) { return (float)v; } };
struct U8ToI32 { static __device__ __forceinline__ int apply(uint8_t v) { return (int)v; } };

UNARY_KERNEL(copy_f32, float, float, Identity<float>)
UNARY_KERNEL(copy_i32, int, int, Identity<int>)
UNARY_KERNEL(copy_u8, uint8_t, uint8_t, Identity<uint8_t>)
UNARY_KERNEL(castToI32_f32, int, float, F32ToI32)
UNARY_KERNEL(castToBool_f32, uint8_t, float, ToBool<float>)
UNARY_KERNEL(castToF32_i32, float, int, I32ToF32)
UNARY_KERNEL(castToBool_i32, uint8_t, int, ToBool<int>)
UNARY_KERNEL(castToF32_u8, float, uint8_t, U8ToF32)
UNARY_KERNEL(castToI32_u8, int, uint8_t, U8ToI32)

template <class T>
__device__ void fill_body(const ElementwiseParams& p, T value) {
  T* out = dev<T>(p.ptr[0]);
  TL_FOR(i, p.n) {
    i64 off[1];
    operand_offsets<1>(p, i, off);
    out[off[0]] = value;
  }
}

extern "C" __global__ void fill_f32(const ElementwiseParams p) { fill_body<float>(p, (float)p.scalar); }
extern "C" __global__ void fill_i32(const ElementwiseParams p) { fill_body<int>(p, (int)p.iscalar); }
extern "C" __global__ void fill_u8(const ElementwiseParams p) { fill_body<uint8_t>(p, (uint8_t)p.iscalar); }

// ---- table ----------------------------------------------------------------------------------

#define E(name) TL_ENTRY(name, ElementwiseParams)
#define E_CMP(s) E(eq_##s), E(ne_##s), E(lt_##s), E(le_##s), E(gt_##s), E(ge_##s)

static const KernelEntry kTable[] = {
    E(neg_f32), E(abs_f32), E(sign_f32), E(exp_f32), E(expm1_f32), E(log_f32), E(log1p_f32),
    E(sqrt_f32), E(rsqrt_f32), E(reciprocal_f32), E(sin_f32), E(cos_f32), E(tanh_f32),
    E(sigmoid_f32), E(relu_f32), E(erf_f32), E(floor_f32), E(ceil_f32), E(round_f32),
    E(logicalNot_f32), E(neg_i32), E(abs_i32), E(sign_i32), E(relu_i32), E(logicalNot_i32),
    E(logicalNot_u8),
    E(add_f32), E(sub_f32), E(mul_f32), E(div_f32), E(pow_f32), E(maximum_f32), E(minimum_f32), E_CMP(f32),
    E(add_i32), E(sub_i32), E(mul_i32), E(pow_i32), E(maximum_i32), E(minimum_i32), E_CMP(i32),
    E_CMP(u8), E(logicalAnd_u8), E(logicalOr_u8),
    E(where_f32), E(where_i32), E(where_u8),
    E(copy_f32), E(copy_i32), E(copy_u8),
    E(castToI32_f32), E(castToBool_f32), E(castToF32_i32), E(castToBool_i32), E(castToF32_u8), E(castToI32_u8),
    E(fill_f32), E(fill_i32), E(fill_u8),
};

TL_TABLE(tl_elementwise_kernels, kTable)
