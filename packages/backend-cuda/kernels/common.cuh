// Device helpers shared by the kernels, and the generated op codes, dtype lists and argument
// structs (generated/ops.h).
#pragma once
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include "generated/ops.h"
#include "registry.h"

// A kernel table entry: the symbol, the (family, op code, input dtype code) the host launches
// it by, and its argument struct.
#define TL_ENTRY(symbol, family, op, dtype, Params) {#symbol, family, op, dtype, (const void*)&symbol, sizeof(Params), #Params}
#define TL_TABLE(fn, table) \
  KernelTable fn() { return KernelTable{table, sizeof(table) / sizeof(table[0])}; }

// The op table's codes by name (UNARY_sigmoid == 13, ...): functors are specialised on these.
#define TL_UNARY_CODE(name, code) UNARY_##name = code,
#define TL_BINARY_CODE(name, code) BINARY_##name = code,
#define TL_REDUCE_CODE(name, code) REDUCE_##name = code,
#define TL_ARG_REDUCE_CODE(name, code) ARG_REDUCE_##name = code,
enum UnaryCode : int { TL_UNARY_OPS(TL_UNARY_CODE) };
enum BinaryCode : int { TL_BINARY_OPS(TL_BINARY_CODE) };
enum ReduceCode : int { TL_REDUCE_OPS(TL_REDUCE_CODE) };
enum ArgReduceCode : int { TL_ARG_REDUCE_OPS(TL_ARG_REDUCE_CODE) };

typedef long long i64;

// Grid-stride loop over [0, n).
#define TL_FOR(i, n) \
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

template <class T>
__device__ __forceinline__ T* dev(uint64_t address) {
  return reinterpret_cast<T*>(address);
}

// JavaScript's ToInt32 (what a store into an Int32Array does): NaN and infinities give 0,
// everything else truncates toward zero and wraps modulo 2^32. The cpu backend's int32
// results come from such stores, so integer kernels convert through this.
__device__ __forceinline__ int js_to_int32(double v) {
  if (!isfinite(v)) return 0;
  double t = trunc(v);
  if (t >= -2147483648.0 && t <= 2147483647.0) return (int)t;
  double m = fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int)(unsigned int)m;
}

// Element offset of row-major index i of `shape` under `strides`.
__device__ __forceinline__ i64 strided_offset(i64 i, int rank, const int64_t* shape, const int64_t* strides) {
  i64 off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    i64 s = shape[d];
    i64 c = i % s;
    i /= s;
    off += c * strides[d];
  }
  return off;
}

// Reduce `v` across the block (blockDim.x a multiple of 32, at most 1024) with `combine`;
// every thread gets the result. `scratch` holds 32 values.
template <class T, class F>
__device__ T block_reduce(T v, F combine, T* scratch) {
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1) v = combine(v, __shfl_down_sync(0xffffffffu, v, o));
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const unsigned warps = blockDim.x >> 5;
  if (warp == 0) {
    v = lane < warps ? scratch[lane] : scratch[0];
    for (int o = 16; o > 0; o >>= 1) {
      T other = __shfl_down_sync(0xffffffffu, v, o);
      if (lane + o < warps) v = combine(v, other);
    }
    if (lane == 0) scratch[0] = v;
  }
  __syncthreads();
  return scratch[0];
}
