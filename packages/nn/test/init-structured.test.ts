/**
 * The structured initialisers (orthogonal_, truncNormal_, sparse_, dirac_, eye_) and
 * calculateGain against PyTorch 1.13 (test/fixtures/init.json, from tools/init_fixtures.py):
 * exact tensors where PyTorch's are deterministic, exact structure (orthogonality, the dirac
 * pattern, zeros per column) and statistics where they are random.
 */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { erfinv } from '../src/erfinv.js';
import { init, Parameter } from '../src/index.js';
import type { Nonlinearity } from '../src/init.js';
import { orthonormalColumns } from '../src/orthonormal.js';
import { type FixtureTensor, loadFixture, stats } from './helpers.js';

interface InitFixture {
  gains: [Nonlinearity, number | null, number][];
  qr: { m: number; n: number; a: number[]; q: number[] }[];
  erfinv: { x: number[]; y: number[] };
  dirac: { groups: number; tensor: FixtureTensor }[];
  eye: FixtureTensor[];
  truncNormal: { mean: number; std: number; a: number; b: number; exactMean: number; exactStd: number; torchStd: number }[];
}

const fixture = loadFixture<InitFixture>('init');
const param = (shape: number[]) => {
  const zeros = tl.zeros(shape);
  const p = new Parameter(zeros);
  zeros.dispose();
  return p;
};

/** QᵀQ (columns × columns) when `columns` is set, else QQᵀ, of a row-major [rows, cols] matrix, in float64. */
function gram(a: ArrayLike<number>, rows: number, cols: number, columns: boolean): number[][] {
  const n = columns ? cols : rows;
  const len = columns ? rows : cols;
  const at = (i: number, k: number) => (columns ? a[k * cols + i] : a[i * cols + k]);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < len; k++) s += at(i, k) * at(j, k);
      return s;
    }),
  );
}

describe('calculateGain matches PyTorch for every nonlinearity', () => {
  test.each(fixture.gains.map(([n, p, v]) => [n, p, v] as const))('%s (param %s)', (name, param_, value) => {
    expect(init.calculateGain(name, param_ ?? undefined)).toBeCloseTo(value, 14);
  });
  test('bad arguments', () => {
    expect(() => init.calculateGain('swish' as Nonlinearity)).toThrow("calculateGain: unsupported nonlinearity 'swish'");
    expect(() => init.calculateGain('leaky_relu', true as unknown as number)).toThrow(/negative slope true is not a valid number/);
  });
});

describe('orthogonal_', () => {
  test('the host QR matches torch.linalg.qr with positive-diagonal R', () => {
    for (const c of fixture.qr) {
      const q = orthonormalColumns(Float64Array.from(c.a), c.m, c.n);
      q.forEach((v, i) => expect(v).toBeCloseTo(c.q[i], 10));
    }
  });

  test.each([
    [[6, 4], 1],
    [[4, 6], 1],
    [[8, 2, 3, 3], Math.SQRT2],
    [[3, 3], 5 / 3],
  ])('shape %j, gain %d: orthonormal rows or columns, and Q·R of the draws tl.randn would give', (shape, gain) => {
    const w = param(shape as number[]);
    tl.manualSeed(5);
    const state = tl.getRngState();
    const before = tl.memory().numTensors;
    expect(init.orthogonal_(w, gain as number)).toBe(w);
    expect(tl.memory().numTensors).toBe(before);
    const rows = w.shape[0];
    const cols = w.size / rows;
    expect(tl.getRngState().offset).toBe(state.offset + rows * cols);
    const values = w.dataSync();
    const g = gram(values, rows, cols, rows >= cols);
    g.forEach((row, i) => row.forEach((v, j) => expect(v / (gain as number) ** 2).toBeCloseTo(i === j ? 1 : 0, 5)));
    // R = Qᵀ·A (or Q·Aᵀ's transpose) is upper triangular with a positive diagonal: Q is torch's.
    tl.setRngState(state);
    const a = tl.randn([rows, cols]).dataSync();
    const [m, n] = rows >= cols ? [rows, cols] : [cols, rows];
    const q = (i: number, j: number) => (rows >= cols ? values[i * cols + j] : values[j * cols + i]) / (gain as number);
    const am = (i: number, j: number) => (rows >= cols ? a[i * cols + j] : a[j * cols + i]);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let r = 0;
      for (let k = 0; k < m; k++) r += q(k, i) * am(k, j);
      if (i > j) expect(Math.abs(r)).toBeLessThan(1e-4);
      if (i === j) expect(r).toBeGreaterThan(0);
    }
  });

  test('errors allocate nothing; empty tensors are left alone', () => {
    const before = tl.memory().numTensors;
    const v = param([4]);
    expect(() => init.orthogonal_(v)).toThrow('orthogonal_: only tensors with 2 or more dimensions are supported, got [4]');
    const i = tl.zeros([2, 2], { dtype: 'int32' });
    expect(() => init.orthogonal_(i)).toThrow('orthogonal_: expected a float32 or float16 tensor, got int32');
    const e = param([0, 3]);
    expect(init.orthogonal_(e)).toBe(e);
    v.dispose();
    i.dispose();
    e.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });
});

