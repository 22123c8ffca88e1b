/**
 * conv2d forward: batch 32, 64 → 64 channels, 3x3 kernel, padding 1 (same), on 32x32,
 * no bias; GFLOP/s = 2·N·O·H·W·C·9 per run. Tensile is NCHW with OIHW weights; tfjs is
 * NHWC with HWIO filters, built from the same values.
 */
import { permute, uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export function conv2dCases(): Case[] {
  const [n, c, o, h, w, k] = [32, 64, 64, 32, 32, 3];
  return [
    {
      id: 'conv2d/b32-64-64-3x3-32',
      family: 'conv2d',
      title: 'conv2d b32 64→64 3x3 32²',
      metric: { unit: 'GFLOP/s', perRun: 2 * n * o * h * w * c * k * k },
      quick: true,
      tolerance: 1e-4,
      init() {
        const x = uniform(n * c * h * w, -1, 1, 31);
        const wt = uniform(o * c * k * k, -0.1, 0.1, 32);
        return {
          tensile(tl, device) {
            const tx = tlFrom(tl, x, [n, c, h, w], device);
            const tw = tlFrom(tl, wt, [o, c, k, k], device);
            return tlForward(tl, () => tl.conv2d(tx, tw, null, { padding: 1 }), [tx, tw]);
          },
          peer(ctx) {
            const { tf } = ctx;
            const tx = tf.tensor4d(permute(x, [n, c, h, w], [0, 2, 3, 1]), [n, h, w, c]);
            const tw = tf.tensor4d(permute(wt, [o, c, k, k], [2, 3, 1, 0]), [k, k, c, o]);
            return tfForward(ctx, () => tf.conv2d(tx, tw, 1, 'same'), [tx, tw]);
          },
          peerToTensile: (out) => permute(out, [n, h, w, o], [0, 3, 1, 2]),
        };
      },
    },
  ];
}
