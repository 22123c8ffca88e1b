/** Misuse from plain JavaScript (issue 14): wrong or missing arguments get an error naming the function. */
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, test } from 'vitest';
import { functional as F, Linear, ReLU, Sequential } from '../src/index.js';

describe('misuse from plain JavaScript', () => {
  test('a loss called without its target names the loss and the missing target', () => {
    const x = tl.ones([2, 3]);
    expect(() => (F.mseLoss as (input: tl.Tensor) => tl.Tensor)(x)).toThrow('mseLoss: target must be a tensor, got undefined');
    expect(() => (F.l1Loss as (input: tl.Tensor) => tl.Tensor)(x)).toThrow('l1Loss: target must be a tensor, got undefined');
    expect(() => (F.crossEntropy as (input: tl.Tensor) => tl.Tensor)(x)).toThrow('crossEntropy: target must be a tensor, got undefined');
    expect(() => (F.nllLoss as (input: tl.Tensor) => tl.Tensor)(x)).toThrow('nllLoss: target must be a tensor, got undefined');
    expect(() => F.mseLoss(x, [1, 2, 3] as never)).toThrow('mseLoss: target must be a tensor, got object');
    x.dispose();
  });

  test('binaryCrossEntropy raises on inputs outside [0, 1], as PyTorch, and leaves nothing behind', () => {
    const target = tl.tensor([1, 0]);
    for (const bad of [[1.5, 0.2], [0.5, -0.2]]) {
      const input = tl.tensor(bad);
      const before = tl.memory();
      expect(() => F.binaryCrossEntropy(input, target)).toThrow('binaryCrossEntropy: all elements of input should be between 0 and 1');
      expect(tl.memory().numTensors).toBe(before.numTensors);
      input.dispose();
    }
    const edges = tl.tensor([1, 0]);
    expect(F.binaryCrossEntropy(edges, target).itemSync()).toBe(0);
    edges.dispose();
    target.dispose();
  });

  test('F.pad with a reflect pad too large for its dim raises, 100 times, leaving tl.memory() unchanged', () => {
    const x = tl.ones([1, 2, 4, 4]);
    // The last dim pads fine; the one before it fails, after the first step ran.
    const bad = () => F.pad(x, [1, 1, 9, 9], 'reflect');
    expect(bad).toThrow('pad: argument (9, 9) should be less than the size 4 of dim 2');
    const before = tl.memory();
    for (let i = 0; i < 100; i++) expect(bad).toThrow();
    const after = tl.memory();
    expect([after.numTensors, after.numBuffers]).toEqual([before.numTensors, before.numBuffers]);
    x.dispose();
  });

  test('F.ctcLoss on unbatched logProbs that fails a check raises, 100 times, leaving tl.memory() unchanged', () => {
    const logProbs = tl.randn([5, 3]).logSoftmax(-1); // [T, C]: unbatched, so the loss makes a batch view first
    const targets = tl.tensor([1, 2], { dtype: 'int32' });
    const badTargets = tl.tensor([1, 5], { dtype: 'int32' });
    const failing: [string, () => unknown][] = [
      ['blank must be in label range', () => F.ctcLoss(logProbs, targets, [5], [2], { blank: 7 })],
      ['exceeds the 5 time steps', () => F.ctcLoss(logProbs, targets, [6], [2])],
      ['target label 5 is out of range', () => F.ctcLoss(logProbs, badTargets, [5], [2])],
    ];
    for (const [message, call] of failing) {
      expect(call).toThrow(message);
      const before = tl.memory();
      for (let i = 0; i < 100; i++) expect(call).toThrow();
      const after = tl.memory();
      expect([message, after.numTensors, after.numBuffers]).toEqual([message, before.numTensors, before.numBuffers]);
    }
    for (const t of [logProbs, targets, badTargets]) t.dispose();
  });

  test('loadStateDict(undefined) says what it expected', () => {
    const model = new Linear(2, 2);
    expect(() => model.loadStateDict(undefined as never)).toThrow('loadStateDict: expected a state dict (an object or a Map of tensors), got undefined');
    model.dispose();
  });

  test('Sequential given an array asks for the modules spread', () => {
    expect(() => new Sequential([new ReLU(), new ReLU()] as never)).toThrow(
      'Sequential: argument 0 is an array; pass the modules themselves: new Sequential(...modules)',
    );
  });
});
