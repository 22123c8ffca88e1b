/**
 * `tl.linalg`'s spectral decompositions: `eigh` and `eigvalsh` of symmetric matrices, `svd`
 * and `svdvals`, and `pinv` and `matrixRank` built on them. Like the other solvers they
 * are composites of tensor ops, so they run batched on every backend and nothing is read
 * from a GPU. The eigendecomposition is Jacobi's method with the parallel (round-robin)
 * ordering: each round rotates n/2 disjoint pairs of rows and columns at once, a few
 * elementwise ops on the whole batch, and n - 1 rounds make a sweep. It is accurate to
 * float32's precision relative to the matrix's norm, in float32 for float16 input.
 */
import { recordMultiOp, recordOp } from '../autograd/engine.js';
import { withinOp } from '../autograd/trace.js';

import { isFloating } from '../dtype.js';
import { owned, tidy } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { eye, full, tensor } from './creation.js';
import { inFloat32, inFloat32List, sumToShape } from './elementwise.js';
import { gather, indexSelect } from './indexing.js';
import { cat, stack } from './shape.js';
import { sort } from './sort.js';
import { where } from './where.js';
import { solvers } from './linalg.js';
import { checkOptionKeys, requireTensor } from './util.js';

/** What `linalg.eigh` returns: eigenvalues ascending `[..., n]`, eigenvectors as columns `[..., n, n]`. */
export interface EighResult {
  eigenvalues: Tensor;
  eigenvectors: Tensor;
}

/**
 * The round-robin schedule for m (even) indices: each round's arrangement (pairs at positions
 * 2k, 2k + 1), as the permutation from the previous round's arrangement. `first` starts a
 * run from the identity, `wrap` goes from the last round back to the first.
 */
interface Schedule {
  first: number[];
  next: number[][];
  wrap: number[];
  /** The label at each position after the last round. */
  final: number[];
}

function schedule(m: number): Schedule {
  const arrangements: number[][] = [];
  let circle = Array.from({ length: m }, (_, i) => i);
  for (let r = 0; r < m - 1; r++) {
    const arrangement: number[] = [];
    for (let k = 0; k < m / 2; k++) arrangement.push(circle[k], circle[m - 1 - k]);
    arrangements.push(arrangement);
    circle = [circle[0], circle[m - 1], ...circle.slice(1, m - 1)];
  }
  const move = (from: number[], to: number[]) => {
    const at = new Map(from.map((label, position) => [label, position]));
    return to.map((label) => at.get(label)!);
  };
  const identity = Array.from({ length: m }, (_, i) => i);
  return {
    first: move(identity, arrangements[0]),
    next: arrangements.slice(1).map((a, r) => move(arrangements[r], a)),
    wrap: move(arrangements[m - 2], arrangements[0]),
    final: arrangements[m - 2],
  };
}

/** Rows (2k, 2k + 1) of `x` `[..., m, w]` rotated: (c r₀ - s r₁, s r₀ + c r₁), with c, s `[..., m/2, 1]`. */
function rotateRowPairs(x: Tensor, c: Tensor, s: Tensor): Tensor {
  return owned((t) => {
    const m = x.shape[x.rank - 2];
    const pairs = t(x.reshape([...x.shape.slice(0, -2), m / 2, 2, x.shape[x.rank - 1]]));
    const r0 = t(pairs.select(-2, 0));
    const r1 = t(pairs.select(-2, 1));
    const top = t(t(r0.mul(c)).sub(t(r1.mul(s))));
    const bottom = t(t(r0.mul(s)).add(t(r1.mul(c))));
    return t(stack([top, bottom], -2)).reshape(x.shape);
  });
}

/** Sweeps on GPU backends, where convergence cannot be read: Jacobi converges quadratically, in about log₂ n + 3. */
function fixedSweeps(m: number): number {
  return Math.max(8, Math.ceil(Math.log2(m)) + 5);
}

/**
 * The rotation (c, s), each `[..., m/2, 1]`, that zeroes a pair's coupling: for θ = diff /
 * (2 · coupling), the tangent of the smaller angle (Rutishauser's), 0 where the pair is
 * already uncoupled.
 */
function pairRotation(diff: Tensor, coupling: Tensor): [Tensor, Tensor] {
  return tidy(() => {
    const theta = diff.div(coupling.mul(2));
    const sign = theta.ge(0).float().mul(2).sub(1); // ±1, +1 at θ = 0 (a 45° turn)
    const tangent = where(coupling.eq(0), 0, sign.div(theta.abs().add(theta.square().add(1).sqrt())));
    const c = tangent.square().add(1).rsqrt().unsqueeze(-1);
    return [c, tangent.unsqueeze(-1).mul(c)];
  });
}

