/** Full reductions sum and max over 1e6 and 1e7 float32 elements, in ms. */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export function reductionCases(): Case[] {
  const cases: Case[] = [];
  for (const op of ['sum', 'max'] as const) {
    for (const size of [1e6, 1e7]) {
      cases.push({
        id: `reduce/${op}/${size.toExponential().replace('+', '')}`,
        family: 'reduce',
        title: `${op} over ${size.toExponential().replace('+', '')}`,
        metric: { unit: 'ms' },
        quick: size === 1e6,
        // Summation order differs between libraries; float32 partial sums drift by ~1e-6 relative.
        tolerance: op === 'sum' ? 1e-4 : 0,
        init() {
          // Positive values, so the sum is far from zero and the relative check is meaningful.
          const x = uniform(size, 0, 1, 51);
          return {
            tensile(tl, device) {
              const tx = tlFrom(tl, x, [size], device);
              return tlForward(tl, () => (op === 'sum' ? tx.sum() : tx.max()), [tx]);
            },
            peer(ctx) {
              const { tf } = ctx;
              const tx = tf.tensor1d(x);
              return tfForward(ctx, () => (op === 'sum' ? tf.sum(tx) : tf.max(tx)), [tx]);
            },
          };
        },
      });
    }
  }
  return cases;
}
