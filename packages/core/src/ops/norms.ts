/** Vector and matrix norms, and pairwise distances. */
import { owned } from '../memory.js';
import { isFloating } from '../dtype.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { inFloat32 } from './elementwise.js';
import { max, min } from './reduce.js';
import { reductionAxes, requireTensor } from './util.js';
import { autocastActive, autocasting } from '../autocast.js';
import { solvers } from './linalg.js';
import { spectral } from './linalg-spectral.js';

function floating(op: string, x: Tensor): void {
  requireTensor(op, x);
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating tensor, got ${x.dtype}; cast with t.float() first`);
}

/**
 * The vector `ord`-norm over `dim` (all elements when omitted), as torch.linalg.vector_norm:
 * `ord` is any number (2 by default), `Infinity` (largest |x|), `-Infinity` (smallest) or 0
 * (the count of non-zeros).
 *
 * @example
 * ```ts
 * tl.linalg.vectorNorm(x, 2, -1); // the length of each row
 * ```
 */
function vectorNorm(x: Tensor, ord = 2, dim?: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('vectorNorm', [x, ord, dim, keepdim], vectorNorm);
  floating('vectorNorm', x);
  if (typeof ord !== 'number' || Number.isNaN(ord)) throw new TypeError(`vectorNorm: ord must be a number or ±Infinity, got ${String(ord)}`);
  reductionAxes('vectorNorm', x.rank, dim);
  if (ord === Infinity || ord === -Infinity) {
    return owned((t) => (ord === Infinity ? max : min)(t(x.abs()), dim, keepdim));
  }
  // Sums accumulate in float32 for float16, as PyTorch's: a sum of squares passes 65504 quickly.
  return inFloat32([x], ([x]) =>
    owned((t) => {
      if (ord === 0) return t(t(x.ne(0)).cast(x.dtype)).sum(dim, keepdim);
      const a = t(x.abs());
      if (ord === 1) return a.sum(dim, keepdim);
      if (ord === 2) return t(t(x.square()).sum(dim, keepdim)).sqrt();
      return t(t(a.pow(ord)).sum(dim, keepdim)).pow(1 / ord);
    }),
  );
}

/**
 * A matrix norm over the two dims `dim` (the last two by default): 'fro' (Frobenius), 1 / -1
 * (largest / smallest column sum of |A|), Infinity / -Infinity (row sums), 'nuc' (the sum of
 * the singular values), 2 / -2 (the largest / smallest singular value).
 */
function matrixNorm(a: Tensor, ord: 'fro' | 'nuc' | number = 'fro', dim: [number, number] = [-2, -1], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('matrixNorm', [a, ord, dim, keepdim], matrixNorm);
  floating('matrixNorm', a);
  if (a.rank < 2) throw new Error(`matrixNorm: expected at least 2 dims, got ${formatShape(a.shape)}`);
  const [r, c] = dim.map((d) => normalizeDim(d, a.rank, 'matrixNorm'));
  if (r === c) throw new Error(`matrixNorm: dim must name two different dims, got [${dim}]`);
  if (ord === 'fro') return vectorNorm(a, 2, [r, c], keepdim);
  if (ord === 'nuc' || ord === 2 || ord === -2) {
    return owned((t) => {
      const values = t(spectral.svdvals(t(a.movedim([r, c], [-2, -1]))));
      const reduced = ord === 'nuc' ? t(values.sum(-1)) : ord === 2 ? t(values.amax(-1)) : t(values.amin(-1));
      if (!keepdim) return reduced.clone();
      const [first, second] = r < c ? [r, c] : [c, r];
      return t(reduced.unsqueeze(first)).unsqueeze(second);
    });
  }
  if (ord !== 1 && ord !== -1 && ord !== Infinity && ord !== -Infinity) {
    throw new Error(`matrixNorm: ord must be 'fro', 'nuc', 1, -1, 2, -2, Infinity or -Infinity, got ${JSON.stringify(ord)}`);
  }
  // 1-norms sum down columns (over the row dim) and pick the extreme column; Infinity-norms the reverse.
  const [summed, picked] = Math.abs(ord) === 1 ? [r, c] : [c, r];
  return inFloat32([a], ([a]) =>
    owned((t) => {
      const sums = t(t(a.abs()).sum(summed, true));
      const pick = ord > 0 ? max(sums, picked, true) : min(sums, picked, true);
      if (keepdim) return pick;
      t(pick);
      return pick.squeeze([r, c]);
    }),
  );
}

/**
 * PyTorch's `norm(x, p, dim, keepdim)`: 'fro' or a number; a vector norm over `dim` (all
 * elements when omitted), the Frobenius norm for 'fro'; 'nuc' is the nuclear norm of a
 * matrix (the last two dims, or the two of `dim`).
 */
export function norm(x: Tensor, p: number | 'fro' | 'nuc' = 'fro', dim?: number | number[], keepdim = false): Tensor {
  if (autocastActive()) return autocasting('norm', [x, p, dim, keepdim], norm);
  if (p === 'nuc') {
    floating('norm', x);
    const dims = dim === undefined ? (x.rank === 2 ? [-2, -1] : null) : Array.isArray(dim) && dim.length === 2 ? dim : null;
    if (!dims) throw new Error(`norm: p 'nuc' needs a matrix: a 2-D input, or dim naming two dims (got ${formatShape(x.shape)}, dim ${JSON.stringify(dim)})`);
    return matrixNorm(x, 'nuc', dims as [number, number], keepdim);
  }
  if (p !== 'fro' && typeof p !== 'number') throw new TypeError(`norm: p must be a number or 'fro', got ${JSON.stringify(p)}`);
  return vectorNorm(x, p === 'fro' ? 2 : p, dim, keepdim);
}

/**
 * The `p`-norm distance between every row of `a` `[..., P, M]` and every row of `b`
 * `[..., R, M]`, as `[..., P, R]` (batch dims broadcast). p = 2 goes through a matrix
 * product (||a||^2 + ||b||^2 - 2 a b^T), as PyTorch does for large inputs.
 *
 * @example
 * ```ts
 * tl.cdist(queries, keys); // [P, R] Euclidean distances
 * ```
 */
export function cdist(a: Tensor, b: Tensor, p = 2): Tensor {
  if (autocastActive()) return autocasting('cdist', [a, b, p], cdist);
  floating('cdist', a);
  floating('cdist', b);
  if (a.rank < 2 || b.rank < 2 || a.shape[a.rank - 1] !== b.shape[b.rank - 1]) {
    throw new Error(`cdist: expected [..., P, M] and [..., R, M] with the same M, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (typeof p !== 'number' || p < 0 || Number.isNaN(p)) throw new Error(`cdist: p must be a non-negative number, got ${p}`);
  return inFloat32([a, b], ([a, b]) => owned((t) => {
    if (p === 2) {
      const aa = t(t(a.square()).sum(-1, true));
      const bb = t(t(t(b.square()).sum(-1, true)).transpose(-1, -2));
      const ab = t(a.matmul(t(b.transpose(-1, -2))));
      return t(t(t(aa.add(bb)).sub(t(ab.mul(2)))).clamp(0)).sqrt();
    }
    const diff = t(t(a.unsqueeze(-2)).sub(t(b.unsqueeze(-3))));
    return vectorNorm(diff, p, -1);
  }));
}

/** `tl.linalg`: norms, solvers, determinants and decompositions by torch.linalg's names (functions only, no methods). */
export const linalg = { vectorNorm, matrixNorm, ...solvers, ...spectral } as const;