/**
 * Jacobi sweeps over `state` (tensors whose rows, and for a symmetric matrix columns, are
 * indexed by m, even): each round `round(state, perm)` rotates the n/2 pairs `perm` brings to
 * positions (2k, 2k + 1) and returns the next state, which replaces (and frees) the last.
 * Where values read synchronously it stops once `converged(state)`; on GPU backends after
 * `fixedSweeps(m)`. Returns the final state and each final position's index.
 */
function sweeps(m: number, device: string, readsSync: boolean, initial: Tensor[], round: (state: Tensor[], perm: Tensor) => Tensor[], done: (state: Tensor[]) => boolean): { state: Tensor[]; order: number[] } {
  const plan = schedule(m);
  const index = (values: number[]) => tensor(Int32Array.from(values), { device });
  const perms = tidy(() => ({ first: index(plan.first), next: plan.next.map(index), wrap: index(plan.wrap) }));
  let state = initial;
  try {
    const most = readsSync ? 30 : fixedSweeps(m);
    for (let sweep = 0; sweep < most; sweep++) {
      for (let r = 0; r < m - 1; r++) {
        const perm = r === 0 ? (sweep === 0 ? perms.first : perms.wrap) : perms.next[r - 1];
        const next = tidy(() => round(state, perm));
        for (const t of state) t.dispose();
        state = next;
      }
      if (readsSync && done(state)) break;
    }
    return { state, order: plan.final };
  } catch (e) {
    for (const t of state) t.dispose();
    throw e;
  } finally {
    for (const t of [perms.first, perms.wrap, ...perms.next]) t.dispose();
  }
}

/** The positions of `order` whose index is below `n` (an odd count's padding dropped), as int32 on `device`. */
function keptPositions(order: number[], n: number, device: string): Tensor {
  return tensor(Int32Array.from(order.flatMap((label, position) => (label < n ? [position] : []))), { device });
}

/**
 * Eigenvalues (unsorted, [..., n]) and eigenvectors as rows ([..., n, n]) of the symmetric
 * float32 `s`, untracked. An odd n is padded with a zero row and column, which no rotation
 * touches (its off-diagonal entries stay exactly 0), and dropped after.
 */
function jacobi(s: Tensor): [Tensor, Tensor] {
  const n = s.shape[s.rank - 1];
  const batch = s.shape.slice(0, -2);
  const device = s.device;
  if (n === 0) return [s.sum(-1), s.clone()];
  if (n === 1) return tidy(() => [s.reshape([...batch, 1]), eye(1, 1, { device }).expand(s.shape).contiguous()]);
  const m = n + (n % 2);
  const evens = tensor(Int32Array.from({ length: m / 2 }, (_, k) => 2 * k), { device });
  const a = m === n ? s.clone() : tidy(() => {
    const zeroColumn = s.mul(0).narrow(-1, 0, 1);
    const wide = cat([s, zeroColumn], -1);
    return cat([wide, wide.mul(0).narrow(-2, 0, 1)], -2);
  });
  const w = tidy(() => eye(m, m, { device }).expand([...batch, m, m]).contiguous());
  try {
    const { state, order } = sweeps(m, device, s.backend.readSync !== undefined, [a, w], ([a, w], perm) => {
      const arranged = indexSelect(indexSelect(a, -2, perm), -1, perm);
      const pairs = arranged.diagonal(0, -2, -1).reshape([...batch, m / 2, 2]);
      const [c, sn] = pairRotation(pairs.select(-1, 1).sub(pairs.select(-1, 0)), indexSelect(arranged.diagonal(1, -2, -1), -1, evens));
      // Rows, then columns (the rows of the transpose) of the symmetric A; rows of W = Vᵀ.
      const rotated = rotateRowPairs(rotateRowPairs(arranged, c, sn).transpose(-1, -2), c, sn);
      return [rotated, rotateRowPairs(indexSelect(w, -2, perm), c, sn)];
    }, ([a]) => converged(a));
    const [last, rows] = state;
    return tidy(() => {
      try {
        if (m === n) return [last.diagonal(0, -2, -1).contiguous(), rows.clone()];
        const keep = keptPositions(order, n, device);
        return [indexSelect(last.diagonal(0, -2, -1), -1, keep), indexSelect(rows, -2, keep).narrow(-1, 0, n).contiguous()];
      } finally {
        last.dispose();
        rows.dispose();
      }
    });
  } finally {
    evens.dispose();
  }
}

