/**
 * Linear systems, inverses, determinants, factorisations and functions of matrices
 * (torch.linalg's `solve`, `inv`, `det`, `slogdet`, `cholesky`, `solve_triangular`, `qr`,
 * `matrix_power`, `matrix_exp`), written with tensor ops: batched, on every backend, n steps
 * of whole-matrix ops for n×n matrices (Gauss–Jordan elimination with partial pivoting,
 * column-by-column Cholesky, row-by-row substitution, Householder reflections), meant for the
 * small matrices of model code, not for large dense solves. Gradients are PyTorch's closed
 * forms, or autograd's through the products (matrixPower, matrixExp).
 */
import { recordMultiOp, recordOp } from '../autograd/engine.js';
import { withinOp } from '../autograd/trace.js';

import { isFloating } from '../dtype.js';
import { owned } from '../memory.js';
import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, eye, full, zerosLike } from './creation.js';
import { inFloat32, inFloat32List, sumToShape } from './elementwise.js';
import { takeAlongDim } from './advanced-indexing.js';
import { cat, stack } from './shape.js';
import { where } from './where.js';
import { checkOptionKeys, deviceOf, requireTensor } from './util.js';

/** Checks a batch of square float matrices `[..., n, n]`; returns n. */
function checkSquare(op: string, a: Tensor, what = 'A'): number {
  requireTensor(op, a, what);
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: ${what} must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2 || a.shape[a.rank - 1] !== a.shape[a.rank - 2]) {
    throw new Error(`${op}: ${what} must be a batch of square matrices [..., n, n], got ${formatShape(a.shape)}`);
  }
  return a.shape[a.rank - 1];
}

interface Eliminated {
  /** `A⁻¹ B`, [..., n, m]. */
  x: Tensor;
  /** The pivots, [..., n]: their product with `sign` is det(A). */
  pivots: Tensor;
  /** ±1 per matrix: the parity of the row swaps. */
  sign: Tensor;
  /** Per matrix, whether a pivot was exactly zero (A is singular). */
  singular: Tensor;
}

/**
 * Reduce `[A | B]` to `[I | A⁻¹B]` (float32, batch dims already shared, untracked). Each step
 * swaps the largest remaining entry of column k into row k (a gather, so nothing is read),
 * scales that row and clears column k from every other row. A zero pivot (a singular matrix)
 * is replaced by 1 so the rest stays finite; `singular` records it.
 */
function eliminate(a: Tensor, b: Tensor): Eliminated {
  const n = a.shape[a.rank - 1];
  const batch = a.shape.slice(0, -2);
  return owned((t) => {
    const rows = t(positions(n, a.device));
    const rowsColumn = t(rows.unsqueeze(-1));
    let m = t(cat([a, b], -1));
    const width = m.shape[m.rank - 1];
    let sign = t(full(batch, 1, { device: a.device }));
    let singular = t(full(batch, false, { dtype: 'bool', device: a.device }));
    const pivots: Tensor[] = [];
    for (let k = 0; k < n; k++) {
      const column = t(m.select(-1, k));
      const below = t(where(t(rows.ge(k)), t(column.abs()), -1));
      const p = t(below.argmax(-1, true)); // [..., 1]
      const perm = t(where(t(rows.eq(k)), p, t(where(t(rows.eq(p)), k, rows))));
      m = t(takeAlongDim(m, t(t(perm.unsqueeze(-1)).expand([...batch, n, width])), -2));
      sign = t(where(t(t(p.squeeze(-1)).ne(k)), t(sign.neg()), sign));
      const pivot = t(t(m.select(-2, k)).select(-1, k));
      pivots.push(pivot);
      const zero = t(pivot.eq(0));
      singular = t(singular.logicalOr(zero));
      const rowK = t(t(m.select(-2, k)).div(t(t(where(zero, 1, pivot)).unsqueeze(-1))));
      const factor = t(t(m.select(-1, k)).unsqueeze(-1));
      const cleared = t(m.sub(t(factor.mul(t(rowK.unsqueeze(-2))))));
      m = t(where(t(rowsColumn.eq(k)), t(rowK.unsqueeze(-2)), cleared));
    }
    const x = m.narrow(-1, n, width - n);
    const stacked = n > 0 ? stack(pivots, -1) : full([...batch, 0], 1, { device: a.device });
    return { x, pivots: stacked, sign, singular }; // owned spares what it returns
  });
}

