import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { clipGradNorm, clipGradValue } from '../src/index.js';
import { disposeParams, expectClose, fromFlat, loadFixture } from './helpers.js';

interface ClipCase {
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  totalNorm?: number;
  clipValue?: number;
  clipped: number[][];
}

const fixture = loadFixture<{ shapes: number[][]; grads: number[][]; cases: ClipCase[] }>('clip.json');

function withGrads(): tl.Tensor[] {
  return fixture.shapes.map((shape, i) => {
    const p = tl.zeros(shape, { requiresGrad: true });
    p.grad = fromFlat(fixture.grads[i], shape);
    return p;
  });
}

describe('clipGradNorm and clipGradValue match PyTorch 1.13', () => {
  for (const c of fixture.cases) {
    const label = c.kind === 'norm' ? `clipGradNorm maxNorm ${c.maxNorm} normType ${c.normType}` : `clipGradValue ${c.clipValue}`;
    test(label, () => {
      const params = withGrads();
      const before = tl.memory();
      if (c.kind === 'norm') {
        const normType = c.normType === 'inf' ? Infinity : c.normType;
        const total = clipGradNorm(params, c.maxNorm!, normType);
        expect(total.shape).toEqual([]);
        expectClose([total.itemSync() as number], [c.totalNorm!], `${label} total`);
        total.dispose();
      } else {
        clipGradValue(params, c.clipValue!);
      }
      const after = tl.memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      params.forEach((p, i) => expectClose(p.grad!.dataSync(), c.clipped[i], `${label} grad ${i}`));
      disposeParams(params);
    });
  }

  test("normType 'inf' equals Infinity; a single tensor is accepted; missing grads are skipped", () => {
    const a = withGrads();
    const b = withGrads();
    const na = clipGradNorm(a, 0.5, 'inf');
    const nb = clipGradNorm(b, 0.5, Infinity);
    expect(na.itemSync()).toBe(nb.itemSync());
    const lone = tl.zeros([2], { requiresGrad: true });
    const none = clipGradNorm([lone], 1);
    expect(none.itemSync()).toBe(0);
    lone.grad = tl.tensor([3, 4]);
    const single = clipGradNorm(lone, 1);
    expect(single.itemSync()).toBeCloseTo(5, 5);
    expectClose(lone.grad!.dataSync(), [0.6, 0.8], 'single');
    clipGradValue(lone, 0.7);
    expectClose(lone.grad!.dataSync(), [0.6, 0.7], 'value');
    for (const t of [na, nb, none, single]) t.dispose();
    disposeParams([...a, ...b, lone]);
  });

  test('a grad handle held elsewhere sees the clipped values', () => {
    const p = tl.zeros([2], { requiresGrad: true });
    p.grad = tl.tensor([30, 40]);
    const held = p.grad!;
    clipGradNorm([p], 5).dispose();
    expect(p.grad).toBe(held);
    expectClose(held.dataSync(), [3, 4], 'held', 1e-5, 1e-5);
  });
});

describe('clipGradNorm errorIfNonfinite', () => {
  test('a non-finite total norm is an error that leaves the gradients alone; without the flag they are scaled as in PyTorch', () => {
    const p = tl.zeros([3], { requiresGrad: true });
    p.grad = tl.tensor([1, Infinity, 2]);
    expect(() => clipGradNorm([p], 1, 2, true)).toThrow(
      /clipGradNorm: the total norm of order 2 of the gradients is Infinity, so they cannot be clipped; pass errorIfNonfinite = false/,
    );
    expect(Array.from(p.grad!.dataSync())).toEqual([1, Infinity, 2]);
    const norm = clipGradNorm([p], 1, 2);
    expect(norm.itemSync()).toBe(Infinity);
    // PyTorch: clip coefficient max_norm / (inf + 1e-6) = 0, so finite entries become 0 and inf * 0 is NaN.
    expect(Array.from(p.grad!.dataSync())).toEqual([0, NaN, 0]);
    norm.dispose();
    p.grad = tl.tensor([3, 4, 0]);
    const finite = clipGradNorm([p], 1, 2, true);
    expect(finite.itemSync()).toBeCloseTo(5, 5);
    finite.dispose();
    expect(() => clipGradNorm([p], 1, 2, 'yes' as unknown as boolean)).toThrow(/clipGradNorm: invalid errorIfNonfinite yes/);
    p.grad = null;
    p.dispose();
  });
});
