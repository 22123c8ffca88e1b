/**
 * cumsum of 1e7 float32 (one 1-D line), in ms, beside tfjs's `tf.cumsum` on the same values.
 * The values are uniform in [-1, 1], so the running sums stay small and tfjs's float32
 * accumulation and Tensile's float64 one agree to the tolerance.
 */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export function scanCases(): Case[] {
  const n = 1e7;
  return [
    {
      id: 'scan/cumsum/1e7',
      family: 'scan',
      title: 'cumsum 1e7 (1-D)',
      metric: { unit: 'ms' },
      quick: true,
      tolerance: 1e-2,
      init() {
        const x = uniform(n, -1, 1, 91);
        return {
          tensile(tl, device) {
            const tx = tlFrom(tl, x, [n], device);
            return tlForward(tl, () => tl.cumsum(tx, 0), [tx]);
          },
          peer(ctx) {
            const { tf } = ctx;
            const tx = tf.tensor1d(x);
            return tfForward(ctx, () => tf.cumsum(tx, 0), [tx]);
          },
        };
      },
    },
  ];
}