/** Whether every matrix's off-diagonal part is below float32's rounding of its norm. */
function converged(a: Tensor): boolean {
  return tidy(() => {
    const n = a.shape[a.rank - 1];
    // Summed directly: ‖A‖² - ‖diag A‖² would cancel to rounding noise.
    const off = where(eye(n, n, { dtype: 'bool', device: a.device }), 0, a).square().sum([-2, -1]);
    // (n · 2⁻²⁴)² · ‖A‖²: what rounding leaves once no rotation is significant.
    const limit = a.square().sum([-2, -1]).mul((n * 2 ** -24) ** 2);
    return off.sub(limit).dataSync().every((v) => v <= 0);
  });
}

function checkSymmetricInput(op: string, a: Tensor, uplo: string): number {
  requireTensor(op, a, 'A');
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: A must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2 || a.shape[a.rank - 1] !== a.shape[a.rank - 2]) {
    throw new Error(`${op}: A must be a batch of square matrices [..., n, n], got ${formatShape(a.shape)}`);
  }
  if (uplo !== 'L' && uplo !== 'U') throw new Error(`${op}: UPLO must be 'L' or 'U', got ${String(uplo)}`);
  return a.shape[a.rank - 1];
}

/**
 * The eigenvalues (ascending) and orthonormal eigenvectors (the columns) of a batch of real
 * symmetric matrices `[..., n, n]`, as torch.linalg.eigh: only the lower triangle is read
 * (`UPLO = 'U'`: the upper). Each eigenvector's sign is arbitrary, as LAPACK's. The gradient
 * is PyTorch's, defined where the eigenvalues are distinct.
 *
 * @example
 * ```ts
 * const { eigenvalues, eigenvectors } = tl.linalg.eigh(tl.cov(samples)); // principal axes
 * ```
 */
function eigh(a: Tensor, UPLO: 'L' | 'U' = 'L'): EighResult {
  const op = 'linalg.eigh';
  checkSymmetricInput(op, a, UPLO);
  // Computed in float32; a float16 A gets float16 outputs but the backward pass keeps the
  // float32 ones, whose 1 / (λⱼ - λᵢ) would amplify half's rounding (as qr's factors).
  const [values32, vectors32] = withinOp(() => owned((t) => {
    const wa = a.dtype === 'float16' ? t(a.cast('float32')) : a;
    const triangle = UPLO === 'L' ? t(wa.tril()) : t(wa.triu());
    const symmetric = t(triangle.add(t(t(UPLO === 'L' ? wa.tril(-1) : wa.triu(1)).transpose(-1, -2))));
    const [raw, rows] = jacobi(symmetric);
    t(raw);
    t(rows);
    const order = sort(raw, -1);
    t(order.indices);
    const sortedRows = t(gather(rows, -2, t(t(order.indices.unsqueeze(-1)).expand(rows.shape))));
    return [order.values, t(sortedRows.transpose(-1, -2)).contiguous()];
  }));
  const half = a.dtype === 'float16';
  const [values, vectors] = half ? withinOp(() => [values32.cast('float16'), vectors32.cast('float16')]) : [values32, vectors32];
  const [eigenvalues, eigenvectors] = recordMultiOp(op, [a], [values, vectors], [values32, vectors32], ([gl, gv], [sl, sv]) => {
    const [grad] = inFloat32List([gl, gv, sl, sv], ([gl, gv, sl, sv]) => [owned((t) => {
      // PyTorch's linalg_eig_backward for Hermitian A: gA = V (skew(Vᵀ gV) / E, its diagonal gL) Vᵀ,
      // with E_ij = λ_j - λ_i and skew(X) = (X - Xᵀ) / 2.
      const vt = t(sv.transpose(-1, -2));
      let inner: Tensor;
      if (gv) {
        const x = t(vt.matmul(gv));
        const skew = t(t(x.sub(t(x.transpose(-1, -2)))).mul(0.5));
        const gaps = t(t(sl.unsqueeze(-2)).sub(t(sl.unsqueeze(-1))));
        const n = sl.shape[sl.rank - 1];
        const onDiagonal = t(eye(n, n, { dtype: 'bool', device: sl.device }));
        const ratio = t(skew.div(t(where(onDiagonal, 1, gaps))));
        inner = t(where(onDiagonal, gl ? t(t(gl.unsqueeze(-1)).expand(ratio.shape)) : 0, ratio));
      } else {
        inner = t(gl!.diagEmbed());
      }
      return t(sv.matmul(inner)).matmul(vt);
    })]);
    return [grad];
  });
  // The graph holds its own handles on the float32 results.
  if (half) for (const x of [values32, vectors32]) x.dispose();
  return { eigenvalues, eigenvectors };
}

