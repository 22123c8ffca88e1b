// Argument blocks of the kernels: each kernel takes one of these structs by value. The
// TypeScript side (src/params.ts) packs the same layouts field by field; every field is 8
// bytes so there is no padding to disagree about, and the addon reports sizeof/offsetof of
// each struct (native layouts()) so a test can check the two sides match.
//
// Conventions: pointers are device addresses; offsets and strides count elements; dims are
// coalesced on the TypeScript side, so MAX_DIMS bounds the rank *after* merging.
#pragma once
#include <stdint.h>

#define TL_MAX_DIMS 8
#define TL_MAX_OPERANDS 4

// unary, binary, where, cast, copy, fill. Operand 0 is `out`, 1..3 are the inputs.
struct ElementwiseParams {
  int64_t n;                                   // elements of out
  int64_t rank;                                // dims of shape (0..TL_MAX_DIMS)
  int64_t shape[TL_MAX_DIMS];
  int64_t offset[TL_MAX_OPERANDS];
  int64_t strides[TL_MAX_OPERANDS][TL_MAX_DIMS];
  uint64_t ptr[TL_MAX_OPERANDS];
  double scalar;                               // fill_f32
  int64_t iscalar;                             // fill_i32, fill_u8
};

// reduce (sum/prod/max/min), argmax/argmin, softmax/logSoftmax. The input is split into
// `outer` kept positions and `inner` reduced ones, each walked by its own shape/strides.
struct ReduceParams {
  int64_t outer;
  int64_t inner;
  int64_t outerRank;
  int64_t innerRank;
  int64_t outerShape[TL_MAX_DIMS];
  int64_t innerShape[TL_MAX_DIMS];
  int64_t xOuterStrides[TL_MAX_DIMS];
  int64_t xInnerStrides[TL_MAX_DIMS];
  int64_t outOuterStrides[TL_MAX_DIMS];
  int64_t outInnerStrides[TL_MAX_DIMS];        // softmax only (out has the input's shape)
  int64_t xOffset;
  int64_t outOffset;
  uint64_t x;
  uint64_t out;
  int64_t mode;                                // 0: one block per output; 1: one thread per output
};

// Batched matmul C = A B with arbitrary strides; batch dims broadcast through stride 0.
struct MatmulParams {
  int64_t M, N, K;
  int64_t batch;                               // product of batchShape
  int64_t batchRank;
  int64_t batchShape[TL_MAX_DIMS];
  int64_t aBatchStrides[TL_MAX_DIMS];
  int64_t bBatchStrides[TL_MAX_DIMS];
  int64_t cBatchStrides[TL_MAX_DIMS];
  int64_t aOffset, bOffset, cOffset;
  int64_t aRowStride, aColStride;              // A[m, k] at aRowStride * m + aColStride * k
  int64_t bRowStride, bColStride;              // B[k, n]
  int64_t cRowStride, cColStride;              // C[m, n]
  uint64_t a, b, c;
  int64_t kChunk;                              // split-K: K range per split
  int64_t splits;                              // > 1: partial sums are atomically added to a zeroed C
};

// conv2d and its two gradients as implicit GEMMs. `x` is the input (or its gradient),
// `w` the weight (or its gradient), `y` the output (or dy); all NCHW / OIHW with strides.
struct ConvParams {
  int64_t batch, inC, inH, inW, outC, outH, outW, kH, kW;
  int64_t strideH, strideW, padH, padW, dilH, dilW, groups;
  int64_t xStrides[4];
  int64_t wStrides[4];
  int64_t yStrides[4];
  int64_t xOffset, wOffset, yOffset;
  uint64_t x, w, y;
  int64_t kChunk;
  int64_t splits;
};

// pool2d (x -> y) and pool2dBackward (x, dy = y -> g).
struct PoolParams {
  int64_t batch, channels, inH, inW, outH, outW, kH, kW;
  int64_t strideH, strideW, padH, padW, dilH, dilW;
  int64_t countIncludePad;
  int64_t xStrides[4];
  int64_t yStrides[4];
  int64_t gStrides[4];
  int64_t xOffset, yOffset, gOffset;
  uint64_t x, y, g;
};

// gather (src = x with `dim` pinned) and scatterAdd (out with `dim` pinned); walks index's shape.
struct IndexParams {
  int64_t n;
  int64_t rank;
  int64_t dimSize;                             // size of the indexed dim (for negative indices)
  int64_t dimStride;                           // stride of the indexed operand along dim
  int64_t shape[TL_MAX_DIMS];
  int64_t indexStrides[TL_MAX_DIMS];
  int64_t srcStrides[TL_MAX_DIMS];
  int64_t outStrides[TL_MAX_DIMS];
  int64_t indexOffset, srcOffset, outOffset;
  uint64_t index, src, out;
};

// Philox4x32-10 draws: element i (row-major over shape) uses counter counterOffset + i.
struct RandomParams {
  int64_t n;
  int64_t rank;
  int64_t shape[TL_MAX_DIMS];
  int64_t strides[TL_MAX_DIMS];
  int64_t offset;
  uint64_t out;
  int64_t seed;
  int64_t counterOffset;
};