/**
 * `X` with `A X = B` (torch.linalg.solve, `left` only). `A` is `[..., n, n]`; `B` is
 * `[..., n, k]`, or `[..., n]` (a batch of vectors, when it has one dim fewer than `A`); batch
 * dims broadcast. A singular `A` is an error on backends that read synchronously; GPU backends
 * return NaN for that matrix instead (raising would need a read).
 *
 * @example
 * ```ts
 * tl.linalg.solve(tl.tensor([[3, 1], [1, 2]]), tl.tensor([9, 8])); // [2, 3]
 * ```
 */
function solve(a: Tensor, b: Tensor): Tensor {
  const op = 'linalg.solve';
  const n = checkSquare(op, a);
  requireTensor(op, b, 'B');
  deviceOf(op, a, b);
  if (b.dtype !== a.dtype) throw new TypeError(`${op}: B is ${b.dtype} but A is ${a.dtype}; give them one dtype`);
  const vector = b.rank === a.rank - 1 && b.shape[b.rank - 1] === n;
  if (!vector && (b.rank < 2 || b.shape[b.rank - 2] !== n)) {
    throw new Error(`${op}: B must be [..., ${n}, k] or [..., ${n}] for A ${formatShape(a.shape)}, got ${formatShape(b.shape)}`);
  }
  if (!vector) return solveMatrix(op, a, b);
  return owned((t) => t(solveMatrix(op, a, t(b.unsqueeze(-1)))).squeeze(-1));
}

/** `A⁻¹ B` for matrix `B` with broadcast batch dims, and its gradient. */
function solveMatrix(op: string, a: Tensor, b: Tensor): Tensor {
  const x = onSharedBatch(op, a, b, (wa, wb) => finishInverse(op, eliminate(wa, wb)));
  return recordOp(op, [a, b], x, [a, x], (g, [sa, sx], needs) =>
    owned((t) => {
      // gB = A⁻ᵀ g; gA = -gB Xᵀ, summed over the broadcast batch dims.
      const gb = t(solveMatrix(op, t(sa.transpose(-1, -2)), g));
      return [
        needs[0] ? sumToShape(t(t(gb.matmul(t(sx.transpose(-1, -2)))).neg()), a.shape) : null,
        needs[1] ? sumToShape(gb, b.shape) : null,
      ];
    }),
  );
}

/**
 * The solution of an elimination, NaN where the matrix was singular; with `raise`, an error
 * instead where values can be read.
 */
function finishInverse(op: string, e: Eliminated, raise = true): Tensor {
  if (raise) {
    const at = firstReadable(e.singular, (v) => v !== 0);
    if (at >= 0) {
      for (const t of [e.x, e.pivots, e.sign, e.singular]) t.dispose();
      throw new Error(`${op}: the input matrix${e.singular.size > 1 ? ` at batch index ${at}` : ''} is singular (a zero pivot in its LU factorisation)`);
    }
  }
  return owned((t) => {
    for (const v of [e.pivots, e.sign, e.x, e.singular]) t(v);
    return where(t(t(e.singular.unsqueeze(-1)).unsqueeze(-1)), NaN, e.x);
  });
}

/** `A⁻¹` in `A`'s dtype, untracked (see `finishInverse` for `raise`). */
function inverse(op: string, a: Tensor, raise: boolean): Tensor {
  const n = a.shape[a.rank - 1];
  return owned((t) => {
    const identity = t(t(eye(n, n, { dtype: a.dtype, device: a.device })).expand(a.shape));
    return inFloat32([a, identity], ([wa, wi]) => withinOp(() => finishInverse(op, eliminate(wa, wi), raise)));
  });
}

/** `fn` on `A` and `B` expanded to their shared batch dims, in float32 (float16 rounded back), untracked. */
function onSharedBatch(op: string, a: Tensor, b: Tensor, fn: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  return owned((t) => {
    const aa = t(a.expand([...batch, ...a.shape.slice(-2)]));
    const bb = t(b.expand([...batch, ...b.shape.slice(-2)]));
    return inFloat32([aa, bb], ([wa, wb]) => withinOp(() => fn(wa, wb)));
  });
}