/**
 * The eigenvalues of a batch of real symmetric matrices, ascending (torch.linalg.eigvalsh):
 * {@link eigh}'s, without the eigenvectors.
 *
 * @example
 * ```ts
 * tl.linalg.eigvalsh(tl.tensor([[2, 1], [1, 2]])); // [1, 3]
 * ```
 */
function eigvalsh(a: Tensor, UPLO: 'L' | 'U' = 'L'): Tensor {
  const { eigenvalues, eigenvectors } = eigh(a, UPLO);
  eigenvectors.dispose(); // the graph keeps its own handle for the backward pass
  return eigenvalues;
}

/** What `linalg.svd` returns: `A = U diag(S) Vh`, singular values descending. */
export interface SvdResult {
  U: Tensor;
  S: Tensor;
  Vh: Tensor;
}

/**
 * One-sided Jacobi on the rows of `g` `[..., k, m]` (k ≤ m, float32, untracked): rotations of
 * row pairs until the rows are orthogonal. Returns the rows and the rotations' product `w`
 * (as rows: g = w · g₀).
 */
function orthogonalizeRows(g0: Tensor): [Tensor, Tensor] {
  const k = g0.shape[g0.rank - 2];
  const batch = g0.shape.slice(0, -2);
  const device = g0.device;
  const padded = k % 2 === 1;
  const m = k + (padded ? 1 : 0);
  // An odd count gets a zero row, orthogonal to everything: its rotations are the identity.
  const g = padded ? tidy(() => cat([g0, g0.narrow(-2, 0, 1).mul(0)], -2)) : g0.clone();
  const w = tidy(() => eye(m, m, { device }).expand([...batch, m, m]).contiguous());
  const { state, order } = sweeps(m, device, g0.backend.readSync !== undefined, [g, w], ([g, w], perm) => {
    const arranged = indexSelect(g, -2, perm);
    const pairs = arranged.reshape([...batch, m / 2, 2, arranged.shape[arranged.rank - 1]]);
    const p = pairs.select(-2, 0);
    const q = pairs.select(-2, 1);
    // Hestenes: the rotation that makes rows p and q orthogonal.
    const [c, sn] = pairRotation(q.square().sum(-1).sub(p.square().sum(-1)), p.mul(q).sum(-1));
    return [rotateRowPairs(arranged, c, sn), rotateRowPairs(indexSelect(w, -2, perm), c, sn)];
  }, ([g]) => tidy(() => converged(g.matmul(g.transpose(-1, -2)))));
  const [rows, rotations] = state;
  return tidy(() => {
    try {
      if (!padded) return [rows.clone(), rotations.clone()];
      const keep = keptPositions(order, k, device);
      return [indexSelect(rows, -2, keep), indexSelect(rotations, -2, keep).narrow(-1, 0, k).contiguous()];
    } finally {
      rows.dispose();
      rotations.dispose();
    }
  });
}

/**
 * `A = U diag(S) Vh` for `[..., m, n]` (torch.linalg.svd): S `[..., k]` descending (k = min(m,
 * n)); with `fullMatrices` (the default, as PyTorch) U is `[..., m, m]` and Vh `[..., n, n]`,
 * else `[..., m, k]` and `[..., k, n]`. One-sided Jacobi orthogonalizes A's columns (its rows
 * when A is wide); U comes from the QR factorisation of the result, so it is orthonormal even
 * where singular values are 0. Each pair of singular vectors has an arbitrary common sign, as
 * LAPACK's. The gradient is PyTorch's (the columns past k of a full U or Vh take none),
 * defined where the singular values are distinct and, for U and Vh, non-zero.
 *
 * @example
 * ```ts
 * const { U, S, Vh } = tl.linalg.svd(x.sub(x.mean(0)), false); // principal directions: Vh's rows
 * ```
 */
