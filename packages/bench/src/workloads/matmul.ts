/** Square float32 matmul, n = 128 … 2048, reported in GFLOP/s (2n³ flops per product). */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

export const MATMUL_SIZES = [128, 256, 512, 1024, 2048];
const QUICK_SIZES = new Set([128, 512, 1024]);
/** A peer run predicted to take longer than this is skipped (the limit for tfjs-cpu at 2048). */
export const PEER_SINGLE_RUN_LIMIT_MS = 30_000;

export function matmulCases(): Case[] {
  return MATMUL_SIZES.map((n): Case => ({
    id: `matmul/${n}`,
    family: 'matmul',
    title: `matmul ${n}x${n}`,
    metric: { unit: 'GFLOP/s', perRun: 2 * n ** 3 },
    quick: QUICK_SIZES.has(n),
    tolerance: 1e-4,
    skipPeer(peerMedianMs) {
      // Predict from the next smaller size (cubic) so a hopeless run is not started at all.
      const smaller = MATMUL_SIZES.filter((m) => m < n).reverse().find((m) => peerMedianMs(`matmul/${m}`) !== undefined);
      if (smaller === undefined) return undefined;
      const predicted = peerMedianMs(`matmul/${smaller}`)! * (n / smaller) ** 3;
      if (predicted > PEER_SINGLE_RUN_LIMIT_MS) {
        return `one run predicted at ${(predicted / 1000).toFixed(0)} s from n=${smaller} (limit ${PEER_SINGLE_RUN_LIMIT_MS / 1000} s)`;
      }
      return undefined;
    },
    init() {
      const a = uniform(n * n, -1, 1, 1000 + n);
      const b = uniform(n * n, -1, 1, 2000 + n);
      return {
        tensile(tl, device) {
          const ta = tlFrom(tl, a, [n, n], device);
          const tb = tlFrom(tl, b, [n, n], device);
          return tlForward(tl, () => ta.matmul(tb), [ta, tb]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const ta = tf.tensor2d(a, [n, n]);
          const tb = tf.tensor2d(b, [n, n]);
          return tfForward(ctx, () => tf.matMul(ta, tb), [ta, tb]);
        },
      };
    },
  }));
}
