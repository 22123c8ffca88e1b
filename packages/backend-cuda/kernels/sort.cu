// sort: the first k elements of each row of a [rows, n] view in stable order, as a bitonic
// sort of (key, position) pairs. The launches come from core's planBitonicSort (the webgpu
// backend runs the same plan in WGSL): segment sorts of TL_SORT_BLOCK pairs in shared memory,
// top-k levels that keep each segment's first k, global steps and in-block merges of a full
// bitonic network over rows padded to a power of two, and the final emit.
//
// Every element becomes a 32-bit key whose unsigned order is the order wanted (NaN above
// +Infinity, -0 equal to +0, all bits flipped for descending); pairs compare by key, then
// position, so the network's result is the stable order. Padding is (0xffffffff, 0xffffffff).
// Values are read from x at the sorted positions, so NaN payloads and -0 survive.
#include "common.cuh"

// Which segment sort: where it reads (x, or pairs of an earlier level) and where it writes.
enum SortVariant : int { SORT_X_TO_PAIRS = 0, SORT_X_TO_OUT = 1, SORT_PAIRS_TO_PAIRS = 2, SORT_PAIRS_TO_OUT = 3 };

__device__ __forceinline__ unsigned sort_key(float v, unsigned flip) {
  const unsigned b = __float_as_uint(v);
  unsigned key;
  if ((b & 0x7fffffffu) > 0x7f800000u) key = 0xffffffffu;  // NaN, any sign and payload
  else if (b == 0x80000000u) key = 0x80000000u;             // -0 sorts as +0
  else key = (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  return key ^ flip;
}
__device__ __forceinline__ unsigned sort_key(int v, unsigned flip) { return ((unsigned)v ^ 0x80000000u) ^ flip; }

__device__ __forceinline__ bool pair_after(unsigned ka, unsigned pa, unsigned kb, unsigned pb) {
  return ka > kb || (ka == kb && pa > pb);
}

// Slots of the pair t of a step at distance d: mirrored within blocks of 2d, or i and i + d.
__device__ __forceinline__ void pair_slots(unsigned t, unsigned d, bool mirror, unsigned& i, unsigned& j) {
  const unsigned base = (t / d) * 2u * d, o = t % d;
  i = base + o;
  j = mirror ? base + 2u * d - 1u - o : base + o + d;
}

// One step over the block's shared pairs (TL_SORT_THREADS threads, one pair each).
__device__ __forceinline__ void shared_step(unsigned* sk, unsigned* sp, unsigned d, bool mirror) {
  unsigned i, j;
  pair_slots(threadIdx.x, d, mirror, i, j);
  const unsigned ki = sk[i], kj = sk[j], pi = sp[i], pj = sp[j];
  if (pair_after(ki, pi, kj, pj)) {
    sk[i] = kj; sk[j] = ki; sp[i] = pj; sp[j] = pi;
  }
  __syncthreads();
}

template <class T, int Variant>
__device__ void sort_segments_body(const SortParams& p) {
  __shared__ unsigned sk[TL_SORT_BLOCK];
  __shared__ unsigned sp[TL_SORT_BLOCK];
  constexpr bool fromX = Variant == SORT_X_TO_PAIRS || Variant == SORT_X_TO_OUT;
  constexpr bool toOut = Variant == SORT_X_TO_OUT || Variant == SORT_PAIRS_TO_OUT;
  const T* x = dev<const T>(p.x);
  const unsigned span = (unsigned)p.span;
  const unsigned flip = (unsigned)p.flip;
  const i64 first = (i64)blockIdx.x * p.perGroup;
  for (unsigned e = threadIdx.x; e < TL_SORT_BLOCK; e += TL_SORT_THREADS) {
    const i64 gs = first + e / span;
    const i64 pos = e % span;
    const i64 row = gs / p.segs, c = gs % p.segs;
    const i64 at = c * span + pos;
    unsigned key = 0xffffffffu, position = 0xffffffffu;
    if (gs < p.total && at < p.m) {
      if (fromX) {
        key = sort_key(x[p.xOffset + row * p.xRow + at * p.xStep], flip);
        position = (unsigned)at;
      } else {
        key = dev<const unsigned>(p.inKeys)[row * p.inRow + at];
        position = dev<const unsigned>(p.inPos)[row * p.inRow + at];
      }
    }
    sk[e] = key;
    sp[e] = position;
  }
  __syncthreads();
  for (unsigned s = 2; s <= span; s *= 2) {
    shared_step(sk, sp, s / 2, true);
    for (unsigned d = s / 4; d >= 1; d /= 2) shared_step(sk, sp, d, false);
  }
  for (unsigned e = threadIdx.x; e < TL_SORT_BLOCK; e += TL_SORT_THREADS) {
    const i64 gs = first + e / span;
    const i64 pos = e % span;
    if (gs >= p.total || pos >= p.keep) continue;
    const i64 row = gs / p.segs, c = gs % p.segs;
    if (toOut) {
      const i64 at = row * p.keep + pos;
      dev<T>(p.values)[at] = x[p.xOffset + row * p.xRow + (i64)sp[e] * p.xStep];
      dev<int>(p.indices)[at] = (int)sp[e];
    } else {
      const i64 at = row * p.segs * p.keep + c * p.keep + pos;
      dev<unsigned>(p.outKeys)[at] = sk[e];
      dev<unsigned>(p.outPos)[at] = sp[e];
    }
  }
}

// One compare-exchange step over rows of rowLength pairs (in place in outKeys / outPos).
__device__ void sort_step_body(const SortParams& p) {
  unsigned* keys = dev<unsigned>(p.outKeys);
  unsigned* pos = dev<unsigned>(p.outPos);
  const i64 half = p.rowLength / 2;
  TL_FOR(g, p.count) {
    const i64 row = g / half;
    unsigned i, j;
    pair_slots((unsigned)(g % half), (unsigned)p.dist, p.mirror != 0, i, j);
    const i64 a = row * p.rowLength + i, b = row * p.rowLength + j;
    const unsigned ka = keys[a], kb = keys[b], pa = pos[a], pb = pos[b];
    if (pair_after(ka, pa, kb, pb)) {
      keys[a] = kb; keys[b] = ka; pos[a] = pb; pos[b] = pa;
    }
  }
}

// The steps of distance TL_SORT_BLOCK / 2 down to 1 inside block blockIdx.x of the pairs.
__device__ void sort_merge_body(const SortParams& p) {
  __shared__ unsigned sk[TL_SORT_BLOCK];
  __shared__ unsigned sp[TL_SORT_BLOCK];
  unsigned* keys = dev<unsigned>(p.outKeys) + (i64)blockIdx.x * TL_SORT_BLOCK;
  unsigned* pos = dev<unsigned>(p.outPos) + (i64)blockIdx.x * TL_SORT_BLOCK;
  for (unsigned e = threadIdx.x; e < TL_SORT_BLOCK; e += TL_SORT_THREADS) {
    sk[e] = keys[e];
    sp[e] = pos[e];
  }
  __syncthreads();
  for (unsigned d = TL_SORT_BLOCK / 2; d >= 1; d /= 2) shared_step(sk, sp, d, false);
  for (unsigned e = threadIdx.x; e < TL_SORT_BLOCK; e += TL_SORT_THREADS) {
    keys[e] = sk[e];
    pos[e] = sp[e];
  }
}

// Each row's first k pairs (rows of rowLength) to values and indices.
template <class T>
__device__ void sort_emit_body(const SortParams& p) {
  const T* x = dev<const T>(p.x);
  const unsigned* pos = dev<const unsigned>(p.inPos);
  TL_FOR(g, p.count) {
    const i64 row = g / p.k, j = g % p.k;
    const unsigned at = pos[row * p.rowLength + j];
    dev<T>(p.values)[g] = x[p.xOffset + row * p.xRow + (i64)at * p.xStep];
    dev<int>(p.indices)[g] = (int)at;
  }
}

// The pair buffers are int32 buffers of the backend: the steps on them go by that dtype.
extern "C" __global__ void sortStep_i32(const SortParams p) { sort_step_body(p); }
extern "C" __global__ void sortMerge_i32(const SortParams p) { sort_merge_body(p); }

// Sorting takes float32 and int32 (core sorts bools as int32).
#define TL_SORT_DTYPES(X) X(f32, float, TL_DTYPE_FLOAT32) X(i32, int, TL_DTYPE_INT32)

#define TL_SORT_KERNELS(dtype, T, dtypeCode)                                                                  \
  extern "C" __global__ void sortXToPairs_##dtype(const SortParams p) { sort_segments_body<T, SORT_X_TO_PAIRS>(p); } \
  extern "C" __global__ void sortXToOut_##dtype(const SortParams p) { sort_segments_body<T, SORT_X_TO_OUT>(p); }     \
  extern "C" __global__ void sortPairsToPairs_##dtype(const SortParams p) {                                         \
    sort_segments_body<T, SORT_PAIRS_TO_PAIRS>(p);                                                              \
  }                                                                                                             \
  extern "C" __global__ void sortPairsToOut_##dtype(const SortParams p) { sort_segments_body<T, SORT_PAIRS_TO_OUT>(p); } \
  extern "C" __global__ void sortEmit_##dtype(const SortParams p) { sort_emit_body<T>(p); }