describe('truncNormal_', () => {
  test('the composite erfinv matches torch.erfinv', () => {
    const x = tl.tensor(fixture.erfinv.x);
    const y = tl.tidy(() => erfinv(x)).dataSync();
    // A few float32 ulps; ten times that in the far tail, where erfinv's slope magnifies rounding.
    fixture.erfinv.y.forEach((e, i) => expect(Math.abs(y[i] - e)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(e)) * (Math.abs(e) > 2 ? 10 : 1)));
  });

  test.each(fixture.truncNormal.map((c) => [c] as const))('N(%o) truncated: within [a, b], with the exact mean and std', (c) => {
    tl.manualSeed(17);
    const w = param([200_000]);
    const before = tl.memory().numTensors;
    init.truncNormal_(w, c.mean, c.std, c.a, c.b);
    expect(tl.memory().numTensors).toBe(before);
    const { min, max, mean, std } = stats(w);
    expect(min).toBeGreaterThanOrEqual(c.a);
    expect(max).toBeLessThanOrEqual(c.b);
    // Five standard errors of the sample mean and std.
    const se = c.exactStd / Math.sqrt(w.size);
    expect(Math.abs(mean - c.exactMean)).toBeLessThan(5 * se);
    expect(Math.abs(std - c.exactStd)).toBeLessThan(5 * se * 1.5);
    w.dispose();
  });

  test('bad bounds are clear errors that draw nothing', () => {
    const w = param([3]);
    const state = tl.getRngState();
    expect(() => init.truncNormal_(w, 0, 1, 2, -2)).toThrow('truncNormal_: the lower bound a (2) must be below the upper bound b (-2)');
    expect(() => init.truncNormal_(w, 0, 0)).toThrow('truncNormal_: std must be positive and finite, got 0');
    expect(() => init.truncNormal_(w, 0, 1, 50, 60)).toThrow(/too far in the tail/);
    expect(tl.getRngState()).toEqual(state);
    w.dispose();
  });
});

describe('sparse_', () => {
  test.each([
    [[10, 7], 0.3],
    [[9, 4], 0.5],
    [[5, 3], 0],
    [[4, 6], 1],
  ])('shape %j, sparsity %d: exactly ceil(sparsity·rows) zeros in each column', (shape, sparsity) => {
    const [rows, cols] = shape as number[];
    const w = param([rows, cols]);
    tl.manualSeed(9);
    init.sparse_(w, sparsity as number, 0.5);
    const d = w.dataSync();
    const zeros = Math.ceil((sparsity as number) * rows);
    for (let c = 0; c < cols; c++) {
      let z = 0;
      for (let r = 0; r < rows; r++) if (d[r * cols + c] === 0) z++;
      expect(z).toBe(zeros);
    }
    w.dispose();
  });

  test('the surviving entries have the requested std; columns differ in which rows are zero', () => {
    const w = param([1000, 20]);
    tl.manualSeed(2);
    init.sparse_(w, 0.5, 0.1);
    const d = Array.from(w.dataSync());
    const kept = d.filter((v) => v !== 0);
    const std = Math.sqrt(kept.reduce((s, v) => s + v * v, 0) / kept.length);
    expect(std).toBeCloseTo(0.1, 2);
    const pattern = (c: number) => d.filter((_, i) => i % 20 === c).map((v) => (v === 0 ? 0 : 1)).join('');
    expect(pattern(0)).not.toBe(pattern(1));
    w.dispose();
  });

  test('errors', () => {
    const v = param([4]);
    expect(() => init.sparse_(v, 0.5)).toThrow('sparse_: only tensors with 2 dimensions are supported, got [4]');
    const m = param([2, 2]);
    expect(() => init.sparse_(m, 1.5)).toThrow('sparse_: sparsity must be a fraction in [0, 1], got 1.5');
    v.dispose();
    m.dispose();
  });
});

describe('dirac_ and eye_ write exactly what PyTorch writes', () => {
  test.each(fixture.dirac.map((c) => [c.tensor.shape, c.groups, c.tensor] as const))('dirac_ %j groups %d', (shape, groups, expected) => {
    const w = param([...shape]);
    init.normal_(w);
    expect(init.dirac_(w, groups)).toBe(w);
    expect(Array.from(w.dataSync())).toEqual(expected.data);
    w.dispose();
  });
  test('a dirac conv passes its input channels through', () => {
    const w = param([3, 3, 3, 3]);
    init.dirac_(w);
    const x = tl.randn([1, 3, 5, 5]);
    const y = tl.conv2d(x, w, undefined, { padding: 1 });
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    w.dispose();
  });
  test.each(fixture.eye.map((e) => [e.shape, e] as const))('eye_ %j', (shape, expected) => {
    const w = param([...shape]);
    init.eye_(w);
    expect(Array.from(w.dataSync())).toEqual(expected.data);
    w.dispose();
  });
  test('errors', () => {
    const w2 = param([2, 2]);
    expect(() => init.dirac_(w2)).toThrow('dirac_: only tensors with 3, 4, or 5 dimensions are supported, got [2,2]');
    const w4 = param([3, 2, 3, 3]);
    expect(() => init.dirac_(w4, 2)).toThrow('dirac_: dim 0 (3) must be divisible by groups (2)');
    const w3 = param([2, 2, 2]);
    expect(() => init.eye_(w3)).toThrow('eye_: only tensors with 2 dimensions are supported, got [2,2,2]');
    for (const t of [w2, w4, w3]) t.dispose();
  });
});

