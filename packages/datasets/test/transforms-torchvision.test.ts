// Deterministic transforms against torchvision 0.14 on tensors (tools/generate_fixtures.py),
// on both image forms: image arrays (host) and tensors (core ops on the cpu backend).
import { readFileSync } from 'node:fs';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { functional as TF, type ImageArray } from '../src/index.js';
import { scopeEachTest } from './helpers.js';

scopeEachTest();

interface Stored {
  shape: number[];
  data: number[];
}
interface Case {
  op: string;
  image: string;
  args: unknown[];
  options: Record<string, unknown>;
  out: Stored;
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/transforms.json', import.meta.url), 'utf8')) as { images: Record<string, Stored>; cases: Case[] };

function asArray(s: Stored): ImageArray {
  const [channels, height, width] = s.shape;
  return { data: Float32Array.from(s.data), channels, height, width };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ops = TF as unknown as Record<string, (...args: any[]) => any>;

function run(c: Case, image: ImageArray | tl.Tensor): ImageArray | tl.Tensor {
  const fn = ops[c.op];
  const hasOptions = Object.keys(c.options).length > 0;
  return fn(image, ...c.args, ...(hasOptions ? [c.options] : []));
}

/** Max |a - b|, and how many elements differ by more than `tol`. */
function compare(actual: ArrayLike<number>, expected: number[], tol: number): { max: number; bad: number } {
  let max = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - Math.fround(expected[i]));
    if (!(d <= tol)) bad++;
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
  }
  return { max, bad };
}

function label(c: Case): string {
  return `${c.op}(${c.image}, ${c.args.map((a) => JSON.stringify(a)).join(', ')}${Object.keys(c.options).length ? `, ${JSON.stringify(c.options)}` : ''})`;
}

// Copies, nearest sampling, and the per-pixel colour arithmetic match torchvision to the bit;
// weighted sums (interpolation, blur, contrast's mean) within a few float32 ulps, as the
// summation order differs.
const exactOps = new Set(['centerCrop', 'crop', 'pad', 'hflip', 'vflip', 'erase', 'adjustBrightness', 'adjustSaturation', 'adjustHue', 'rgbToGrayscale', 'normalize']);
const isExact = (c: Case) => exactOps.has(c.op) || String(c.options.interpolation ?? '').startsWith('nearest');

describe('transforms match torchvision 0.14', () => {
  it.each(fixtures.cases.map((c) => [label(c), c] as const))('%s', (_, c) => {
    const tol = isExact(c) ? 0 : 2e-6;
    const input = asArray(fixtures.images[c.image]);
    const host = run(c, input) as ImageArray;
    expect([host.channels, host.height, host.width]).toEqual(c.out.shape);
    const h = compare(host.data, c.out.data, tol);
    expect(h, 'image array').toEqual({ max: h.max, bad: 0 });
    const tensor = tl.tensor(input.data).reshape(c.out.shape.length === 3 ? [input.channels, input.height, input.width] : []);
    const out = run(c, tensor) as tl.Tensor;
    expect(out.shape).toEqual(c.out.shape);
    const t = compare(out.dataSync(), c.out.data, isExact(c) ? 0 : 2e-6);
    expect(t, 'tensor').toEqual({ max: t.max, bad: 0 });
    // A batch of two through the tensor path gives each image's result.
    const batch = run(c, tl.stack([tensor, tensor])) as tl.Tensor;
    expect(batch.shape).toEqual([2, ...c.out.shape]);
    const b = compare(batch.dataSync().subarray(c.out.data.length), c.out.data, isExact(c) ? 0 : 2e-6);
    expect(b.bad).toBe(0);
  });

  it('covers every deterministic transform', () => {
    const ops = new Set(fixtures.cases.map((c) => c.op));
    for (const op of ['resize', 'centerCrop', 'crop', 'resizedCrop', 'pad', 'hflip', 'vflip', 'rotate', 'affine', 'adjustBrightness', 'adjustContrast', 'adjustSaturation', 'adjustHue', 'rgbToGrayscale', 'gaussianBlur', 'normalize', 'erase']) {
      expect(ops.has(op), op).toBe(true);
    }
  });
});