function svd(a: Tensor, fullMatrices = true): SvdResult {
  const op = 'linalg.svd';
  requireTensor(op, a, 'A');
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: A must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2) throw new Error(`${op}: A must be a batch of matrices [..., m, n], got ${formatShape(a.shape)}`);
  if (typeof fullMatrices !== 'boolean') throw new TypeError(`${op}: fullMatrices must be a boolean, got ${typeof fullMatrices}`);
  const [m, n] = a.shape.slice(-2);
  const k = Math.min(m, n);
  const wide = m < n;
  const [u32, s32, vh32] = withinOp(() => owned((t) => {
    const wa = a.dtype === 'float16' ? t(a.cast('float32')) : a;
    // Tall (rows ≥ columns) B = A or Aᵀ; its columns are the rows of G = Bᵀ.
    const g0 = wide ? wa : t(t(wa.transpose(-1, -2)).contiguous());
    const big = wide ? n : m;
    if (k === 0) {
      const batch = a.shape.slice(0, -2);
      const eyeOf = (size: number, cols: number) => t(t(eye(size, cols, { device: a.device })).expand([...batch, size, cols])).contiguous();
      return [eyeOf(m, fullMatrices ? m : 0), t(wa.narrow(-1, 0, 0)).sum(-2), eyeOf(fullMatrices ? n : 0, n)];
    }
    const [rows, w] = orthogonalizeRows(g0);
    t(rows);
    t(w);
    const norms = t(t(t(rows.square()).sum(-1)).sqrt());
    const order = sort(norms, -1, true);
    t(order.indices);
    const byIndex = (x: Tensor) => t(gather(x, -2, t(t(order.indices.unsqueeze(-1)).expand(x.shape))));
    // B V = Q R, R diagonal up to rounding: Q's columns with R's signs are U (orthonormal even
    // where a column of B V is 0, which Householder completes).
    const bv = t(byIndex(rows).transpose(-1, -2)); // [..., big, k]
    const { Q, R } = solvers.qr(bv, fullMatrices ? 'complete' : 'reduced');
    t(Q);
    t(R);
    const nonNegative = t(t(t(t(R.diagonal(0, -2, -1)).narrow(-1, 0, k)).ge(0)).float());
    const flip = t(t(t(nonNegative.mul(2)).sub(1)).unsqueeze(-2)); // ±1 per column: R's diagonal signs
    const leading = t(t(Q.narrow(-1, 0, k)).mul(flip));
    const left = fullMatrices && big > k ? t(cat([leading, t(Q.narrow(-1, k, big - k))], -1)) : leading;
    const right = byIndex(w); // Vᵀ's rows, [..., k, k]
    const values = order.values;
    // For a wide A the roles swap: A = (B)ᵀ = V S Uᵀ.
    if (wide) return [t(right.transpose(-1, -2)).contiguous(), values, t(left.transpose(-1, -2)).contiguous()];
    return [left.contiguous(), values, right.contiguous()];
  }));
  const half = a.dtype === 'float16';
  const outs = half ? withinOp(() => [u32, s32, vh32].map((x) => x.cast('float16'))) : [u32, s32, vh32];
  const [U, S, Vh] = recordMultiOp(op, [a], outs, [u32, s32, vh32], ([gu, gs, gvh], [su, ss, svh]) => {
    const [grad] = inFloat32List([gu, gs, gvh, su, ss, svh], ([gu, gs, gvh, su, ss, svh]) => [owned((t) => {
      // PyTorch's svd_backward, on the first k columns of U and rows of Vh; a missing gradient is 0.
      const u = fullMatrices ? t(su.narrow(-1, 0, k)) : su;
      const vh = fullMatrices ? t(svh.narrow(-2, 0, k)) : svh;
      const zeros = (like: Tensor) => t(like.mul(0));
      const dU = gu ? (fullMatrices ? t(gu.narrow(-1, 0, k)) : gu) : zeros(u);
      const dVh = gvh ? (fullMatrices ? t(gvh.narrow(-2, 0, k)) : gvh) : zeros(vh);
      const dS = gs ?? zeros(ss);
      const skew = (x: Tensor) => t(x.sub(t(x.transpose(-1, -2))));
      const uhgu = skew(t(t(u.transpose(-1, -2)).matmul(dU)));
      const vhgv = skew(t(vh.matmul(t(dVh.transpose(-1, -2)))));
      const s2 = t(ss.square());
      const onDiagonal = t(eye(k, k, { dtype: 'bool', device: ss.device }));
      const gaps = t(where(onDiagonal, 1, t(t(s2.unsqueeze(-2)).sub(t(s2.unsqueeze(-1))))));
      const inner = t(t(t(uhgu.mul(t(ss.unsqueeze(-2)))).add(t(t(ss.unsqueeze(-1)).mul(vhgv)))).div(gaps));
      const ret = t(inner.add(t(dS.diagEmbed())));
      if (m > n) {
        const gus = t(dU.div(t(ss.unsqueeze(-2))));
        const lhs = t(t(t(u.matmul(ret)).add(gus)).sub(t(u.matmul(t(t(u.transpose(-1, -2)).matmul(gus))))));
        return lhs.matmul(vh);
      }
      if (m < n) {
        const sgv = t(dVh.div(t(ss.unsqueeze(-1))));
        const rhs = t(t(t(ret.matmul(vh)).add(sgv)).sub(t(t(sgv.matmul(t(vh.transpose(-1, -2)))).matmul(vh))));
        return u.matmul(rhs);
      }
      return t(u.matmul(ret)).matmul(vh);
    })]);
    return [grad];
  });
  if (half) for (const x of [u32, s32, vh32]) x.dispose();
  return { U, S, Vh };
}

