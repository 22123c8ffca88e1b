// Strided elementwise kernels: unary, binary, where, cast, copy, fill, for float32 (f32),
// int32 (i32) and bool (u8, 0/1 bytes). One thread per output element in a grid-stride
// loop; operands are read through their own strides (0 on broadcast dims), so broadcasts
// and transposes cost nothing. Float math runs in double and rounds once on the store,
// as the cpu reference does.
//
// Unary and binary ops: one functor per op code (`Unary<UNARY_exp>`), with a member per
// dtype its kernel takes (`f32`, `i32`, `u8`). One kernel per entry of the generated
// TL_CUDA_UNARY_KERNELS / TL_CUDA_BINARY_KERNELS lists (the ops src/kernels/elementwise.ts
// declares, in the dtypes the op table sends) is instantiated from them, so a declared op
// without its functor, or a dtype without its member, is a compile error here, never a
// kernel that computes something else. Core applies every dtype rule first: no kernel
// here checks a dtype.
#include <type_traits>
#include "common.cuh"

// ---- indexing ----------------------------------------------------------------------------

// The general walk divides 64-bit indices, which is long code: it is compiled once (not
// inlined into each of the ~90 kernels) and only runs when merging left more than one dim.
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

// out = f(x); the output type is f's.
template <class In, class F>
__device__ void unary_body(const ElementwiseParams& p, F f) {
  using Out = decltype(f(In()));
  Out* out = dev<Out>(p.ptr[0]);
  const In* x = dev<const In>(p.ptr[1]);
  TL_FOR(i, p.n) {
    i64 off[2];
    operand_offsets<2>(p, i, off);
    out[off[0]] = f(x[off[1]]);
  }
}

