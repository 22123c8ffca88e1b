/**
 * Memory: a 2000-step training loop keeps live tensors and bytes exactly flat, and the
 * tidy / dispose / keep / using semantics.
 */
import * as tl from '@tensile/core';
import { describe, expect } from 'vitest';
import { randoms } from './compare.js';
import type { Suite } from './context.js';

export function memoryTests(suite: Suite): void {
  const device = suite.device;
  const test = (name: string, fn: () => Promise<void>, timeout?: number) => suite.test('memory', name, fn, timeout);
  const t = (values: number[], shape: number[]) =>
    tl.tidy(() => tl.tensor(values, { device }).reshape(shape));

  describe('memory', () => {
    test('tl.emptyCache releases what the backend keeps for reuse, and nothing alive', async () => {
      const kept = tl.ones([64, 64], { device });
      tl.ones([32, 32], { device }).dispose();
      await tl.getBackend(device).sync?.();
      const cached = tl.memory().backends[device].cachedBytes;
      expect(cached).toBeGreaterThanOrEqual(0);
      const live = tl.memory().backends[device].bytes;
      tl.emptyCache(device);
      const after = tl.memory().backends[device];
      expect(after.cachedBytes).toBe(0);
      expect(after.bytes).toBe(live);
      expect(Array.from(await kept.data()).every((v) => v === 1)).toBe(true);
      kept.dispose();
    });

    test('a 2000-step MLP training loop keeps numTensors and numBytes flat', async () => {
      const x = t(randoms(16 * 4, 1), [16, 4]);
      const y = tl.tensor(Int32Array.from({ length: 16 }, (_, i) => (i * 5) % 3), { device });
      const params = [t(randoms(4 * 8, 2, -0.5, 0.5), [4, 8]), tl.zeros([8], { device }), t(randoms(8 * 3, 3, -0.5, 0.5), [8, 3]), tl.zeros([3], { device })];
      params.forEach((p) => (p.requiresGrad = true));
      const [w1, b1, w2, b2] = params;
      const lr = 0.1;
      const losses: number[] = [];
      let at100: tl.MemoryInfo | null = null;
      for (let step = 1; step <= 2000; step++) {
        const loss = tl.tidy(() => {
          const hidden = x.matmul(w1).add(b1).relu();
          const logits = hidden.matmul(w2).add(b2);
          const nll = logits.logSoftmax(-1).gather(1, y.unsqueeze(1)).mean().neg();
          nll.backward();
          tl.noGrad(() => {
            for (const p of params) {
              p.assign(p.sub(p.grad!.mul(lr)));
              p.grad = null;
            }
          });
          return nll.detach();
        });
        if (step === 1 || step === 2000) losses.push(Number(await loss.item()));
        loss.dispose();
        if (step === 100) at100 = tl.memory();
      }
      const at2000 = tl.memory();
      expect(at2000.numTensors).toBe(at100!.numTensors);
      expect(at2000.numBytes).toBe(at100!.numBytes);
      expect(at2000.numBuffers).toBe(at100!.numBuffers);
      // And it learned: the loss fell.
      expect(losses[1]).toBeLessThan(losses[0] * 0.8);
      [x, y, ...params].forEach((p) => p.dispose());
    }, 60_000);
    test('tidy disposes intermediates, keeps what it returns and what was kept', async () => {
      const before = tl.memory().numTensors;
      let inner: tl.Tensor | null = null;
      let kept: tl.Tensor | null = null;
      const { out, list } = tl.tidy(() => {
        const a = tl.ones([3], { device });
        inner = a.mul(2);
        kept = tl.keep(a.add(1));
        return { out: inner.add(1), list: [a.neg()] };
      });
      expect(inner!.isDisposed).toBe(true);
      expect(kept!.isDisposed).toBe(false);
      expect(out.isDisposed).toBe(false);
      expect(list[0].isDisposed).toBe(false);
      expect(Array.from(await out.data())).toEqual([3, 3, 3]);
      expect(tl.memory().numTensors).toBe(before + 3);
      [out, list[0], kept!].forEach((v) => v.dispose());
      expect(tl.memory().numTensors).toBe(before);
    });
    test('nested tidy hands returned tensors to the outer scope', async () => {
      const before = tl.memory().numTensors;
      let fromInner: tl.Tensor | null = null;
      tl.tidy(() => {
        fromInner = tl.tidy(() => tl.zeros([2], { device }).add(1));
        expect(fromInner.isDisposed).toBe(false);
      });
      expect(fromInner!.isDisposed).toBe(true);
      expect(tl.memory().numTensors).toBe(before);
    });
    test('async tidy closes when the promise settles', async () => {
      const before = tl.memory().numTensors;
      const value = await tl.tidy(async () => {
        const a = tl.ones([4], { device }).mul(3);
        const s = a.sum();
        return Number(await s.item());
      });
      expect(value).toBe(12);
      expect(tl.memory().numTensors).toBe(before);
    });
    test('dispose frees bytes; views share storage; dispose twice is safe', async () => {
      const before = tl.memory();
      const a = tl.zeros([256], { device });
      const mid = tl.memory();
      expect(mid.numBytes - before.numBytes).toBe(1024);
      const v = tl.tidy(() => a.reshape([16, 16]).transpose(0, 1));
      expect(tl.memory().numBytes).toBe(mid.numBytes);
      a.dispose();
      a.dispose();
      expect(v.isDisposed).toBe(false);
      expect(tl.memory().numBytes).toBe(mid.numBytes);
      expect((await v.data()).length).toBe(256);
      v.dispose();
      const after = tl.memory();
      expect([after.numTensors, after.numBytes]).toEqual([before.numTensors, before.numBytes]);
    });
    test('a graph outlives disposed intermediates, and backward releases it', async () => {
      const before = tl.memory();
      const x = tl.ones([8], { device, requiresGrad: true });
      const h = x.exp();
      const y = tl.tidy(() => h.mul(h).sum());
      h.dispose();
      y.backward();
      expect(Array.from(await x.grad!.data()).every((g) => Math.abs(g - 2 * Math.exp(2)) < 1e-4)).toBe(true);
      x.grad = null;
      x.dispose();
      y.dispose();
      const after = tl.memory();
      expect([after.numTensors, after.numBytes]).toEqual([before.numTensors, before.numBytes]);
    });
    test('backward of each differentiable elementwise op frees every intermediate (pow, asin, acos, gelu tanh included)', async () => {
      const unary = ['abs', 'neg', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'square', 'sin', 'cos', 'tan', 'tanh',
        'sigmoid', 'relu', 'gelu', 'silu', 'softplus', 'erf', 'erfc', 'atan', 'asin', 'acos', 'sinh', 'cosh', 'asinh', 'reciprocal'];
      const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'atan2', 'logaddexp', 'logaddexp2', 'hypot'];
      const ops = tl as unknown as Record<string, ((...args: unknown[]) => tl.Tensor) | undefined>;
      const x = t(randoms(12, 5, 0.1, 0.9), [3, 4]);
      const y = t(randoms(12, 6, 0.2, 0.9), [3, 4]);
      x.requiresGrad = true;
      y.requiresGrad = true;
      const leaks: string[] = [];
      const cases: [string, () => tl.Tensor][] = [
        ...unary.filter((n) => ops[n]).map((n) => [n, () => ops[n]!(x)] as [string, () => tl.Tensor]),
        ['gelu(tanh)', () => tl.gelu(x, 'tanh')],
        ...binary.filter((n) => ops[n]).flatMap((n) => [[n, () => ops[n]!(x, y)], [`${n}(x, 3)`, () => ops[n]!(x, 3)]] as [string, () => tl.Tensor][]),
      ];
      for (const [name, f] of cases) {
        const before = tl.memory().numTensors;
        const out = f();
        const s = out.sum();
        s.backward();
        for (const v of [s, out, x.grad, y.grad]) v?.dispose();
        x.grad = null;
        y.grad = null;
        const extra = tl.memory().numTensors - before;
        if (extra) leaks.push(`${name}: ${extra} tensor(s) left`);
      }
      expect(leaks).toEqual([]);
      x.dispose();
      y.dispose();
    });
    test('ops with several results or several steps leave only their results alive (nonzero with asTuple, kthvalue, median, mode, cummax, stdMean, clamp, std, pad)', async () => {
      const x = t([3, 1, 2, 5, 4, 0], [2, 3]);
      const pair = (r: { values: tl.Tensor; indices: tl.Tensor }) => [r.values, r.indices];
      const cases: [string, () => Promise<tl.Tensor[]> | tl.Tensor[]][] = [
        ['nonzero', async () => [(await tl.nonzero(x)) as tl.Tensor]],
        ['nonzero with asTuple', async () => (await tl.nonzero(x, { asTuple: true })) as tl.Tensor[]], // left a view per dim
        ['kthvalue', () => pair(tl.kthvalue(x, 2, 1))],
        ['median along a dim', () => pair(tl.median(x, 1))],
        ['mode', () => pair(tl.mode(x, 1))],
        ['cummax', () => pair(tl.cummax(x, 1))],
        ['stdMean', () => tl.stdMean(x, 1)],
        ['clamp', () => [tl.clamp(x, 1, 4)]],
        ['std', () => [tl.std(x, 1)]],
        ['pad with a crop', () => [tl.pad(x, [1, -1])]],
      ];
      const leaks: string[] = [];
      for (const [name, f] of cases) {
        const before = tl.memory().numTensors;
        const outs = await f();
        const extra = tl.memory().numTensors - before - outs.length;
        outs.forEach((o) => o.dispose());
        if (extra) leaks.push(`${name}: ${extra} tensor(s) left`);
      }
      expect(leaks).toEqual([]);
      x.dispose();
    });
    test('using disposes at the end of the block', async () => {
      const before = tl.memory().numTensors;
      {
        const holder = tl.zeros([2], { device });
        const disposer = (holder as unknown as Record<symbol, () => void>)[Symbol.dispose ?? Symbol.for('Symbol.dispose')];
        expect(typeof disposer).toBe('function');
        disposer.call(holder);
        expect(holder.isDisposed).toBe(true);
      }
      expect(tl.memory().numTensors).toBe(before);
    });
  });
}