/**
 * The singular values of `[..., m, n]`, descending (torch.linalg.svdvals): {@link svd}'s `S`,
 * differentiable everywhere the singular values are distinct.
 *
 * @example
 * ```ts
 * tl.linalg.svdvals(weight).amax(); // the spectral norm
 * ```
 */
function svdvals(a: Tensor): Tensor {
  const { U, S, Vh } = svd(a, false);
  U.dispose(); // the graph keeps its own handles for the backward pass
  Vh.dispose();
  return S;
}

/** PyTorch's tolerances for `pinv` and `matrixRank`: singular values at most max(atol, rtol·σ₁) count as 0. */
export interface RankTolerance {
  /** Absolute tolerance (default 0). */
  atol?: number;
  /** Relative tolerance (default: max(m, n) × float32's epsilon when `atol` is not given, else 0). */
  rtol?: number;
  /** A is symmetric: its eigenvalues' magnitudes stand for the singular values (PyTorch's `hermitian`). */
  hermitian?: boolean;
}

function tolerances(op: string, a: Tensor, options: RankTolerance): { atol: number; rtol: number; hermitian: boolean } {
  checkOptionKeys(op, options, ['atol', 'rtol', 'hermitian']);
  const { atol, rtol, hermitian = false } = options;
  for (const [name, v] of [['atol', atol], ['rtol', rtol]] as const) {
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new TypeError(`${op}: ${name} must be a non-negative number, got ${String(v)}`);
  }
  if (typeof hermitian !== 'boolean') throw new TypeError(`${op}: hermitian must be a boolean, got ${typeof hermitian}`);
  const [m, n] = a.shape.slice(-2);
  const eps = a.dtype === 'float16' ? 2 ** -10 : 2 ** -23;
  return { atol: atol ?? 0, rtol: rtol ?? (atol !== undefined && atol > 0 ? 0 : Math.max(m, n) * eps), hermitian };
}

/** Singular values (descending) and the cut below which they count as 0, per matrix `[..., 1]`. */
function singularValuesAndCut(op: string, a: Tensor, options: RankTolerance): { values: Tensor; cut: Tensor } {
  const { atol, rtol, hermitian } = tolerances(op, a, options);
  if (hermitian) checkSymmetricInput(op, a, 'L');
  return owned((t) => {
    let values: Tensor;
    if (hermitian) {
      const order = t(t(eigvalsh(a)).abs()).sort(-1, true);
      t(order.indices);
      values = t(order.values);
    } else {
      values = t(svdvals(a));
    }
    const largest = t(values.amax(-1, true));
    return { values, cut: t(largest.mul(rtol)).maximum(atol) };
  });
}

/**
 * The Moore–Penrose pseudo-inverse of `[..., m, n]` (torch.linalg.pinv), from the SVD (from
 * `eigh` with `hermitian`): singular values at most max(atol, rtol·σ₁) are treated as 0. The
 * gradient is PyTorch's, finite for rank-deficient A too.
 *
 * @example
 * ```ts
 * tl.linalg.pinv(tl.tensor([[1, 2], [2, 4]])); // [[0.04, 0.08], [0.08, 0.16]]
 * ```
 */