/**
 * The first index of `t`'s values where `test` holds, on a backend that reads synchronously;
 * -1 when none does, or when the values cannot be read without waiting (GPU backends).
 */
function firstReadable(t: Tensor, test: (v: number) => boolean): number {
  const read = t.backend.readSync;
  if (!read || t.size === 0) return -1;
  return Array.prototype.findIndex.call(read.call(t.backend, t.kernelView), test);
}

/** 0 … n-1 as int32 on `device`: row and column numbers for the masks. */
function positions(n: number, device: string): Tensor {
  return arange(0, n, 1, { dtype: 'int32', device });
}

/**
 * `A⁻¹` (torch.linalg.inv) for `[..., n, n]`. A singular matrix is an error on backends that
 * read synchronously and NaN on GPU backends.
 *
 * @example
 * ```ts
 * tl.linalg.inv(tl.tensor([[2, 0], [0, 4]])); // [[0.5, 0], [0, 0.25]]
 * ```
 */
function inv(a: Tensor): Tensor {
  const op = 'linalg.inv';
  checkSquare(op, a);
  const y = inverse(op, a, true);
  // d(A⁻¹) = -A⁻¹ dA A⁻¹, so gA = -A⁻ᵀ g A⁻ᵀ.
  return recordOp(op, [a], y, [y], (g, [sy]) =>
    owned((t) => {
      const yt = t(sy.transpose(-1, -2));
      return [t(t(yt.matmul(g)).matmul(yt)).neg()];
    }),
  );
}

/** What `slogdet` returns: the determinant's sign and the log of its absolute value. */
export interface SlogdetResult {
  sign: Tensor;
  logabsdet: Tensor;
}

/** The pivots and sign of `A`'s elimination (float32, untracked). */
function factor(a: Tensor): { pivots: Tensor; sign: Tensor } {
  return owned((t) => {
    const none = t(full([...a.shape.slice(0, -1), 0], 0, { dtype: a.dtype, device: a.device }));
    const e = eliminate(a, none);
    t(e.x);
    t(e.singular);
    return { pivots: e.pivots, sign: e.sign };
  });
}

/**
 * The determinant of `[..., n, n]` (torch.linalg.det); 0 for a singular matrix. Its gradient
 * is `g · det · A⁻ᵀ`, which is not finite at a singular matrix (PyTorch's goes through an SVD
 * there).
 *
 * @example
 * ```ts
 * tl.linalg.det(tl.tensor([[1, 2], [3, 4]])); // -2
 * ```
 */
function det(a: Tensor): Tensor {
  const op = 'linalg.det';
  checkSquare(op, a);
  const d = inFloat32([a], ([wa]) => withinOp(() => owned((t) => {
    const { pivots, sign } = factor(wa);
    return t(t(pivots).prod(-1)).mul(t(sign));
  })));
  return recordOp(op, [a], d, [a, d], (g, [sa, sd]) =>
    owned((t) => [t(inverseTranspose(sa, t)).mul(t(t(t(g.mul(sd)).unsqueeze(-1)).unsqueeze(-1)))]),
  );
}

/** `A⁻ᵀ` for a gradient, NaN where `A` is singular (no error: a gradient cannot refuse). */
function inverseTranspose(a: Tensor, t: <T extends Tensor>(v: T) => T): Tensor {
  return t(inverse('linalg', a, false)).transpose(-1, -2);
}

/**
 * The sign and log absolute value of the determinant of `[..., n, n]` (torch.linalg.slogdet),
 * as `{ sign, logabsdet }`: stable where `det` under- or overflows. A singular matrix gives
 * sign 0 and -Infinity. `logabsdet`'s gradient is `g · A⁻ᵀ`; `sign` has none.
 *
 * @example
 * ```ts
 * const { sign, logabsdet } = tl.linalg.slogdet(covariance);
 * ```
 */
function slogdet(a: Tensor): SlogdetResult {
  const op = 'linalg.slogdet';
  checkSquare(op, a);
  const [sign, logabsdet] = inFloat32List([a], ([wa]) => withinOp(() => owned((t) => {
    const { pivots, sign: parity } = factor(wa);
    t(pivots);
    t(parity);
    return [t(t(pivots.sign()).prod(-1)).mul(parity), t(t(pivots.abs()).log()).sum(-1)];
  })));
  const tracked = recordOp(op, [a], logabsdet, [a], (g, [sa]) =>
    owned((t) => [t(inverseTranspose(sa, t)).mul(t(t(g.unsqueeze(-1)).unsqueeze(-1)))]),
  );
  return { sign, logabsdet: tracked };
}

