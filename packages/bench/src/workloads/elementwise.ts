/**
 * Elementwise chain relu((a + b) * c) on 1e6 and 1e7 float32 elements. GB/s counts the
 * minimal traffic of a fused kernel: three inputs read and one output written (16 bytes
 * per element); unfused libraries move more, which is what the number shows.
 */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export function elementwiseCases(): Case[] {
  return [1e6, 1e7].map((size): Case => ({
    id: `elementwise/${size.toExponential().replace('+', '')}`,
    family: 'elementwise',
    title: `relu((a+b)*c) ${size.toExponential().replace('+', '')}`,
    metric: { unit: 'GB/s', perRun: 16 * size },
    quick: size === 1e6,
    tolerance: 1e-6,
    init() {
      const a = uniform(size, -1, 1, 41);
      const b = uniform(size, -1, 1, 42);
      const c = uniform(size, -1, 1, 43);
      return {
        tensile(tl, device) {
          const [ta, tb, tc] = [a, b, c].map((d) => tlFrom(tl, d, [size], device));
          return tlForward(tl, () => ta.add(tb).mul(tc).relu(), [ta, tb, tc]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const [ta, tb, tc] = [a, b, c].map((d) => tf.tensor1d(d));
          return tfForward(ctx, () => tf.relu(tf.mul(tf.add(ta, tb), tc)), [ta, tb, tc]);
        },
      };
    },
  }));
}
