/**
 * Attention at sequence 512, head dim 64, 8 heads, in ms: `F.scaledDotProductAttention`
 * beside the same attention written from matmul and softmax ops (the speed issue 12 asks
 * the fused entry point to beat by 1.5x where a backend has a fused kernel). Both Tensile
 * rows are compared with tfjs's matmul + softmax on the same inputs.
 */
import { functional as F } from '@tensile/nn';
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

const [HEADS, SEQ, DIM] = [8, 512, 64];

function attentionCase(kind: 'sdpa' | 'matmul-softmax', causal: boolean): Case {
  const scale = 1 / Math.sqrt(DIM);
  const shape = [HEADS, SEQ, DIM];
  const tag = causal ? ' causal' : '';
  return {
    id: `attention/${kind}${causal ? '-causal' : ''}/${SEQ}x${DIM}`,
    family: 'attention',
    title: `attention ${kind === 'sdpa' ? 'F.scaledDotProductAttention' : 'matmul+softmax'}${tag} ${HEADS}x${SEQ}x${DIM}`,
    metric: { unit: 'ms' },
    quick: !causal,
    tolerance: 1e-4,
    init() {
      const n = HEADS * SEQ * DIM;
      const [q, k, v] = [71, 72, 73].map((seed) => uniform(n, -1, 1, seed));
      return {
        tensile(tl, device) {
          const [tq, tk, tv] = [q, k, v].map((d) => tlFrom(tl, d, shape, device));
          const mask = causal ? tl.arange(0, SEQ, 1, { device }).unsqueeze(1).ge(tl.arange(0, SEQ, 1, { device }).unsqueeze(0)) : null;
          const compute =
            kind === 'sdpa'
              ? () => F.scaledDotProductAttention(tq, tk, tv, { isCausal: causal })
              : () => {
                  let scores = tq.matmul(tk.transpose(-2, -1)).mul(scale);
                  if (mask) scores = scores.where(mask, -Infinity);
                  return scores.softmax(-1).matmul(tv);
                };
          return tlForward(tl, compute, [tq, tk, tv, ...(mask ? [mask] : [])]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const [tq, tk, tv] = [q, k, v].map((d) => tf.tensor3d(d, shape as [number, number, number]));
          const bias = causal ? tf.linalg.bandPart(tf.ones([SEQ, SEQ]), -1, 0).sub(1).mul(1e9) : null;
          return tfForward(
            ctx,
            () => {
              let scores = tf.matMul(tq, tk, false, true).mul(scale);
              if (bias) scores = scores.add(bias);
              return tf.matMul(tf.softmax(scores, -1), tv);
            },
            [tq, tk, tv, ...(bias ? [bias] : [])],
          );
        },
      };
    },
  };
}

export function attentionCases(): Case[] {
  return [attentionCase('sdpa', false), attentionCase('matmul-softmax', false), attentionCase('sdpa', true), attentionCase('matmul-softmax', true)];
}