/**
 * The Cholesky factor of symmetric positive-definite `[..., n, n]` (torch.linalg.cholesky):
 * lower-triangular `L` with `L Lᵀ = A`, or upper `U = Lᵀ` with `{ upper: true }`. Only the
 * lower triangle of `A` is read. A matrix that is not positive-definite is an error on
 * backends that read synchronously and NaN on GPU backends.
 *
 * @example
 * ```ts
 * const L = tl.linalg.cholesky(covariance);
 * const sample = L.matmul(tl.randn([n, 1])); // a draw from N(0, covariance)
 * ```
 */
function cholesky(a: Tensor, options: { upper?: boolean } = {}): Tensor {
  const op = 'linalg.cholesky';
  const n = checkSquare(op, a);
  checkOptionKeys(op, options, ['upper']);
  const upper = options.upper ?? false;
  if (typeof upper !== 'boolean') throw new TypeError(`${op}: upper must be a boolean, got ${typeof upper}`);
  const l = inFloat32([a], ([wa]) => withinOp(() => owned((t) => {
    const rows = t(positions(n, a.device));
    let factor = t(full(wa.shape, 0, { device: a.device }));
    // Column j: s = A[:, j] - L Lᵀ[:, j] (L's columns from j on are still zero); L[j, j] = √s[j], below it s / L[j, j].
    for (let j = 0; j < n; j++) {
      const s = t(t(wa.select(-1, j)).sub(t(t(factor.matmul(t(t(factor.select(-2, j)).unsqueeze(-1)))).squeeze(-1))));
      const d = t(t(t(s.select(-1, j)).sqrt()).unsqueeze(-1));
      const column = t(where(t(rows.gt(j)), t(s.div(d)), t(where(t(rows.eq(j)), d, 0))));
      factor = t(where(t(rows.eq(j)), t(column.unsqueeze(-1)), factor));
    }
    const at = firstReadable(t(factor.diagonal(0, -2, -1)), (v) => !(v > 0));
    if (at >= 0) {
      throw new Error(`${op}: the input is not positive-definite (the leading minor of order ${(at % n) + 1}${factor.size > n * n ? ` of batch index ${Math.floor(at / n)}` : ''} is not)`);
    }
    return factor;
  })));
  // PyTorch's cholesky_backward: gA = L⁻ᵀ Φ L⁻¹ with Φ = ½(M + tril(M, -1)ᵀ), M = tril(Lᵀ gL).
  const lower = recordOp(op, [a], l, [l], (g, [sl]) =>
    owned((t) => {
      const m = t(t(t(sl.transpose(-1, -2)).matmul(g)).tril());
      const phi = t(t(m.add(t(t(m.tril(-1)).transpose(-1, -2)))).mul(0.5));
      const linv = t(inv(sl));
      return [t(t(t(linv.transpose(-1, -2)).matmul(phi))).matmul(linv)];
    }),
  );
  if (!upper) return lower;
  return owned((t) => t(t(lower).transpose(-1, -2)).contiguous());
}

export interface SolveTriangularOptions {
  /** Whether `A` is upper (true) or lower (false) triangular: required, as in PyTorch. */
  upper: boolean;
  /** Solve `A X = B` (true, the default) or `X A = B` (false). */
  left?: boolean;
  /** Take `A`'s diagonal as ones (it is not read). */
  unitriangular?: boolean;
}

/**
 * `X` with `A X = B` (or `X A = B` with `{ left: false }`) for triangular `A` `[..., n, n]`
 * and `B` `[..., n, k]` (`[..., k, n]` for `left: false`), by substitution, one row per step
 * (torch.linalg.solve_triangular). Only `A`'s triangle is read; batch dims broadcast. A zero on
 * the diagonal gives Infinity or NaN, as PyTorch's.
 *
 * @example
 * ```ts
 * const L = tl.linalg.cholesky(K);
 * const alpha = tl.linalg.solveTriangular(L, y, { upper: false }); // L⁻¹ y
 * ```
 */