template <class In, class F>
__device__ void binary_body(const ElementwiseParams& p, F f) {
  using Out = decltype(f(In(), In()));
  Out* out = dev<Out>(p.ptr[0]);
  const In* a = dev<const In>(p.ptr[1]);
  const In* b = dev<const In>(p.ptr[2]);
  TL_FOR(i, p.n) {
    i64 off[3];
    operand_offsets<3>(p, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
}

// ---- unary ops ------------------------------------------------------------------------------

// Whether functor F has a member for a dtype (f32, i32, u8): each kernel asserts it, naming
// the op, so a declared op without its functor (or a dtype without its member) fails here.
#define TL_HAS_MEMBER(member)                                                 \
  template <class F, class = void>                                            \
  struct has_##member : std::false_type {};                                   \
  template <class F>                                                          \
  struct has_##member<F, std::void_t<decltype(&F::member)>> : std::true_type {};
TL_HAS_MEMBER(f32)
TL_HAS_MEMBER(i32)
TL_HAS_MEMBER(u8)

// The functor of a unary op code: only the specialisations below have members.
template <int Op>
struct Unary {};

// The float32 member of a functor: `expr` in double on `v`, rounded once.
#define TL_F32(expr) \
  static __device__ __forceinline__ float f32(float x) { const double v = x; return (float)(expr); }

__device__ __forceinline__ double sigmoid_d(double v) {
  if (v >= 0) return 1.0 / (1.0 + exp(-v));
  const double e = exp(v);
  return e / (1.0 + e);
}

template <> struct Unary<UNARY_neg> {
  TL_F32(-v)
  static __device__ __forceinline__ int i32(int v) { return (int)(0u - (unsigned)v); }  // wraps at INT_MIN like an Int32Array store
};
template <> struct Unary<UNARY_abs> {
  TL_F32(fabs(v))
  static __device__ __forceinline__ int i32(int v) { return v < 0 ? (int)(0u - (unsigned)v) : v; }
};
template <> struct Unary<UNARY_sign> {
  TL_F32((double)((v > 0) - (v < 0)))
  static __device__ __forceinline__ int i32(int v) { return (v > 0) - (v < 0); }
};
template <> struct Unary<UNARY_exp> { TL_F32(exp(v)) };
template <> struct Unary<UNARY_expm1> { TL_F32(expm1(v)) };
template <> struct Unary<UNARY_log> { TL_F32(log(v)) };
template <> struct Unary<UNARY_log1p> { TL_F32(log1p(v)) };
template <> struct Unary<UNARY_sqrt> { TL_F32(sqrt(v)) };
template <> struct Unary<UNARY_rsqrt> { TL_F32(1.0 / sqrt(v)) };
template <> struct Unary<UNARY_reciprocal> { TL_F32(1.0 / v) };
template <> struct Unary<UNARY_sin> { TL_F32(sin(v)) };
template <> struct Unary<UNARY_cos> { TL_F32(cos(v)) };
template <> struct Unary<UNARY_tanh> { TL_F32(tanh(v)) };
template <> struct Unary<UNARY_sigmoid> { TL_F32(sigmoid_d(v)) };
template <> struct Unary<UNARY_relu> {
  TL_F32(v < 0 ? 0.0 : v)  // NaN stays NaN, as torch.relu
  static __device__ __forceinline__ int i32(int v) { return v < 0 ? 0 : v; }
};
template <> struct Unary<UNARY_erf> { TL_F32(erf(v)) };
template <> struct Unary<UNARY_floor> { TL_F32(floor(v)) };
template <> struct Unary<UNARY_ceil> { TL_F32(ceil(v)) };
template <> struct Unary<UNARY_round> { TL_F32(rint(v)) };  // round half to even, as torch.round
template <> struct Unary<UNARY_logicalNot> {  // NaN is truthy, as in PyTorch
  static __device__ __forceinline__ uint8_t f32(float v) { return v == 0.f ? 1 : 0; }
  static __device__ __forceinline__ uint8_t i32(int v) { return v == 0 ? 1 : 0; }
  static __device__ __forceinline__ uint8_t u8(uint8_t v) { return v == 0 ? 1 : 0; }
};

#define TL_UNARY_KERNEL(op, code, dtype, T, dtypeCode)                                         \
  extern "C" __global__ void op##_##dtype(const ElementwiseParams p) {                         \
    static_assert(has_##dtype<Unary<UNARY_##op>>::value, "elementwise.cu: the backend declares " \
                  "unary '" #op "' (src/kernels/elementwise.ts) but Unary<UNARY_" #op "> has no " #dtype); \
    unary_body<T>(p, [](T v) { return Unary<UNARY_##op>::dtype(v); });                          \
  }
TL_CUDA_UNARY_KERNELS(TL_UNARY_KERNEL)

// ---- binary ops -----------------------------------------------------------------------------

template <int Op>
struct Binary {};

// Comparisons: one formula (`Self::test`) for every dtype, writing bool.
template <class Self>
struct EveryDType {
  static __device__ __forceinline__ uint8_t f32(float a, float b) { return Self::test(a, b) ? 1 : 0; }
  static __device__ __forceinline__ uint8_t i32(int a, int b) { return Self::test(a, b) ? 1 : 0; }
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return Self::test(a, b) ? 1 : 0; }
};

template <> struct Binary<BINARY_add> {
  static __device__ __forceinline__ float f32(float a, float b) { return a + b; }
  static __device__ __forceinline__ int i32(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
};
template <> struct Binary<BINARY_sub> {
  static __device__ __forceinline__ float f32(float a, float b) { return a - b; }
  static __device__ __forceinline__ int i32(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
};
template <> struct Binary<BINARY_mul> {
  static __device__ __forceinline__ float f32(float a, float b) { return a * b; }
  static __device__ __forceinline__ int i32(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
};
// Rounded once from the exact double quotient, as the cpu backend's double math does.
template <> struct Binary<BINARY_div> {
  static __device__ __forceinline__ float f32(float a, float b) { return (float)((double)a / (double)b); }
};
template <> struct Binary<BINARY_pow> {
  static __device__ __forceinline__ float f32(float a, float b) { return (float)pow((double)a, (double)b); }
  // Powers by squaring in unsigned arithmetic: they wrap modulo 2^32 as PyTorch's int32 pow,
  // where a double pow would lose the low bits past 2^53. A negative power truncates toward zero.
  static __device__ __forceinline__ int i32(int a, int b) {
    if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
    unsigned r = 1, base = (unsigned)a;
    for (unsigned e = (unsigned)b; e != 0; e >>= 1) {
      if (e & 1) r *= base;
      base *= base;
    }
    return (int)r;
  }
};
// A NaN in either operand wins, as torch.maximum/minimum.
template <> struct Binary<BINARY_maximum> {
  static __device__ __forceinline__ float f32(float a, float b) { return (a > b || a != a) ? a : b; }
  static __device__ __forceinline__ int i32(int a, int b) { return a > b ? a : b; }
};
template <> struct Binary<BINARY_minimum> {
  static __device__ __forceinline__ float f32(float a, float b) { return (a < b || a != a) ? a : b; }
  static __device__ __forceinline__ int i32(int a, int b) { return a < b ? a : b; }
};
template <> struct Binary<BINARY_eq> : EveryDType<Binary<BINARY_eq>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a == b; }
};
template <> struct Binary<BINARY_ne> : EveryDType<Binary<BINARY_ne>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a != b; }
};
template <> struct Binary<BINARY_lt> : EveryDType<Binary<BINARY_lt>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a < b; }
};
template <> struct Binary<BINARY_le> : EveryDType<Binary<BINARY_le>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a <= b; }
};
template <> struct Binary<BINARY_gt> : EveryDType<Binary<BINARY_gt>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a > b; }
};
template <> struct Binary<BINARY_ge> : EveryDType<Binary<BINARY_ge>> {
  template <class T> static __device__ __forceinline__ bool test(T a, T b) { return a >= b; }
};
// Core casts float and int operands of logical ops to bool first.
template <> struct Binary<BINARY_logicalAnd> {
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return a != 0 && b != 0 ? 1 : 0; }
};
template <> struct Binary<BINARY_logicalOr> {
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return a != 0 || b != 0 ? 1 : 0; }
};
// Division families. int32 kernels give 0 for a zero divisor (core raises before, where it can
// read the divisor); -1 is taken apart so -2^31 / -1 cannot trap.
__device__ __forceinline__ double remainder_d(double a, double b) {
  double m = fmod(a, b);
  if (m != 0 && ((b < 0) != (m < 0))) m += b;
  return m;
}
__device__ __forceinline__ double floordiv_d(double a, double b) {  // PyTorch's div_floor_floating
  if (b == 0) return a / b;
  double m = fmod(a, b);
  double q = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) q -= 1;
  if (q == 0) return copysign(0.0, a / b);
  double f = floor(q);
  if (q - f > 0.5) f += 1;
  return f;
}
template <> struct Binary<BINARY_remainder> {
  static __device__ __forceinline__ float f32(float a, float b) { return (float)remainder_d(a, b); }
  static __device__ __forceinline__ int i32(int a, int b) {
    if (b == 0 || b == -1) return 0;
    int m = a % b;
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
  }
};
template <> struct Binary<BINARY_fmod> {
  static __device__ __forceinline__ float f32(float a, float b) { return (float)fmod((double)a, (double)b); }
  static __device__ __forceinline__ int i32(int a, int b) { return (b == 0 || b == -1) ? 0 : a % b; }
};
template <> struct Binary<BINARY_floorDivide> {
  static __device__ __forceinline__ float f32(float a, float b) { return (float)floordiv_d(a, b); }
  static __device__ __forceinline__ int i32(int a, int b) {
    if (b == 0) return 0;
    if (b == -1) return (int)(0u - (unsigned)a);
    int q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  }
};
// Bitwise: int32, and bool (0/1). Shift counts are taken modulo 32, as the op table says.
template <> struct Binary<BINARY_bitwiseAnd> {
  static __device__ __forceinline__ int i32(int a, int b) { return a & b; }
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return a & b; }
};
template <> struct Binary<BINARY_bitwiseOr> {
  static __device__ __forceinline__ int i32(int a, int b) { return a | b; }
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return a | b; }
};
template <> struct Binary<BINARY_bitwiseXor> {
  static __device__ __forceinline__ int i32(int a, int b) { return a ^ b; }
  static __device__ __forceinline__ uint8_t u8(uint8_t a, uint8_t b) { return a ^ b; }
};
template <> struct Binary<BINARY_bitwiseLeftShift> {
  static __device__ __forceinline__ int i32(int a, int b) { return (int)((unsigned)a << (b & 31)); }
};
template <> struct Binary<BINARY_bitwiseRightShift> {
  static __device__ __forceinline__ int i32(int a, int b) { return a >> (b & 31); }  // arithmetic on signed int
};

