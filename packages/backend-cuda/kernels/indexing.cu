// gather and scatterAdd along one dim, one thread per index element. The indexed operand
// (x for gather, out for scatterAdd) is walked with `dim` pinned (stride 0 there); the
// index supplies that coordinate. Negative indices count from the end, as on the cpu.
// scatterAdd accumulates with atomicAdd (bool: a byte add inside a 32-bit CAS, which wraps
// like the cpu's Uint8Array store).
#include "common.cuh"

struct IndexOffsets {
  i64 index, src, out;
};

__device__ __forceinline__ IndexOffsets index_offsets(const IndexParams& p, i64 i) {
  IndexOffsets o{p.indexOffset, p.srcOffset, p.outOffset};
  for (int d = (int)p.rank - 1; d >= 0; --d) {
    const i64 c = i % p.shape[d];
    i /= p.shape[d];
    o.index += c * p.indexStrides[d];
    o.src += c * p.srcStrides[d];
    o.out += c * p.outStrides[d];
  }
  return o;
}

template <class T>
__device__ void gather_body(const IndexParams& p) {
  const int* index = dev<const int>(p.index);
  const T* src = dev<const T>(p.src);
  T* out = dev<T>(p.out);
  TL_FOR(i, p.n) {
    const IndexOffsets o = index_offsets(p, i);
    i64 j = index[o.index];
    if (j < 0) j += p.dimSize;
    out[o.out] = src[o.src + j * p.dimStride];
  }
}

__device__ __forceinline__ void atomic_add_any(float* at, float v) { atomicAdd(at, v); }
__device__ __forceinline__ void atomic_add_any(int* at, int v) { atomicAdd(at, v); }
__device__ __forceinline__ void atomic_add_any(uint8_t* at, uint8_t v) {
  unsigned int* word = reinterpret_cast<unsigned int*>(reinterpret_cast<uintptr_t>(at) & ~(uintptr_t)3);
  const unsigned shift = (unsigned)(reinterpret_cast<uintptr_t>(at) & 3) * 8;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned byte = ((assumed >> shift) + v) & 0xffu;
    old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (byte << shift));
  } while (old != assumed);
}

template <class T>
__device__ void scatter_add_body(const IndexParams& p) {
  const int* index = dev<const int>(p.index);
  const T* src = dev<const T>(p.src);
  T* out = dev<T>(p.out);
  TL_FOR(i, p.n) {
    const IndexOffsets o = index_offsets(p, i);
    i64 j = index[o.index];
    if (j < 0) j += p.dimSize;
    atomic_add_any(out + o.out + j * p.dimStride, src[o.src]);
  }
}

#define TL_INDEX_KERNELS(dtype, T, dtypeCode)                                                  \
  extern "C" __global__ void gather_##dtype(const IndexParams p) { gather_body<T>(p); }        \
  extern "C" __global__ void scatterAdd_##dtype(const IndexParams p) { scatter_add_body<T>(p); }
TL_CUDA_DTYPES(TL_INDEX_KERNELS)

#define TL_INDEX_ENTRIES(dtype, T, dtypeCode)                        \
  TL_ENTRY(gather_##dtype, "gather", 0, dtypeCode, IndexParams),     \
  TL_ENTRY(scatterAdd_##dtype, "scatterAdd", 0, dtypeCode, IndexParams),
static const KernelEntry kTable[] = {TL_CUDA_DTYPES(TL_INDEX_ENTRIES)};
TL_TABLE(tl_indexing_kernels, kTable)