function solveTriangular(a: Tensor, b: Tensor, options: SolveTriangularOptions): Tensor {
  const op = 'linalg.solveTriangular';
  const n = checkSquare(op, a);
  requireTensor(op, b, 'B');
  deviceOf(op, a, b);
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options { upper } are required, as PyTorch's keyword-only upper`);
  checkOptionKeys(op, options, ['upper', 'left', 'unitriangular']);
  const { upper, left = true, unitriangular = false } = options;
  for (const [what, v] of [['upper', upper], ['left', left], ['unitriangular', unitriangular]] as const) {
    if (typeof v !== 'boolean') throw new TypeError(`${op}: ${what} must be a boolean${what === 'upper' ? ' (it is required)' : ''}, got ${typeof v}`);
  }
  if (b.dtype !== a.dtype) throw new TypeError(`${op}: B is ${b.dtype} but A is ${a.dtype}; give them one dtype`);
  const along = left ? b.rank - 2 : b.rank - 1;
  if (b.rank < 2 || b.shape[along] !== n) {
    throw new Error(`${op}: B must be [..., ${left ? `${n}, k` : `k, ${n}`}] for A ${formatShape(a.shape)}${left ? '' : ' and left: false'}, got ${formatShape(b.shape)}`);
  }
  if (left) return triangularLeft(op, a, b, upper, unitriangular);
  // X A = B is Aᵀ Xᵀ = Bᵀ, with Aᵀ triangular the other way.
  return owned((t) => t(t(triangularLeft(op, t(a.transpose(-1, -2)), t(b.transpose(-1, -2)), !upper, unitriangular)).transpose(-1, -2)).contiguous());
}

/** `A⁻¹ B` for triangular `A` by substitution, and PyTorch's gradient. */
function triangularLeft(op: string, a: Tensor, b: Tensor, upper: boolean, unit: boolean): Tensor {
  const n = a.shape[a.rank - 1];
  const x = onSharedBatch(op, a, b, (wa, wb) => owned((u) => {
      const rows = u(u(positions(n, a.device)).unsqueeze(-1));
      let solved = u(full(wb.shape, 0, { device: a.device }));
      // Row i: (B[i] - A[i, :] X) / A[i, i], where X's rows not solved yet are still zero.
      for (let step = 0; step < n; step++) {
        const i = upper ? n - 1 - step : step;
        const row = u(u(wa.select(-2, i)).unsqueeze(-2)); // [..., 1, n]
        let value = u(u(u(wb.select(-2, i)).unsqueeze(-2)).sub(u(row.matmul(solved))));
        if (!unit) value = u(value.div(u(u(u(u(wa.select(-2, i)).select(-1, i)).unsqueeze(-1)).unsqueeze(-1))));
        solved = u(where(u(rows.eq(i)), value, solved));
      }
      return solved;
    }));
  return recordOp(op, [a, b], x, [a, x], (g, [sa, sx], needs) =>
    owned((t) => {
      // gB = A⁻ᵀ g (triangular the other way); gA = -gB Xᵀ on A's triangle.
      const gb = t(triangularLeft(op, t(sa.transpose(-1, -2)), g, !upper, unit));
      const dense = needs[0] ? t(t(gb.matmul(t(sx.transpose(-1, -2)))).neg()) : null;
      const offset = unit ? 1 : 0;
      const ga = dense ? t(upper ? dense.triu(offset) : dense.tril(-offset)) : null;
      return [ga ? sumToShape(ga, a.shape) : null, needs[1] ? sumToShape(gb, b.shape) : null];
    }),
  );
}

/** What `qr` returns: orthonormal columns `Q` and upper-triangular `R` with `A = Q R`. */
export interface QrResult {
  Q: Tensor;
  R: Tensor;
}

/**
 * The QR factorisation of `[..., m, n]` (torch.linalg.qr) by Householder reflections, with
 * LAPACK's signs: `mode` 'reduced' (default: Q `[..., m, k]`, R `[..., k, n]`, k = min(m, n)),
 * 'complete' (Q `[..., m, m]`, R `[..., m, n]`) or 'r' (R only; Q is empty). The gradient is
 * defined, as PyTorch's, for 'reduced' with m ≥ n (and 'complete' when m = n).
 *
 * @example
 * ```ts
 * const { Q } = tl.linalg.qr(tl.randn([64, 64])); // a random orthogonal matrix
 * ```
 */
