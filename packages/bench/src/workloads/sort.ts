/**
 * Sorting and selection, in ms: `sort` of 1e6 floats (descending, beside `tf.topk` with
 * k = n, as tfjs has no sort) and `topk(k=50)` over a batch of 32 rows of GPT-2's 50257
 * logits (the sampling step of generation). Both sides compute values and indices; the
 * values are read back and compared.
 */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

interface SortShape {
  id: string;
  title: string;
  shape: [number, number];
  k: number;
  quick: boolean;
}

const SHAPES: SortShape[] = [
  { id: 'sort/1e6', title: 'sort of 1e6 floats (peer: tf.topk with k = n)', shape: [1, 1e6], k: 1e6, quick: true },
  { id: 'topk/k50/32x50257', title: 'topk k=50 over 32x50257 logits', shape: [32, 50257], k: 50, quick: true },
];

export function sortCases(): Case[] {
  return SHAPES.map(({ id, title, shape, k, quick }) => ({
    id,
    family: 'sort',
    title,
    metric: { unit: 'ms' },
    quick,
    tolerance: 0,
    init() {
      const x = uniform(shape[0] * shape[1], -10, 10, 61);
      const full = k === shape[1];
      const dims = full ? [shape[1]] : shape;
      return {
        tensile(tl, device) {
          const tx = tlFrom(tl, x, dims, device);
          return tlForward(tl, () => (full ? tl.sort(tx, -1, true) : tl.topk(tx, k)).values, [tx]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const tx = tf.tensor(x, dims);
          return tfForward(ctx, () => tf.topk(tx, k).values, [tx]);
        },
      };
    },
  }));
}
