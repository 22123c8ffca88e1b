/** Matrix products with PyTorch's `matmul` rules: dot, matrix-vector, batched broadcasting. */
import { recordOp } from '../autograd/engine.js';
import { owned } from '../memory.js';
import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { sumToShape } from './elementwise.js';
import { deviceOf, empty, requireTensor } from './util.js';
import { isFloating } from '../dtype.js';
import { zeros } from './creation.js';
import { autocastActive, autocasting } from '../autocast.js';

/** Batched product of tensors of rank >= 2, broadcasting batch dims, with its gradient. */
function batchedMatmul(a: Tensor, b: Tensor): Tensor {
  const backend = deviceOf('matmul', a, b);
  const m = a.shape[a.rank - 2];
  const k = a.shape[a.rank - 1];
  const k2 = b.shape[b.rank - 2];
  const n = b.shape[b.rank - 1];
  if (k !== k2) {
    throw new Error(`matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (${k} != ${k2})`);
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  if (a.dtype === 'int32') return intMatmul(a, b, batch, m, k, n);
  return owned((own) => {
    // The output first: a failed allocation then leaves no views behind.
    const out = own(empty(backend, [...batch, m, n], a.dtype, 'matmul'));
    backend.matmul(own(a.expand([...batch, m, k])).kernelView, own(b.expand([...batch, k, n])).kernelView, out.kernelView);
    const aShape = a.shape;
    const bShape = b.shape;
    return recordOp('matmul', [a, b], out, [a, b], (g, [sa, sb], needs) =>
      owned((own) => [
        needs[0] ? sumToShape(own(batchedMatmul(g, own(sb.transpose(-1, -2)))), aShape) : null,
        needs[1] ? sumToShape(own(batchedMatmul(own(sa.transpose(-1, -2)), g)), bShape) : null,
      ]),
    );
  });
}

/**
 * int32 products, exact and wrapping modulo 2^32 as PyTorch's CPU matmul: the backends'
 * matmul kernels are float only, so this broadcasts the products ([..., m, k, n], each wrapping
 * as int32 mul does) and sums over k (int32 sums wrap too). No gradient: ints take none.
 */
function intMatmul(a: Tensor, b: Tensor, batch: readonly number[], m: number, k: number, n: number): Tensor {
  return owned((t) => {
    if (k === 0) return zeros([...batch, m, n], { dtype: 'int32', device: a.device });
    const products = t(t(t(a.expand([...batch, m, k])).unsqueeze(-1)).mul(t(t(b.expand([...batch, k, n])).unsqueeze(-3))));
    return products.sum(-2);
  });
}

/**
 * Matrix product as PyTorch's `matmul`: 1-D x 1-D is a dot product, a 1-D operand is
 * treated as a row (left) or column (right) vector and its dim removed after, and leading
 * batch dims broadcast. Two int32 operands give an exact int32 product (wrapping, as PyTorch's CPU).
 *
 * @example
 * ```ts
 * tl.randn([8, 2, 3]).matmul(tl.randn([3, 4])); // [8, 2, 4]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocasting('matmul', [a, b], matmul);
  requireTensor('matmul', a, 'operand 0');
  requireTensor('matmul', b, 'operand 1');
  if (a.rank === 0 || b.rank === 0) {
    throw new Error(`matmul: both operands need at least 1 dim, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (!(isFloating(a.dtype) || a.dtype === 'int32') || a.dtype !== b.dtype) {
    throw new TypeError(`matmul: expected two float32, two float16 or two int32 operands, got ${a.dtype} and ${b.dtype}; cast with t.float()`);
  }
  return owned((own) => {
    const a2 = a.rank === 1 ? own(a.unsqueeze(0)) : a;
    const b2 = b.rank === 1 ? own(b.unsqueeze(-1)) : b;
    if (a2.shape[a2.rank - 1] !== b2.shape[b2.rank - 2]) {
      throw new Error(
        `matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} ` +
          `(${a2.shape[a2.rank - 1]} != ${b2.shape[b2.rank - 2]})`,
      );
    }
    const out = batchedMatmul(a2, b2);
    const drop: number[] = [];
    if (a.rank === 1) drop.push(out.rank - 2);
    if (b.rank === 1) drop.push(out.rank - 1);
    return drop.length ? own(out).squeeze(drop) : out;
  });
}