function qr(a: Tensor, mode: 'reduced' | 'complete' | 'r' = 'reduced'): QrResult {
  const op = 'linalg.qr';
  requireTensor(op, a, 'A');
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: A must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2) throw new Error(`${op}: A must be a batch of matrices [..., m, n], got ${formatShape(a.shape)}`);
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r') throw new Error(`${op}: mode must be 'reduced', 'complete' or 'r', got ${String(mode)}`);
  const [m, n] = a.shape.slice(-2);
  const k = Math.min(m, n);
  const keep = mode === 'complete' ? m : k;
  // Computed in float32; a float16 A gets float16 outputs but keeps the float32 factors for the
  // backward pass, whose R⁻ᵀ would amplify their rounding (PyTorch's opmath keeps them wide too).
  const [q32, r32] = withinOp(() => owned((t) => {
    const wa = a.dtype === 'float16' ? t(a.cast('float32')) : a;
    const rows = t(t(positions(m, a.device)).unsqueeze(-1)); // [m, 1]
    const batch = wa.shape.slice(0, -2);
    let reduced = t(wa.clone());
    const reflections: [Tensor, Tensor][] = [];
    for (let j = 0; j < k; j++) {
      // The reflection H = I - β v vᵀ that zeroes column j below the diagonal.
      const x = t(where(t(rows.ge(j)), t(t(reduced.select(-1, j)).unsqueeze(-1)), 0)); // [..., m, 1]
      const head = t(x.narrow(-2, j, 1));
      const length = t(t(t(x.square()).sum(-2, true)).sqrt());
      const alpha = t(where(t(head.lt(0)), length, t(length.neg()))); // -sign(x_j)·‖x‖, LAPACK's choice
      const v = t(x.sub(t(where(t(rows.eq(j)), alpha, 0))));
      const vv = t(t(v.square()).sum(-2, true));
      // Nothing below the diagonal: no reflection (LAPACK's dlarfg), so the signs stay LAPACK's.
      const below = t(t(t(where(t(rows.gt(j)), x, 0)).square()).sum(-2, true));
      const beta = t(where(t(below.eq(0)), 0, t(t(vv.reciprocal()).mul(2))));
      const vt = t(v.transpose(-1, -2));
      reduced = t(reduced.sub(t(t(v.mul(beta)).matmul(t(vt.matmul(reduced))))));
      reflections.push([v, beta]);
    }
    const upper = t(t(reduced.narrow(-2, 0, keep)).triu());
    // Q's first `keep` columns, H₀ H₁ … (I's first columns), applied from the last reflection
    // back: [..., m, keep] at every step, never [m, m] for a reduced Q of a tall matrix.
    let columns = mode === 'r' ? t(full([0], 0, { device: a.device })) : t(t(eye(m, keep, { device: a.device })).expand([...batch, m, keep]));
    if (mode !== 'r') {
      for (let j = k - 1; j >= 0; j--) {
        const [v, beta] = reflections[j];
        columns = t(columns.sub(t(t(v.mul(beta)).matmul(t(t(v.transpose(-1, -2)).matmul(columns))))));
      }
    }
    return [columns.contiguous(), upper.contiguous()];
  }));
  const [q, r] = a.dtype === 'float16' ? withinOp(() => [q32.cast('float16'), r32.cast('float16')]) : [q32, r32];
  // The graph holds its own handles on the float32 factors.
  const freeWide = () => {
    if (q !== q32) for (const x of [q32, r32]) x.dispose();
  };
  if (mode === 'r') {
    freeWide();
    return { Q: q, R: r };
  }
  const [tq, tr] = recordMultiOp(op, [a], [q, r], [q32, r32], ([gq, gr], [sq, sr]) => {
    if (m < n || (mode === 'complete' && m !== n)) {
      throw new Error(`${op}: the gradient is defined for mode 'reduced' with m >= n (and 'complete' with m = n), as PyTorch's; got [${m}, ${n}] in mode '${mode}'`);
    }
    // A chain of products: float16 in float32 (opmath), as PyTorch's half kernels compute it.
    return [inFloat32([gq, gr, sq, sr], ([gq, gr, sq, sr]) => owned((t) => {
      // Seeger et al.: M = R gRᵀ - gQᵀ Q, gA = (gQ + Q copyltu(M)) R⁻ᵀ, copyltu(M) = tril(M) + tril(M, -1)ᵀ.
      const dq = gq ?? t(full(sq.shape, 0, { dtype: sq.dtype, device: sq.device }));
      const rgr = gr ? t(sr.matmul(t(gr.transpose(-1, -2)))) : null;
      const gqq = t(t(dq.transpose(-1, -2)).matmul(sq));
      const mm = rgr ? t(rgr.sub(gqq)) : t(gqq.neg());
      const copied = t(t(mm.tril()).add(t(t(mm.tril(-1)).transpose(-1, -2))));
      const lhs = t(dq.add(t(sq.matmul(copied))));
      // X Rᵀ = lhs with Rᵀ lower triangular: X = lhs R⁻ᵀ.
      return solveTriangular(t(sr.transpose(-1, -2)), lhs, { upper: false, left: false });
    }))];
  });
  freeWide();
  return { Q: tq, R: tr };
}