function pinv(a: Tensor, options: RankTolerance = {}): Tensor {
  const op = 'linalg.pinv';
  requireTensor(op, a, 'A');
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: A must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2) throw new Error(`${op}: A must be a batch of matrices [..., m, n], got ${formatShape(a.shape)}`);
  const { atol, rtol, hermitian } = tolerances(op, a, options);
  if (hermitian) checkSymmetricInput(op, a, 'L');
  const inverse = inFloat32List([a], ([wa]) => [withinOp(() => owned((t) => {
    // A⁺ = V diag(1/σ) Uᵀ over the singular values above the cut (for hermitian A, its
    // eigenvalues, whose magnitudes are the singular values).
    const scaled = (values: Tensor) => {
      const cut = t(t(t(t(values.abs()).amax(-1, true)).mul(rtol)).maximum(atol));
      return t(t(where(t(t(values.abs()).gt(cut)), t(values.reciprocal()), 0)).unsqueeze(-2));
    };
    if (hermitian) {
      const { eigenvalues, eigenvectors } = eigh(wa);
      t(eigenvalues);
      t(eigenvectors);
      return t(eigenvectors.mul(scaled(eigenvalues))).matmul(t(eigenvectors.transpose(-1, -2)));
    }
    const { U, S, Vh } = svd(wa, false);
    for (const x of [U, S, Vh]) t(x);
    return t(t(Vh.transpose(-1, -2)).mul(scaled(S))).matmul(t(U.transpose(-1, -2)));
  }))])[0];
  return recordOp(op, [a], inverse, [inverse, a], (g, [sp, sa]) => [pinvBackward(g, sp, sa)]);
}

/** PyTorch's pinv_backward: the derivative of A⁺ (given as `inverse`) at constant rank, finite where A is rank-deficient. */
function pinvBackward(g: Tensor, inverse: Tensor, a: Tensor): Tensor {
  return inFloat32([g, inverse, a], ([g, pa, aa]) => owned((t) => {
    const [m, n] = aa.shape.slice(-2);
    const ph = t(pa.transpose(-1, -2));
    const gh = t(g.transpose(-1, -2));
    if (m <= n) {
      const k = t(gh.matmul(pa));
      const kph = t(k.matmul(ph));
      const first = t(t(t(pa.matmul(k)).transpose(-1, -2)).neg());
      const third = t(t(aa.matmul(pa)).matmul(kph));
      const fourth = t(t(ph.matmul(pa)).matmul(t(gh.sub(t(k.matmul(aa))))));
      return t(t(first.add(kph)).sub(third)).add(fourth);
    }
    const k = t(pa.matmul(gh));
    const phk = t(ph.matmul(k));
    const first = t(t(t(k.matmul(pa)).transpose(-1, -2)).neg());
    const second = t(t(t(gh.sub(t(aa.matmul(k)))).matmul(pa)).matmul(ph));
    const fourth = t(t(phk.matmul(pa)).matmul(aa));
    return t(t(first.add(second)).add(phk)).sub(fourth);
  }));
}

/**
 * The numerical rank of `[..., m, n]` (torch.linalg.matrix_rank): how many singular values
 * exceed max(atol, rtol·σ₁), as int32.
 *
 * @example
 * ```ts
 * tl.linalg.matrixRank(tl.tensor([[1, 2], [2, 4]])); // 1
 * ```
 */
function matrixRank(a: Tensor, options: RankTolerance = {}): Tensor {
  const op = 'linalg.matrixRank';
  requireTensor(op, a, 'A');
  if (!isFloating(a.dtype)) throw new TypeError(`${op}: A must be float32 or float16, got ${a.dtype}; cast with t.float() first`);
  if (a.rank < 2) throw new Error(`${op}: A must be a batch of matrices [..., m, n], got ${formatShape(a.shape)}`);
  return withinOp(() => owned((t) => {
    const { values, cut } = singularValuesAndCut(op, a, options);
    t(values);
    t(cut);
    return t(t(values.gt(cut)).int()).sum(-1);
  }));
}

/** What `linalg.lstsq` returns, as LAPACK's SVD driver (gelsd) fills it. */
export interface LstsqResult {
  /** The minimum-norm X minimising ‖A X - B‖, `[..., n, k]`. */
  solution: Tensor;
  /** ‖A X - B‖² per column `[..., k]` (`[..., 1]` for a vector B) when m > n and A has full rank; else empty `[0]`. */
  residuals: Tensor;
  /** The numerical rank of each A (int32). */
  rank: Tensor;
  /** A's singular values, descending. */
  singularValues: Tensor;
}

/** PyTorch's keyword-only argument of `lstsq`. */
export interface LstsqOptions {
  /** 'gelsd' or 'gelss' (both SVD-based; the default): the others give other solutions at rank deficiency. */
  driver?: 'gelsd' | 'gelss';
}

