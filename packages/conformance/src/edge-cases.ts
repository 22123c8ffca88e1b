/**
 * Shapes and dtypes at the edges: 0-d tensors, empty (size-0) tensors, broadcasting,
 * non-contiguous views fed to every kernel family, and the dtype rules.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { distinct, expectSame, expectValues, randoms } from './compare.js';
import { settleGarbage, type Suite } from './context.js';
import { EXACT, LAYOUT, TOLERANCES } from './tolerances.js';

const E = TOLERANCES.elementwise;

/** Run `fn` in a tidy scope with the device's tensor factory; returned tensors are read and freed by the caller. */
function scope<T>(fn: () => T): T {
  return tl.tidy(fn);
}

export function edgeTests(suite: Suite): void {
  const device = suite.device;
  const t = (data: tl.TensorData, opts: tl.TensorOptions = {}) => tl.tensor(data, { device, ...opts });
  const r = (shape: number[], seed: number, lo = -1, hi = 1) =>
    t(randoms(shape.reduce((a, b) => a * b, 1), seed, lo, hi)).reshape(shape);
  /** int32 indices of `shape`, in [0, bound), scrambled. */
  const indices = (shape: readonly number[], bound: number) =>
    t(Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7 + 3) % bound)).reshape([...shape]);
  const test = (name: string, fn: () => Promise<void>) =>
    suite.test('edge', name, async () => {
      await settleGarbage();
      const before = tl.memory().numTensors;
      await fn();
      // Every edge test cleans up after itself (tidy), so nothing it made stays alive.
      expect(tl.memory().numTensors).toBe(before);
    });

  describe('edge cases: 0-d tensors', () => {
    test('0-d elementwise, broadcast against 1-D, and item()', async () => {
      const [a, b, c] = scope(() => {
        const x = t(2.5);
        const y = t(-1.5);
        return [x.mul(y).exp(), x.add(t([1, 2, 3])), x.neg()];
      });
      await expectValues(a, [], [Math.exp(-3.75)], E);
      await expectValues(b, [3], [3.5, 4.5, 5.5], E);
      expect(await c.item()).toBe(-2.5);
      [a, b, c].forEach((v) => v.dispose());
    });
    test('0-d reductions, reshape and unsqueeze', async () => {
      const outs = scope(() => {
        const x = t(4);
        return [x.sum(), x.mean(), x.max(), x.sum(0), x.reshape([1, 1]), x.unsqueeze(0), x.argmax(), x.softmax(0)];
      });
      const shapes = outs.map((o) => [...o.shape]);
      expect(shapes).toEqual([[], [], [], [], [1, 1], [1], [], []]);
      expect(await outs[0].item()).toBe(4);
      expect(await outs[2].item()).toBe(4);
      expect(await outs[6].item()).toBe(0);
      expect(await outs[7].item()).toBe(1);
      outs.forEach((o) => o.dispose());
    });
    test('0-d gradients', async () => {
      const x = t(3, { requiresGrad: true });
      scope(() => x.mul(x).mul(x).backward());
      expect(await x.grad!.item()).toBeCloseTo(27, 4);
      x.grad = null;
      x.dispose();
    });
  });

  describe('edge cases: empty tensors', () => {
    test('elementwise and broadcasting keep the empty shape', async () => {
      const outs = scope(() => {
        const x = tl.zeros([0, 3], { device });
        return [x.exp(), x.add(t([1, 2, 3])), x.gt(0), x.mul(2).relu(), tl.where(x.gt(0), x, 1)];
      });
      for (const o of outs) {
        expect([...o.shape]).toEqual([0, 3]);
        expect((await o.data()).length).toBe(0);
      }
      expect(outs[2].dtype).toBe('bool');
      outs.forEach((o) => o.dispose());
    });
    test('reductions over empty dims give identities', async () => {
      const [s0, sAll, p, m, lse] = scope(() => {
        const x = tl.zeros([0, 3], { device });
        return [x.sum(0), x.sum(), x.prod(0), x.mean(0), x.sum(1)];
      });
      await expectValues(s0, [3], [0, 0, 0], EXACT);
      await expectValues(sAll, [], [0], EXACT);
      await expectValues(p, [3], [1, 1, 1], EXACT);
      const mean = Array.from(await m.data());
      expect(mean.length).toBe(3);
      expect(mean.every(Number.isNaN)).toBe(true);
      expect([...lse.shape]).toEqual([0]);
      [s0, sAll, p, m, lse].forEach((v) => v.dispose());
    });
    test('cat, reshape and matmul with empty pieces', async () => {
      const [c, rs, mm, st] = scope(() => {
        const a = t([[1, 2, 3]]);
        const e = tl.zeros([0, 3], { device });
        return [tl.cat([e, a, e], 0), e.reshape([3, 0]), tl.matmul(tl.ones([2, 0], { device }), tl.ones([0, 3], { device })), tl.stack([e, e], 0)];
      });
      await expectValues(c, [1, 3], [1, 2, 3], EXACT);
      expect([...rs.shape]).toEqual([3, 0]);
      await expectValues(mm, [2, 3], [0, 0, 0, 0, 0, 0], EXACT);
      expect([...st.shape]).toEqual([2, 0, 3]);
      [c, rs, mm, st].forEach((v) => v.dispose());
    });
    test('backward through an empty tensor', async () => {
      const x = tl.zeros([0, 2], { device, requiresGrad: true });
      scope(() => x.exp().sum().backward());
      expect([...x.grad!.shape]).toEqual([0, 2]);
      x.grad = null;
      x.dispose();
    });
  });

  describe('edge cases: broadcasting', () => {
    test('[2,1,3] + [4,1] gives [2,4,3] with every pairing', async () => {
      const av = randoms(6, 1);
      const bv = randoms(4, 2);
      const out = scope(() => t(av).reshape([2, 1, 3]).add(t(bv).reshape([4, 1])));
      const expected: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expected.push(Math.fround(av[i * 3 + k] + bv[j]));
      await expectValues(out, [2, 4, 3], expected, EXACT);
      out.dispose();
    });
    test('broadcast gradients sum back to each operand shape', async () => {
      const a = t([[1], [2]], { requiresGrad: true });
      const b = t([10, 20, 30], { requiresGrad: true });
      scope(() => a.mul(b).sum().backward());
      await expectValues(a.grad!, [2, 1], [60, 60], E);
      await expectValues(b.grad!, [3], [3, 3, 3], E);
      for (const x of [a, b]) {
        x.grad = null;
        x.dispose();
      }
    });
  });

  describe('edge cases: non-contiguous inputs give the same result as contiguous', () => {
    /** Views of a [3, 4, 5] tensor, each paired with a contiguous copy. */
    const views: [string, (x: tl.Tensor) => tl.Tensor][] = [
      ['transpose', (x) => x.transpose(0, 2)],
      ['permute', (x) => x.permute([1, 2, 0])],
      ['strided slice', (x) => x.index([0, undefined, 2], null, [1, 5, 2])],
      ['narrow offset', (x) => x.narrow(1, 1, 2)],
      ['expand', (x) => x.narrow(0, 0, 1).expand([4, 4, 5])],
    ];
    const families: [string, (v: tl.Tensor) => tl.Tensor][] = [
      ['unary', (v) => v.exp()],
      ['binary', (v) => v.mul(v).sub(v.narrow(-1, 0, 1))],
      ['cast', (v) => v.mul(10).cast('int32')],
      ['compare', (v) => v.gt(0)],
      ['where', (v) => tl.where(v.gt(0), v, v.neg())],
      ['reduce sum', (v) => v.sum([0, 2])],
      ['reduce prod', (v) => v.prod(1)],
      ['reduce max', (v) => v.max(-1)],
      ['argmax', (v) => v.argmax(1)],
      ['softmax', (v) => v.softmax(-1)],
      ['logSoftmax', (v) => v.logSoftmax(0)],
      ['matmul', (v) => v.matmul(v.transpose(-1, -2))],
      ['contiguous copy', (v) => v.contiguous()],
      ['pad', (v) => v.pad([1, 1, 0, 2])],
      ['cat', (v) => tl.cat([v, v.neg()], 1)],
      ['gather', (v) => v.gather(-1, indices(v.shape, v.shape[2]))],
      ['indexSelect', (v) => v.indexSelect(1, t(new Int32Array([1, 0, 1])))],
      ['scatterAdd', (v) => tl.zeros(v.shape, { device }).scatterAdd(0, indices(v.shape, v.shape[0]), v)],
      ['conv2d', (v) => tl.conv2d(v.unsqueeze(0), tl.ones([2, v.shape[0], 2, 2], { device }).mul(0.5), null, { padding: 1 })],
      ['maxPool2d', (v) => tl.maxPool2d(v.unsqueeze(0), { kernelSize: 2, stride: 1 })],
      ['avgPool2d', (v) => tl.avgPool2d(v.unsqueeze(0), { kernelSize: 2, stride: 1, padding: 1 })],
    ];
    /** Sums may run in another order on another layout. */
    const summing = new Set(['reduce sum', 'reduce prod', 'softmax', 'logSoftmax', 'matmul', 'scatterAdd', 'conv2d', 'avgPool2d']);
    for (const [family, op] of families) {
      test(`${family} on transposed, permuted, sliced, narrowed and expanded views`, async () => {
        const pairs = scope(() => {
          const base = t(distinct(60, 7, 0.05)).reshape([3, 4, 5]);
          return views.map(([, view]) => {
            const v = view(base);
            expect(v.isContiguous && v.offset === 0 && !v.strides.includes(0)).toBe(false);
            return [op(v), op(v.contiguous())] as const;
          });
        });
        for (const [i, [strided, dense]] of pairs.entries()) {
          await expectSame(strided, dense, summing.has(family) ? LAYOUT : EXACT, `${views[i][0]} view`);
          strided.dispose();
          dense.dispose();
        }
      });
    }
  });

  describe('edge cases: dtype rules', () => {
    test('int32 + float32 promotes to float32; int32 + int promotes nothing', async () => {
      const [a, b, c, d] = scope(() => {
        const i = t(new Int32Array([1, 2, 3]));
        return [i.add(t([0.5, 0.5, 0.5])), i.add(2), i.add(0.5), i.mul(i)];
      });
      expect([a.dtype, b.dtype, c.dtype, d.dtype]).toEqual(['float32', 'int32', 'float32', 'int32']);
      await expectValues(a, [3], [1.5, 2.5, 3.5], EXACT);
      await expectValues(b, [3], [3, 4, 5], EXACT, 'int32');
      [a, b, c, d].forEach((v) => v.dispose());
    });
    test('division of ints is float', async () => {
      const q = scope(() => t(new Int32Array([7, -7, 1])).div(t(new Int32Array([2, 2, 4]))));
      await expectValues(q, [3], [3.5, -3.5, 0.25], EXACT);
      q.dispose();
    });
    test('comparisons and logical ops are bool', async () => {
      const outs = scope(() => {
        const x = t([1, 2, 3]);
        return [x.eq(2), x.ne(2), x.lt(2), x.le(2), x.gt(2), x.ge(2), x.gt(1).logicalAnd(x.lt(3)), x.logicalNot()];
      });
      expect(outs.map((o) => o.dtype)).toEqual(new Array(8).fill('bool'));
      expect(await outs[0].array()).toEqual([false, true, false]);
      expect(await outs[6].array()).toEqual([false, true, false]);
      outs.forEach((o) => o.dispose());
    });
    test('bool arithmetic stays bool, as PyTorch: add and maximum are or, mul and minimum are and', async () => {
      const outs = scope(() => {
        const a = t([false, true, false, true]);
        const b = t([false, false, true, true]);
        return [a.add(b), a.maximum(b), a.mul(b), a.minimum(b), a.add(true)];
      });
      expect(outs.map((o) => o.dtype)).toEqual(new Array(5).fill('bool'));
      expect(await outs[0].array()).toEqual([false, true, true, true]);
      expect(await outs[1].array()).toEqual([false, true, true, true]);
      expect(await outs[2].array()).toEqual([false, false, false, true]);
      expect(await outs[3].array()).toEqual([false, false, false, true]);
      expect(await outs[4].array()).toEqual([true, true, true, true]);
      const a = t([true]);
      expect(() => a.sub(a)).toThrow(/sub: not supported for two bool tensors/);
      expect(() => a.pow(a)).toThrow(/pow: not supported for two bool tensors/);
      outs.forEach((o) => o.dispose());
      a.dispose();
    });
    test('sum of bool is int32; argmax is int32; mean of int throws', async () => {
      const [s, am] = scope(() => {
        const b = t([true, false, true, true]);
        return [b.sum(), t([1, 5, 2]).argmax()];
      });
      expect(s.dtype).toBe('int32');
      expect(await s.item()).toBe(3);
      expect(am.dtype).toBe('int32');
      expect(await am.item()).toBe(1);
      const i = t(new Int32Array([1, 2]));
      expect(() => i.mean()).toThrow(/mean/);
      [s, am, i].forEach((v) => v.dispose());
    });
    test('cast truncates toward zero and bool is != 0', async () => {
      const [i, b, f] = scope(() => {
        const x = t([1.7, -1.7, 0, 2.5]);
        return [x.cast('int32'), x.cast('bool'), t([true, false]).float()];
      });
      await expectValues(i, [4], [1, -1, 0, 2], EXACT, 'int32');
      expect(await b.array()).toEqual([true, true, false, true]);
      await expectValues(f, [2], [1, 0], EXACT);
      [i, b, f].forEach((v) => v.dispose());
    });
    test('creation dtypes: float32 default, int arange, bool data', async () => {
      const outs = scope(() => [t([1, 2]), tl.arange(3, undefined, 1, { device }), t([true]), tl.arange(0, 1, 0.5, { device }), tl.zeros([1], { device, dtype: 'int32' })]);
      expect(outs.map((o) => o.dtype)).toEqual(['float32', 'int32', 'bool', 'float32', 'int32']);
      outs.forEach((o) => o.dispose());
    });
    test('exp of int32 is float32; neg and abs of int32 stay int32', async () => {
      const outs = scope(() => {
        const i = t(new Int32Array([-2, 3]));
        return [i.exp(), i.neg(), i.abs()];
      });
      expect(outs.map((o) => o.dtype)).toEqual(['float32', 'int32', 'int32']);
      await expectValues(outs[2], [2], [2, 3], EXACT, 'int32');
      outs.forEach((o) => o.dispose());
    });
  });

  describe('edge cases: synchronous forms', () => {
    test('allcloseSync, equalSync and bincountSync agree with their async forms, or name the async form', async () => {
      const [a, b, counts] = scope(() => [t([1, 2, 3]), t([1, 2, 3.5]), t(new Int32Array([0, 3, 3]))]);
      const sync = tl.getBackend(device).readSync !== undefined;
      if (sync) {
        expect(tl.allcloseSync(a, b)).toBe(await tl.allclose(a, b));
        expect(tl.allcloseSync(a, a)).toBe(true);
        expect(tl.equalSync(a, a)).toBe(await tl.equal(a, a));
        expect(tl.equalSync(a, b)).toBe(false);
        const [s1, s2] = [tl.bincountSync(counts), await tl.bincount(counts)];
        expect(Array.from(await s1.data())).toEqual(Array.from(await s2.data()));
        [s1, s2].forEach((v) => v.dispose());
      } else {
        expect(() => tl.allcloseSync(a, b)).toThrow(/cannot read synchronously; use await/);
        expect(() => tl.bincountSync(counts)).toThrow(/cannot read synchronously; use await/);
      }
      [a, b, counts].forEach((v) => v.dispose());
    });
    test('repeatInterleave with tensor repeats reads them synchronously, or asks for outputSize', async () => {
      const [x, repeats] = scope(() => [t([[1, 2], [3, 4], [5, 6]]), t(new Int32Array([1, 0, 2]))]);
      const sized = x.repeatInterleave(repeats, 0, { outputSize: 3 });
      await expectValues(sized, [3, 2], [1, 2, 5, 6, 5, 6], EXACT);
      if (tl.getBackend(device).readSync !== undefined) {
        const read = x.repeatInterleave(repeats, 0);
        await expectSame(read, sized, EXACT);
        read.dispose();
        expect(() => x.repeatInterleave(repeats, 0, { outputSize: 4 })).toThrow(/repeatInterleave: outputSize 4 does not match the sum of repeats, 3/);
        expect(() => tl.tidy(() => x.repeatInterleave(t(new Int32Array([1, -1, 2])), 0))).toThrow(/repeatInterleave: repeats must be non-negative/);
      } else {
        expect(() => x.repeatInterleave(repeats, 0)).toThrow(/repeatInterleave: .* reads asynchronously, so tensor repeats need \{ outputSize \}/);
      }
      [x, repeats, sized].forEach((v) => v.dispose());
    });
    test('unique keeps each NaN apart (a count of one each), and the Sync forms match', async () => {
      const x = scope(() => t([Number.NaN, 1, Number.NaN, 1]));
      const { values, inverse, counts } = await tl.unique(x, { returnInverse: true, returnCounts: true });
      await expectValues(values, [3], [1, Number.NaN, Number.NaN], EXACT);
      await expectValues(inverse!, [4], [1, 0, 2, 0], EXACT, 'int32');
      await expectValues(counts!, [3], [2, 1, 1], EXACT, 'int32');
      const made = [x, values, inverse!, counts!];
      if (tl.getBackend(device).readSync !== undefined) {
        const sync = tl.uniqueSync(x, { returnCounts: true });
        const runs = tl.uniqueConsecutiveSync(x, { returnInverse: true });
        await expectSame(sync.counts!, counts!, EXACT);
        await expectValues(runs.values, [4], [Number.NaN, 1, Number.NaN, 1], EXACT);
        await expectValues(runs.inverse!, [4], [0, 1, 2, 3], EXACT, 'int32');
        made.push(sync.values, sync.counts!, runs.values, runs.inverse!);
      }
      made.forEach((v) => v.dispose());
    });
  });
  describe('edge cases: decompositions of larger matrices (where GPU backends run a fixed number of sweeps)', () => {
    /** max |x| of a tensor, read. */
    const largest = async (x: tl.Tensor) => {
      const magnitudes = x.abs();
      const values = await magnitudes.data();
      magnitudes.dispose();
      return Math.max(...Array.from(values));
    };
    test('eigh of a 40 x 40 and svd of a 30 x 20 (full matrices) reconstruct their input, with orthonormal factors', async () => {
      const made = scope(() => {
        const m = r([40, 40], 91);
        const a = m.add(m.t());
        const { eigenvalues, eigenvectors } = tl.linalg.eigh(a);
        const rebuilt = eigenvectors.mul(eigenvalues.unsqueeze(-2)).matmul(eigenvectors.t()).sub(a);
        const orthonormal = eigenvectors.t().matmul(eigenvectors).sub(tl.eye(40, 40, { device }));
        const b = r([30, 20], 92);
        const { U, S, Vh } = tl.linalg.svd(b);
        const product = U.narrow(-1, 0, 20).mul(S.unsqueeze(-2)).matmul(Vh).sub(b);
        const uOrthonormal = U.t().matmul(U).sub(tl.eye(30, 30, { device }));
        const vOrthonormal = Vh.matmul(Vh.t()).sub(tl.eye(20, 20, { device }));
        const ascending = eigenvalues.narrow(0, 1, 39).sub(eigenvalues.narrow(0, 0, 39)).amin();
        const descending = S.narrow(0, 0, 19).sub(S.narrow(0, 1, 19)).amin();
        return { rebuilt, orthonormal, product, uOrthonormal, vOrthonormal, ascending, descending, shapes: [U.shape, Vh.shape] };
      });
      // Relative to the inputs' norms (about 10 and 5): float32 rounding, summed over 40 terms.
      expect(await largest(made.rebuilt)).toBeLessThan(1e-4);
      expect(await largest(made.orthonormal)).toBeLessThan(1e-5);
      expect(await largest(made.product)).toBeLessThan(1e-4);
      expect(await largest(made.uOrthonormal)).toBeLessThan(1e-5);
      expect(await largest(made.vOrthonormal)).toBeLessThan(1e-5);
      expect((await made.ascending.data())[0]).toBeGreaterThanOrEqual(0);
      expect((await made.descending.data())[0]).toBeGreaterThanOrEqual(0);
      expect(made.shapes).toEqual([[30, 30], [20, 20]]);
      for (const v of Object.values(made)) if (v instanceof tl.Tensor) v.dispose();
    });
    test('lstsq residuals: empty at rank deficiency where the rank reads synchronously (as PyTorch), computed on GPU backends', async () => {
      const result = scope(() => tl.linalg.lstsq(t([[1, 2], [2, 4], [3, 6]]), t([[1], [0], [1]])));
      expect(result.rank.dtype).toBe('int32');
      expect(Array.from(await result.rank.data())).toEqual([1]);
      if (tl.getBackend(device).readSync !== undefined) expect(result.residuals.shape).toEqual([0]);
      else expect(result.residuals.shape).toEqual([1]);
      for (const v of Object.values(result)) v.dispose();
    });
  });
}