/**
 * `A` to the integer power `n` (torch.linalg.matrix_power) by repeated squaring: the identity
 * for 0, powers of `inv(A)` for negative `n`. Differentiable through its products.
 *
 * @example
 * ```ts
 * tl.linalg.matrixPower(tl.tensor([[1, 1], [1, 0]]), 10); // Fibonacci: [[89, 55], [55, 34]]
 * ```
 */
function matrixPower(a: Tensor, n: number): Tensor {
  const op = 'linalg.matrixPower';
  const size = checkSquare(op, a);
  if (!Number.isInteger(n)) throw new TypeError(`${op}: n must be an integer, got ${String(n)}`);
  return owned((t) => {
    if (n === 0) {
      // The identity, whatever A holds; connected to A (with a zero gradient), as PyTorch's.
      const identity = t(t(eye(size, size, { dtype: a.dtype, device: a.device })).expand(a.shape)).contiguous();
      return recordOp(op, [a], identity, [], (g) => [zerosLike(g)]);
    }
    let base = n < 0 ? t(inv(a)) : a;
    let result: Tensor | null = null;
    for (let e = Math.abs(n); e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = result ? t(result.matmul(base)) : base;
      if (e > 1) base = t(base.matmul(base));
    }
    return result === a ? a.clone() : result!; // owned spares what it returns
  });
}

/**
 * The matrix exponential of `[..., n, n]` (torch.linalg.matrix_exp): scaling and squaring
 * with a degree-12 Taylor polynomial, all on the device. Each matrix is scaled by 2^-s with
 * s (up to 16, from its 1-norm) chosen on the device too, so nothing is read. Differentiable
 * through its products.
 *
 * @example
 * ```ts
 * tl.linalg.matrixExp(tl.tensor([[0, 1], [-1, 0]])); // a rotation by 1 radian
 * ```
 */
function matrixExp(a: Tensor): Tensor {
  const op = 'linalg.matrixExp';
  const n = checkSquare(op, a);
  const steps = 16;
  return inFloat32([a], ([wa]) => owned((t) => {
    // s = ceil(log2(‖A‖₁)) clamped to [0, 16], so that ‖A / 2^s‖₁ ≤ 1.
    const norm = t(t(t(t(wa.abs()).sum(-2)).amax(-1, true)).unsqueeze(-1)); // [..., 1, 1]
    const s = t(t(t(t(t(norm.log2()).ceil()).clamp(0, steps)).nanToNum(0)).detach());
    const scaled = t(wa.div(t(s.exp2())));
    const identity = t(t(eye(n, n, { device: a.device })).expand(wa.shape));
    // Horner: I + X(I + X/2 (I + X/3 (... (I + X/12)))).
    let series = identity;
    for (let k = 12; k >= 1; k--) series = t(identity.add(t(t(scaled.matmul(series)).div(k))));
    // Square back, each matrix as many times as it was halved.
    for (let i = 0; i < steps; i++) series = t(where(t(s.gt(i)), t(series.matmul(series)), series));
    return series;
  }));
}

/** `tl.linalg`'s solvers, determinants, factorisations and functions of matrices (functions only, no methods). */
export const solvers = { solve, solveTriangular, inv, det, slogdet, cholesky, qr, matrixPower, matrixExp } as const;
