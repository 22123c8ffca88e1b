/**
 * Fused attention: each query row's scores live in one reused row of doubles, so the
 * `[L, S]` weights are never built. Dot products and sums accumulate in doubles.
 */
import type { AttentionParams, TensorView } from '@tensile/core';
import { dataOf } from '../buffer.js';

export function attention(q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams): void {
  const [B, L, E] = q.shape;
  const S = k.shape[1];
  const Ev = v.shape[2];
  const [qd, kd, vd, od, ld] = [q, k, v, out, lse].map(dataOf);
  const md = mask ? dataOf(mask) : null;
  const [mb, mi, mj] = mask ? mask.strides : [0, 0, 0];
  const scores = new Float64Array(S);
  const acc = new Float64Array(Ev);
  for (let b = 0; b < B; b++) {
    const kb = k.offset + b * S * E;
    const vb = v.offset + b * S * Ev;
    for (let i = 0; i < L; i++) {
      const row = b * L + i;
      const qi = q.offset + row * E;
      // Keys past the diagonal are dropped, not scored.
      const visible = params.causal ? Math.min(i + 1, S) : S;
      let max = -Infinity;
      for (let j = 0; j < visible; j++) {
        let dot = 0;
        for (let e = 0, kj = kb + j * E; e < E; e++) dot += qd[qi + e] * kd[kj + e];
        let s = dot * params.scale;
        if (md) s += md[mask!.offset + b * mb + i * mi + j * mj];
        scores[j] = s;
        if (s > max || Number.isNaN(s)) max = s;
      }
      acc.fill(0);
      let sum = 0;
      for (let j = 0; j < visible; j++) {
        // A row of -inf gives exp(NaN): NaN in out, as softmax gives.
        const w = Math.exp(scores[j] - max);
        sum += w;
        for (let e = 0, vj = vb + j * Ev; e < Ev; e++) acc[e] += w * vd[vj + e];
      }
      for (let e = 0, o = out.offset + row * Ev; e < Ev; e++) od[o + e] = acc[e] / sum;
      ld[lse.offset + row] = max + Math.log(sum);
    }
  }
}