/**
 * The least-squares solution of `A X = B` (torch.linalg.lstsq) for `A` `[..., m, n]` and `B`
 * `[..., m, k]` (or `[..., m]`), from the SVD, as LAPACK's gelsd driver: singular values at
 * most `rcond`·σ₁ (default max(m, n) × float32's epsilon) count as 0, and X is the
 * minimum-norm solution. The gradient is PyTorch's, through `pinv(A)` at its default
 * tolerance (whatever `rcond` was).
 *
 * @example
 * ```ts
 * const { solution } = tl.linalg.lstsq(features, targets); // linear regression weights
 * ```
 */
function lstsq(a: Tensor, b: Tensor, rcond: number | null = null, options: LstsqOptions = {}): LstsqResult {
  const op = 'linalg.lstsq';
  requireTensor(op, a, 'A');
  requireTensor(op, b, 'B');
  checkOptionKeys(op, options, ['driver']);
  const driver = options.driver ?? 'gelsd';
  if (driver !== 'gelsd' && driver !== 'gelss') {
    throw new Error(`${op}: driver '${String(driver)}' is not supported: Tensile solves with the SVD, as 'gelsd' and 'gelss' do ('gelsy' and 'gels' find other solutions for a rank-deficient A)`);
  }
  if (!isFloating(a.dtype) || a.dtype !== b.dtype) throw new TypeError(`${op}: A and B must be float32 or float16 of one dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.rank < 2) throw new Error(`${op}: A must be a batch of matrices [..., m, n], got ${formatShape(a.shape)}`);
  const [m, n] = a.shape.slice(-2);
  const vector = b.rank === a.rank - 1;
  if ((vector ? b.shape[b.rank - 1] : b.shape[b.rank - 2]) !== m || b.rank < 1) {
    throw new Error(`${op}: B must have A's ${m} rows ([..., ${m}, k] or [..., ${m}]), got ${formatShape(b.shape)} for A ${formatShape(a.shape)}`);
  }
  if (rcond !== null && !(typeof rcond === 'number' && rcond >= 0)) throw new TypeError(`${op}: rcond must be a non-negative number or null, got ${String(rcond)}`);
  const rtol = rcond ?? Math.max(m, n) * (a.dtype === 'float16' ? 2 ** -10 : 2 ** -23);
  const [solution, residuals, rank, singularValues] = withinOp(() => owned((t) => {
    const rhs = vector ? t(b.unsqueeze(-1)) : b;
    const x = t(t(pinv(a, { rtol, atol: 0 })).matmul(rhs));
    const { values, cut } = singularValuesAndCut(op, a, { rtol, atol: 0 });
    t(cut);
    const ranks = t(t(t(values.gt(cut)).int()).sum(-1));
    // Residuals where m > n and A has full rank (every matrix, where that can be read).
    const fullRank = m > n && !(ranks.backend.readSync && Array.from(ranks.dataSync()).some((r) => r < n));
    const squares = fullRank ? t(t(t(t(a.matmul(x)).sub(rhs)).square()).sum(-2)) : t(full([0], 0, { dtype: a.dtype, device: a.device }));
    return [vector ? x.squeeze(-1) : x.clone(), squares.clone(), ranks.clone(), values]; // residuals [..., 1] for a vector B, as PyTorch
  }));
  // PyTorch's linalg_lstsq_backward: through pinv(A) at its default tolerance (whatever rcond was).
  const tracked = recordOp(op, [a, b], solution, [a, b], (g, [sa, sb], needs) => owned((t) => {
    const inverse = t(withinOp(() => pinv(sa)));
    const gx = vector ? t(g.unsqueeze(-1)) : g;
    const rhs = vector ? t(sb.unsqueeze(-1)) : sb;
    const gradA = needs[0] ? sumToShape(t(pinvBackward(t(gx.matmul(t(rhs.transpose(-1, -2)))), inverse, sa)), sa.shape) : null;
    const gradB = needs[1] ? t(t(inverse.transpose(-1, -2)).matmul(gx)) : null;
    return [gradA, gradB && (vector ? sumToShape(t(gradB.squeeze(-1)), sb.shape) : sumToShape(gradB, sb.shape))];
  }));
  return { solution: tracked, residuals, rank, singularValues };
}

/** `tl.linalg`'s spectral decompositions and what is built on them (functions only, no methods). */
export const spectral = { eigh, eigvalsh, svd, svdvals, pinv, matrixRank, lstsq } as const;
