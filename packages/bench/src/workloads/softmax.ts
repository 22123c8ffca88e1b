/** softmax over the last dim of a 4096x1024 float32 matrix, in ms. */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export function softmaxCases(): Case[] {
  const [rows, cols] = [4096, 1024];
  return [
    {
      id: 'softmax/4096x1024',
      family: 'softmax',
      title: 'softmax 4096x1024',
      metric: { unit: 'ms' },
      quick: true,
      tolerance: 1e-5,
      init() {
        const x = uniform(rows * cols, -4, 4, 61);
        return {
          tensile(tl, device) {
            const tx = tlFrom(tl, x, [rows, cols], device);
            return tlForward(tl, () => tx.softmax(-1), [tx]);
          },
          peer(ctx) {
            const { tf } = ctx;
            const tx = tf.tensor2d(x, [rows, cols]);
            return tfForward(ctx, () => tf.softmax(tx, -1), [tx]);
          },
        };
      },
    },
  ];
}