#define TL_BINARY_KERNEL(op, code, dtype, T, dtypeCode)                                          \
  extern "C" __global__ void op##_##dtype(const ElementwiseParams p) {                           \
    static_assert(has_##dtype<Binary<BINARY_##op>>::value, "elementwise.cu: the backend declares " \
                  "binary '" #op "' (src/kernels/elementwise.ts) but Binary<BINARY_" #op "> has no " #dtype); \
    binary_body<T>(p, [](T a, T b) { return Binary<BINARY_##op>::dtype(a, b); });                 \
  }
TL_CUDA_BINARY_KERNELS(TL_BINARY_KERNEL)

// ---- where, copy, cast, fill: every dtype ----------------------------------------------------

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

// Conversions as the cpu's typed-array stores do them; only the pairs below exist.
template <class To, class From>
struct Convert {
  static_assert(sizeof(To) == 0, "elementwise.cu: no conversion for a cast in TL_CUDA_CASTS");
};
template <> struct Convert<int, float> { static __device__ __forceinline__ int apply(float v) { return js_to_int32((double)v); } };
template <> struct Convert<float, int> { static __device__ __forceinline__ float apply(int v) { return (float)v; } };
template <> struct Convert<float, uint8_t> { static __device__ __forceinline__ float apply(uint8_t v) { return (float)v; } };
template <> struct Convert<int, uint8_t> { static __device__ __forceinline__ int apply(uint8_t v) { return (int)v; } };
template <class From> struct Convert<uint8_t, From> {  // != 0; NaN is true
  static __device__ __forceinline__ uint8_t apply(From v) { return v != (From)0 ? 1 : 0; }
};

template <class T>
__device__ __forceinline__ T fill_value(const ElementwiseParams& p) { return (T)p.iscalar; }
template <>
__device__ __forceinline__ float fill_value<float>(const ElementwiseParams& p) { return (float)p.scalar; }

template <class T>
__device__ void fill_body(const ElementwiseParams& p) {
  T* out = dev<T>(p.ptr[0]);
  const T value = fill_value<T>(p);
  TL_FOR(i, p.n) {
    i64 off[1];
    operand_offsets<1>(p, i, off);
    out[off[0]] = value;
  }
}

#define TL_EVERY_DTYPE_KERNELS(dtype, T, dtypeCode)                                                       \
  extern "C" __global__ void where_##dtype(const ElementwiseParams p) { where_body<T>(p); }               \
  extern "C" __global__ void copy_##dtype(const ElementwiseParams p) { unary_body<T>(p, [](T v) { return v; }); } \
  extern "C" __global__ void fill_##dtype(const ElementwiseParams p) { fill_body<T>(p); }
TL_CUDA_DTYPES(TL_EVERY_DTYPE_KERNELS)

#define TL_CAST_KERNEL(symbol, From, fromCode, To, toCode) \
  extern "C" __global__ void symbol(const ElementwiseParams p) { unary_body<From>(p, [](From v) { return Convert<To, From>::apply(v); }); }
TL_CUDA_CASTS(TL_CAST_KERNEL)

// ---- table ----------------------------------------------------------------------------------

#define TL_UNARY_ENTRY(op, code, dtype, T, dtypeCode) TL_ENTRY(op##_##dtype, "unary", code, dtypeCode, ElementwiseParams),
#define TL_BINARY_ENTRY(op, code, dtype, T, dtypeCode) TL_ENTRY(op##_##dtype, "binary", code, dtypeCode, ElementwiseParams),
#define TL_EVERY_DTYPE_ENTRIES(dtype, T, dtypeCode)                \
  TL_ENTRY(where_##dtype, "where", 0, dtypeCode, ElementwiseParams), \
  TL_ENTRY(copy_##dtype, "copy", 0, dtypeCode, ElementwiseParams),   \
  TL_ENTRY(fill_##dtype, "fill", 0, dtypeCode, ElementwiseParams),
#define TL_CAST_ENTRY(symbol, From, fromCode, To, toCode) TL_ENTRY(symbol, "cast", toCode, fromCode, ElementwiseParams),

static const KernelEntry kTable[] = {
    TL_CUDA_UNARY_KERNELS(TL_UNARY_ENTRY)
    TL_CUDA_BINARY_KERNELS(TL_BINARY_ENTRY)
    TL_CUDA_DTYPES(TL_EVERY_DTYPE_ENTRIES)
    TL_CUDA_CASTS(TL_CAST_ENTRY)
};

TL_TABLE(tl_elementwise_kernels, kTable)