TL_SORT_DTYPES(TL_SORT_KERNELS)

#define TL_SORT_ENTRIES(dtype, T, dtypeCode)                                                    \
  TL_ENTRY(sortXToPairs_##dtype, "sortSegments", SORT_X_TO_PAIRS, dtypeCode, SortParams),         \
  TL_ENTRY(sortXToOut_##dtype, "sortSegments", SORT_X_TO_OUT, dtypeCode, SortParams),             \
  TL_ENTRY(sortPairsToPairs_##dtype, "sortSegments", SORT_PAIRS_TO_PAIRS, dtypeCode, SortParams), \
  TL_ENTRY(sortPairsToOut_##dtype, "sortSegments", SORT_PAIRS_TO_OUT, dtypeCode, SortParams),     \
  TL_ENTRY(sortEmit_##dtype, "sortEmit", 0, dtypeCode, SortParams),
static const KernelEntry kTable[] = {
  TL_SORT_DTYPES(TL_SORT_ENTRIES)
  TL_ENTRY(sortStep_i32, "sortStep", 0, TL_DTYPE_INT32, SortParams),
  TL_ENTRY(sortMerge_i32, "sortMerge", 0, TL_DTYPE_INT32, SortParams),
};
TL_TABLE(tl_sort_kernels, kTable)
