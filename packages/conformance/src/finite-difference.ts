/**
 * Gradients against central finite differences: the second oracle, independent of PyTorch.
 * For each case the loss is `(f(inputs) * w).sum()` with fixed random `w`; every element of
 * every differentiable input is nudged by +-eps and the slope compared with `backward()`.
 */
import * as tl from '@tensile/core';
import { describe } from 'vitest';
import { distinct, mismatch, randoms } from './compare.js';
import type { Suite } from './context.js';
import { FINITE_DIFFERENCE } from './tolerances.js';

interface FdInput {
  shape: number[];
  values: number[];
  /** Differentiate with respect to this input (default true for float32). */
  grad?: boolean;
  dtype?: 'float32' | 'int32' | 'bool';
}

interface FdCase {
  name: string;
  inputs: FdInput[];
  fn: (...xs: tl.Tensor[]) => tl.Tensor;
  /** Use the small step, for piecewise-linear ops (inputs must be spaced wider than it). */
  piecewise?: boolean;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const rand = (shape: number[], seed: number, lo = -1, hi = 1): FdInput => ({ shape, values: randoms(size(shape), seed, lo, hi) });
const ints = (shape: number[], values: number[]): FdInput => ({ shape, values, dtype: 'int32', grad: false });

/** `a` (n×n matrices) plus 3 on the diagonal, on `a`'s device. */
const wellConditioned = (a: tl.Tensor) => a.add(tl.eye(a.shape[a.rank - 1], undefined, { device: a.device }).mul(3));

export const FD_CASES: FdCase[] = [
  {
    name: 'conv2d stride padding groups bias',
    inputs: [rand([1, 2, 4, 5], 1), rand([4, 1, 3, 3], 2), rand([4], 3)],
    fn: (x, w, b) => tl.conv2d(x, w, b, { stride: [2, 1], padding: 1, groups: 2 }),
  },
  {
    name: "conv2d dilation padding 'same'",
    inputs: [rand([1, 1, 5, 5], 4), rand([2, 1, 2, 2], 5)],
    fn: (x, w) => tl.conv2d(x, w, null, { padding: 'same', dilation: 2 }),
  },
  {
    name: 'conv1d stride padding',
    inputs: [rand([1, 2, 6], 6), rand([3, 2, 3], 7), rand([3], 8)],
    fn: (x, w, b) => tl.conv1d(x, w, b, { stride: 2, padding: 1 }),
  },
  {
    name: 'maxPool2d kernel 3 stride 2 padding 1',
    inputs: [{ shape: [1, 2, 5, 5], values: distinct(50, 9, 0.05) }],
    fn: (x) => tl.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
    piecewise: true,
  },
  {
    name: 'avgPool2d countIncludePad false',
    inputs: [rand([1, 2, 5, 4], 10)],
    fn: (x) => tl.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
  },
  {
    name: 'matmul batched broadcast',
    inputs: [rand([2, 3, 4], 11), rand([4, 2], 12)],
    fn: (a, b) => tl.matmul(a, b),
  },
  {
    name: 'matmul vector by matrix',
    inputs: [rand([3], 13), rand([3, 2], 14)],
    fn: (a, b) => tl.matmul(a, b),
  },
  { name: 'softmax', inputs: [rand([3, 4], 15, -2, 2)], fn: (x) => x.softmax(1) },
  { name: 'logSoftmax dim 0', inputs: [rand([3, 4], 16, -2, 2)], fn: (x) => x.logSoftmax(0) },
  {
    name: 'scaledDotProductAttention causal, with a float mask',
    inputs: [rand([2, 4, 3], 64), rand([2, 5, 3], 65), rand([2, 5, 2], 66), rand([4, 5], 67)],
    fn: (q, k, v, m) => tl.add(tl.scaledDotProductAttention(q, k, v, { isCausal: true }), tl.scaledDotProductAttention(q, k, v, { attnMask: m })),
  },
  { name: 'cumsum dim -1', inputs: [rand([3, 4], 60)], fn: (x) => x.cumsum(-1) },
  { name: 'cumprod', inputs: [rand([3, 5], 61, 0.5, 1.5)], fn: (x) => x.cumprod(1) },
  { name: 'cumprod with zeros', inputs: [{ shape: [2, 5], values: [0.7, 0, 1.3, 0, 0.9, 1.2, -0.8, 0, 1.1, 0.6] }], fn: (x) => x.cumprod(1) },
  { name: 'cummax values', inputs: [{ shape: [3, 4], values: distinct(12, 62, 0.3) }], fn: (x) => x.cummax(0).values, piecewise: true },
  { name: 'cummin values', inputs: [{ shape: [4, 3], values: distinct(12, 63, 0.3) }], fn: (x) => x.cummin(1).values, piecewise: true },
  { name: 'logcumsumexp', inputs: [rand([3, 4], 64, -3, 3)], fn: (x) => x.logcumsumexp(1) },
  { name: 'logcumsumexp with -Infinity', inputs: [{ shape: [5], values: [0.3, -Infinity, 1.2, -Infinity, -0.4] }], fn: (x) => x.logcumsumexp(0) },
  {
    name: 'gather',
    inputs: [rand([2, 4], 17), ints([2, 3], [0, 2, 2, 1, 0, 3])],
    fn: (x, i) => x.gather(1, i),
  },
  {
    name: 'scatterAdd',
    inputs: [rand([3, 3], 18), ints([2, 3], [0, 2, 0, 2, 2, 1]), rand([2, 3], 19)],
    fn: (x, i, s) => x.scatterAdd(0, i, s),
  },
  {
    name: 'scatterReduce prod with self',
    inputs: [rand([3, 3], 40), ints([2, 3], [0, 2, 0, 2, 2, 1]), rand([2, 3], 41)],
    fn: (x, i, s) => x.scatterReduce(0, i, s, 'prod'),
  },
  {
    name: 'scatterReduce amax without self',
    inputs: [rand([3, 3], 42), ints([2, 3], [0, 2, 0, 2, 2, 1]), rand([2, 3], 43)],
    fn: (x, i, s) => x.scatterReduce(0, i, s, 'amax', { includeSelf: false }),
  },
  {
    name: 'scatterReduce mean along dim 1',
    inputs: [rand([2, 4], 44), ints([2, 3], [3, 3, 0, 1, 1, 1]), rand([2, 3], 45)],
    fn: (x, i, s) => x.scatterReduce(1, i, s, 'mean'),
  },
  {
    name: 'scatter with repeated indices',
    inputs: [rand([3, 2], 46), ints([2, 2], [1, 0, 1, 2]), rand([2, 2], 47)],
    fn: (x, i, s) => x.scatter(0, i, s),
  },
  {
    name: 'indexSelect with repeats',
    inputs: [rand([4, 3], 20), ints([5], [3, 0, 3, 1, 3])],
    fn: (x, i) => x.indexSelect(0, i),
  },
  { name: 'pad positive and negative', inputs: [rand([3, 4], 21)], fn: (x) => x.pad([1, -1, -1, 2], 0.5) },
  {
    name: 'cat',
    inputs: [rand([2, 3], 22), rand([2, 2], 23)],
    fn: (a, b) => tl.cat([a, b], 1),
  },
  {
    name: 'stack and split',
    inputs: [rand([2, 3], 24), rand([2, 3], 25)],
    fn: (a, b) => {
      const [p, q] = tl.stack([a, b], 1).split([1, 1], 1);
      return p.mul(q.exp());
    },
  },
  {
    name: 'prod with zeros',
    inputs: [{ shape: [3, 3], values: [0, 2, 3, 1.5, 0, 0, 1, -2, 0.5] }],
    fn: (x) => x.prod(1),
  },
  {
    name: 'prod over all dims with one zero',
    inputs: [{ shape: [2, 2], values: [1.5, 0, -2, 0.75] }],
    fn: (x) => x.prod(),
  },
  {
    name: 'where',
    inputs: [{ shape: [2, 3], values: [1, 0, 1, 0, 0, 1], dtype: 'bool', grad: false }, rand([2, 3], 26), rand([3], 27)],
    fn: (c, a, b) => tl.where(c, a, b),
  },
  { name: 'var and std', inputs: [rand([3, 4], 28)], fn: (x) => x.var(1, true).add(x.std(0)) },
  { name: 'logsumexp', inputs: [rand([2, 3, 2], 29, -2, 2)], fn: (x) => x.logsumexp([0, 2]) },
  { name: 'mean over dims keepdim', inputs: [rand([2, 3, 2], 30)], fn: (x) => x.mean([0, -1], true) },
  {
    name: 'div and pow',
    inputs: [rand([2, 3], 31, 0.5, 2), rand([2, 3], 32, -1, 2)],
    fn: (a, b) => a.pow(b).div(b.add(3)),
  },
  {
    name: 'gelu silu softplus erf',
    inputs: [rand([6], 33, -2, 2)],
    fn: (x) => x.gelu().add(x.gelu('tanh')).add(x.silu()).add(x.softplus()).add(x.erf()),
  },
  {
    name: 'maximum and clamp',
    inputs: [{ shape: [6], values: distinct(6, 34, 0.3) }, { shape: [6], values: distinct(6, 35, 0.3).map((v) => v + 0.05) }],
    fn: (a, b) => a.maximum(b).add(a.clamp(-0.42, 0.42)),
    piecewise: true,
  },
  {
    name: 'strided slice, expand and reshape',
    inputs: [rand([4, 5], 36)],
    fn: (x) => x.index([0, undefined, 2], [1, 4]).expand([2, 2, 3]).reshape([4, 3]).transpose(0, 1),
  },
  {
    name: 'mlp with cross entropy',
    inputs: [rand([4, 3], 37), rand([3, 5], 38), rand([5], 39), rand([5, 3], 40), ints([4], [0, 2, 1, 2])],
    fn: (x, w1, b1, w2, y) =>
      x.matmul(w1).add(b1).tanh().matmul(w2).logSoftmax(-1).gather(1, y.unsqueeze(1)).mean().neg(),
  },
  // Shape ops with gradients of their own (flip, unfold, diagonal, diagEmbed, repeat) and composites.
  { name: 'flip and roll', inputs: [rand([2, 3, 4], 41)], fn: (x) => x.flip([0, 2]).add(x.roll([1, -1], [0, 1]).mul(0.5)) },
  { name: 'rot90 and repeat', inputs: [rand([2, 3], 42)], fn: (x) => x.rot90(1).repeat([2, 1, 2]).add(x.t().tile([1, 2])) },
  {
    name: 'repeatInterleave with tensor repeats',
    inputs: [rand([3, 2], 43), ints([3], [2, 0, 1])],
    fn: (x, r) => x.repeatInterleave(r, 0, { outputSize: 3 }).mul(x.repeatInterleave(2, 0).narrow(0, 1, 3)),
  },
  { name: 'unfold with overlapping windows', inputs: [rand([5, 3], 44)], fn: (x) => tl.cat([x.unfold(0, 3, 1).flatten(), x.unfold(1, 2, 1).flatten(), x.unfold(0, 2, 3).flatten()]) },
  {
    name: 'diagonal, diagEmbed and diag',
    inputs: [rand([3, 4], 45), rand([2, 3], 46)],
    fn: (x, v) => tl.cat([tl.diagEmbed(x.diagonal(1)).flatten(), x.narrow(1, 0, 3).diag(-1).diag(1).flatten(), v.diagEmbed(-1, 0, 2).flatten()]),
  },
  { name: 'tril and triu', inputs: [rand([2, 3, 4], 47)], fn: (x) => x.tril(-1).add(x.triu(2).mul(2)) },
  {
    name: 'meshgrid, vstack and broadcastTensors',
    inputs: [rand([3], 48), rand([2], 49)],
    fn: (a, b) => {
      const [p, q] = tl.meshgrid([a, b], { indexing: 'xy' });
      const [s, u] = tl.broadcastTensors(a.unsqueeze(0), b.unsqueeze(1));
      return tl.vstack([p.mul(q), a, s.mul(u.exp())]);
    },
  },
  {
    name: 'unbind, tensorSplit, unflatten and movedim',
    inputs: [rand([2, 6], 50)],
    fn: (x) => {
      const [u, v] = x.unbind(0);
      const parts = x.tensorSplit(4, 1);
      return tl.cat([u.mul(v), parts[3].flatten(), x.unflatten(1, [3, 2]).movedim(0, -1).flatten(), tl.hstack([parts[0], parts[1]]).flatten()]);
    },
  },
  // Selections: each value's gradient goes back to its position (inputs spaced wider than eps).
  {
    name: 'sort, topk and kthvalue values',
    inputs: [{ shape: [3, 5], values: distinct(15, 51, 0.05) }],
    fn: (x) => tl.cat([
      x.sort(1, true).values.flatten(), x.sort(0).values.mul(x.msort()).flatten(),
      x.topk(2).values.flatten(), x.topk(2, 0, false).values.flatten(), x.kthvalue(3, 1).values, x.kthvalue(2, 0, true).values.flatten(),
    ]),
    piecewise: true,
  },
  {
    // With ties a perturbation changes the counts, so finite differences need distinct values
    // (the mode is then the smallest); the PyTorch fixture 'mode/values' checks ties.
    name: 'mode values of distinct elements',
    inputs: [{ shape: [2, 5], values: distinct(10, 57, 0.05) }],
    fn: (x) => tl.cat([x.mode(1).values, x.mode(0, true).values.flatten()]),
    piecewise: true,
  },
  {
    name: 'median and nanmedian values',
    inputs: [{ shape: [3, 4], values: distinct(12, 53, 0.05) }],
    fn: (x) => tl.cat([x.median(1).values, x.median(0, true).values.flatten(), x.median().reshape([1]), x.nanmedian(0).values]),
    piecewise: true,
  },
  {
    name: 'quantile and nanquantile (each interpolation), trace of a tall and a wide matrix',
    inputs: [{ shape: [3, 5], values: distinct(15, 59, 0.05) }],
    fn: (x) => tl.cat([
      x.quantile(0.3, 1), x.quantile(tl.tensor([0.2, 0.9]), 0, true).flatten(), x.quantile(0.65).reshape([1]),
      x.nanquantile(0.5, 1, false, { interpolation: 'midpoint' }), x.quantile(0.4, 1, false, { interpolation: 'nearest' }),
      x.trace().reshape([1]), x.t().trace().mul(2).reshape([1]),
    ]),
    piecewise: true,
  },
  {
    name: 'conv3d (stride, padding, groups) and avgPool3d (ceilMode, padding not counted)',
    inputs: [rand([1, 2, 4, 3, 4], 74), rand([2, 1, 2, 2, 3], 75)],
    fn: (x, w) => tl.cat([
      tl.conv3d(x, w, null, { stride: [2, 1, 1], padding: [1, 0, 1], groups: 2 }).flatten(),
      tl.avgPool3d(x, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).flatten(),
    ]),
  },
  {
    name: 'convTranspose3d (stride, padding, outputPadding, dilation, groups)',
    inputs: [rand([1, 2, 2, 3, 2], 77), rand([2, 1, 2, 2, 2], 78)],
    fn: (x, w) => tl.convTranspose3d(x, w, null, { stride: [2, 1, 2], padding: [1, 0, 0], outputPadding: [1, 0, 1], dilation: [1, 2, 1], groups: 2 }).flatten(),
  },
  {
    name: 'asStrided: overlapping windows and a zero stride',
    inputs: [rand([2, 5], 79)],
    fn: (x) => tl.cat([x.asStrided([3, 4], [2, 1], 1).flatten(), tl.asStrided(x, [2, 3], [0, 3]).flatten()]),
  },
  {
    name: 'maxPool3d values (padding, dilation)',
    inputs: [{ shape: [1, 1, 4, 4, 4], values: distinct(64, 76, 0.05) }],
    fn: (x) => tl.maxPool3d(x, { kernelSize: 2, stride: 1, padding: 1, dilation: [2, 1, 1] }).flatten(),
    piecewise: true,
  },
  {
    name: 'addcmul value broadcast',
    inputs: [rand([3, 4], 60), rand([3, 4], 61), rand([4], 62)],
    fn: (x, a, b) => tl.addcmul(x, a, b, { value: 0.7 }),
  },
  {
    name: 'addcdiv value',
    inputs: [rand([2, 3], 63), rand([2, 3], 64), rand([3], 65, 0.5, 2)],
    fn: (x, a, b) => tl.addcdiv(x, a, b, { value: -1.5 }),
  },
  {
    name: 'fmax and fmin route the gradient to the chosen operand',
    inputs: [{ shape: [6], values: [0.1, 0.9, -0.5, 0.3, -0.8, 0.6] }, { shape: [6], values: [0.5, 0.2, -0.1, -0.7, 0.4, -0.2] }],
    fn: (a, b) => tl.fmax(a, b).mul(tl.fmin(a, b).add(2)),
    piecewise: true,
  },
  {
    name: 'remainder and fmod (away from the jumps)',
    inputs: [rand([5], 68, 0.2, 0.8), rand([5], 69, 1.5, 2)],
    fn: (a, b) => tl.remainder(a.mul(5), b).add(tl.fmod(a.mul(-5), b)),
    piecewise: true,
  },
  // Random matrices with 3 added on the diagonal (wellConditioned): float32 slopes are steady.
  {
    name: 'linalg.solve (matrix and broadcast right-hand side)',
    inputs: [rand([2, 3, 3], 61), rand([3, 2], 62)],
    fn: (a, b) => tl.linalg.solve(wellConditioned(a), b),
  },
  {
    name: 'linalg.inv',
    inputs: [rand([3, 3], 63)],
    fn: (a) => tl.linalg.inv(wellConditioned(a)),
  },
  {
    // A Aᵀ + 3 I: symmetric positive-definite for any A, so every nudge keeps it factorable.
    name: 'linalg.cholesky, lower and upper',
    inputs: [rand([2, 3, 3], 65)],
    fn: (a) => {
      const spd = wellConditioned(a.matmul(a.transpose(-1, -2)));
      return tl.stack([tl.linalg.cholesky(spd), tl.linalg.cholesky(spd, { upper: true })]);
    },
  },
  {
    name: 'linalg.solveTriangular, lower left and upper right',
    inputs: [rand([3, 3], 66), rand([3, 2], 67)],
    fn: (a, b) => {
      const m = wellConditioned(a);
      const lower = tl.linalg.solveTriangular(m, b, { upper: false });
      const right = tl.linalg.solveTriangular(m, b.t(), { upper: true, left: false });
      return tl.cat([lower.flatten(), right.flatten()]);
    },
  },
  {
    name: 'linalg.qr of a tall matrix (Q and R)',
    inputs: [rand([4, 3], 70)],
    fn: (a) => {
      const { Q, R } = tl.linalg.qr(a);
      return tl.cat([Q.flatten(), R.flatten()]);
    },
  },
  {
    name: 'linalg.matrixPower (3 and -2) and matrixExp',
    inputs: [rand([3, 3], 71)],
    fn: (a) => tl.stack([tl.linalg.matrixPower(a, 3), tl.linalg.matrixPower(wellConditioned(a), -2), tl.linalg.matrixExp(a.mul(2))]),
  },
  {
    // Signs fixed by each vector's first entry (eigenvectors and singular vectors have arbitrary
    // signs). A symmetric input, as the gradient (PyTorch's) assumes: it is symmetric, while the
    // function of an unsymmetric A reads only one triangle.
    name: 'linalg.eigh (values and vectors) and eigvalsh (upper triangle) of a symmetric matrix',
    inputs: [rand([4, 4], 72)],
    fn: (a) => {
      const symmetric = a.add(a.t());
      const { eigenvalues, eigenvectors } = tl.linalg.eigh(symmetric);
      const fixed = eigenvectors.mul(eigenvectors.select(-2, 0).sign().unsqueeze(-2));
      return tl.cat([eigenvalues, fixed.flatten(), tl.linalg.eigvalsh(symmetric.mul(0.5), 'U')]);
    },
  },
  {
    name: 'linalg.svd (S, U and Vh) of a tall and of a wide matrix',
    inputs: [rand([5, 3], 73)],
    fn: (a) => {
      const parts = (m: tl.Tensor) => {
        const { U, S, Vh } = tl.linalg.svd(m, false);
        const signs = U.select(-2, 0).sign();
        return [S, U.mul(signs.unsqueeze(-2)).flatten(), Vh.mul(signs.unsqueeze(-1)).flatten()];
      };
      return tl.cat([...parts(a), ...parts(a.t())]);
    },
  },
  {
    name: 'linalg.pinv and lstsq of a tall matrix',
    inputs: [rand([5, 3], 73)],
    fn: (a) => tl.cat([tl.linalg.pinv(a).flatten(), tl.linalg.lstsq(a, a.narrow(-1, 0, 2).square()).solution.flatten()]),
  },
  {
    name: 'linalg.matrixNorm nuc, 2 and -2',
    inputs: [rand([5, 3], 73)],
    fn: (a) => tl.stack([tl.linalg.matrixNorm(a, 'nuc'), tl.linalg.matrixNorm(a, 2), tl.linalg.matrixNorm(a, -2)]),
  },
  {
    name: 'linalg.det and slogdet (a negative determinant included)',
    inputs: [rand([2, 3, 3], 64)],
    fn: (a) => {
      const m = wellConditioned(a).mul(tl.tensor([1, -1], { device: a.device }).reshape([2, 1, 1]));
      return tl.stack([tl.linalg.det(m), tl.linalg.slogdet(m).logabsdet]);
    },
  },
];

async function lossValue(c: FdCase, values: number[][], device: string, weights: number[]): Promise<number> {
  const loss = tl.noGrad(() =>
    tl.tidy(() => {
      const xs = c.inputs.map((spec, i) => tl.tensor(values[i], { dtype: spec.dtype, device }).reshape(spec.shape));
      const out = c.fn(...xs);
      return out.mul(tl.tensor(weights, { device }).reshape(out.shape)).sum();
    }),
  );
  try {
    return Number(await loss.item());
  } finally {
    loss.dispose();
  }
}

async function checkCase(c: FdCase, device: string): Promise<void> {
  const eps = c.piecewise ? FINITE_DIFFERENCE.epsPiecewise : FINITE_DIFFERENCE.eps;
  const values = c.inputs.map((s) => [...s.values]);
  const wants = c.inputs.map((s) => (s.grad ?? true) && (s.dtype ?? 'float32') === 'float32');
  // Analytic gradients.
  const xs = c.inputs.map((spec, i) => {
    const t = tl.tensor(values[i], { dtype: spec.dtype, device }).reshape(spec.shape);
    if (wants[i]) t.requiresGrad = true;
    return t;
  });
  // In a tidy: what fn makes besides its output is freed here, not left to the garbage collector.
  const out = tl.tidy(() => c.fn(...xs));
  const weights = randoms(out.size, 1234);
  const loss = tl.tidy(() => out.mul(tl.tensor(weights, { device }).reshape(out.shape)).sum());
  loss.backward();
  const analytic = await Promise.all(xs.map(async (x) => (x.grad ? Array.from(await x.grad.data()) : null)));
  for (const x of xs) {
    x.grad = null;
    x.dispose();
  }
  out.dispose();
  loss.dispose();
  // Central differences.
  for (let i = 0; i < c.inputs.length; i++) {
    if (!wants[i]) continue;
    const numeric: number[] = [];
    for (let j = 0; j < values[i].length; j++) {
      const original = values[i][j];
      values[i][j] = original + eps;
      const plus = await lossValue(c, values, device, weights);
      values[i][j] = original - eps;
      const minus = await lossValue(c, values, device, weights);
      values[i][j] = original;
      numeric.push((plus - minus) / (2 * eps));
    }
    const got = analytic[i];
    if (!got) throw new Error(`input ${i}: backward produced no gradient`);
    const m = mismatch(got, numeric, FINITE_DIFFERENCE.tolerance);
    if (m) throw new Error(`input ${i}: analytic gradient vs finite differences: ${m}`);
  }
}

export function finiteDifferenceTests(suite: Suite): void {
  describe('finite differences', () => {
    for (const c of FD_CASES) suite.test('fd', c.name, () => checkCase(c, suite.device));
  });
}
