/**
 * einsum at an attention shape: `einsum('bhqd,bhkd->bhqk', q, k)`, batch 8, 12 heads, seq
 * 128, head dim 64, in GFLOP/s (2·b·h·q·k·d flops), beside tfjs's `tf.einsum` on the same
 * inputs. Tensile plans it into one batched matmul over a transposed view of `k`; where a
 * tfjs backend has no Einsum kernel (tfjs-wasm 4.22), the peer column reports that error,
 * so a second row compares the same einsum with the same contraction written as tfjs's
 * `tf.matMul(q, k, false, true)`.
 */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

const [B, H, S, D] = [8, 12, 128, 64];
const EQUATION = 'bhqd,bhkd->bhqk';

function einsumCase(peerOp: 'einsum' | 'matMul'): Case {
  const shape = [B, H, S, D];
  return {
    id: `einsum/bhqd-bhkd-bhqk${peerOp === 'matMul' ? '-vs-matmul' : ''}/${B}x${H}x${S}x${D}`, // no commas: --filter splits on them
    family: 'einsum',
    title: `einsum ${EQUATION} ${B}x${H}x${S}x${D}${peerOp === 'matMul' ? ' (peer: tf.matMul)' : ''}`,
    metric: { unit: 'GFLOP/s', perRun: 2 * B * H * S * S * D },
    quick: peerOp === 'einsum',
    tolerance: 1e-4,
    init() {
      const n = B * H * S * D;
      const [q, k] = [81, 82].map((seed) => uniform(n, -1, 1, seed));
      return {
        tensile(tl, device) {
          const [tq, tk] = [q, k].map((d) => tlFrom(tl, d, shape, device));
          return tlForward(tl, () => tl.einsum(EQUATION, tq, tk), [tq, tk]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const [tq, tk] = [q, k].map((d) => tf.tensor4d(d, shape as [number, number, number, number]));
          const compute = peerOp === 'einsum' ? () => tf.einsum(EQUATION, tq, tk) : () => tf.matMul(tq, tk, false, true);
          return tfForward(ctx, compute, [tq, tk]);
        },
      };
    },
  };
}

export function einsumCases(): Case[] {
  return [einsumCase('einsum'), einsumCase('matMul')];
}
