/**
 * Linear algebra on 64×64 matrices (a batch of 8), in ms: `tl.linalg.qr` beside tfjs's
 * `tf.linalg.qr` (both Householder; the rows compare |R|, as the two may choose other signs),
 * and `solve`, `inv`, `cholesky`, `eigh` and `svd`, which tfjs does not have (Tensile only).
 */
import { uniform } from '../data.js';
import { type Case, tfForward, tlForward, tlFrom } from './types.js';

const [BATCH, N] = [8, 64];

/** Random matrices with N on the diagonal: well conditioned, and symmetric positive-definite after `a aᵀ`. */
function matrices(seed: number): Float32Array {
  const a = uniform(BATCH * N * N, -1, 1, seed);
  for (let b = 0; b < BATCH; b++) for (let i = 0; i < N; i++) a[b * N * N + i * N + i] += N;
  return a;
}

type Op = 'qr' | 'solve' | 'inv' | 'cholesky' | 'eigh' | 'svd';

function linalgCase(op: Op): Case {
  const shape = [BATCH, N, N];
  return {
    id: `linalg/${op}/${BATCH}x${N}x${N}`,
    family: 'linalg',
    title: `linalg.${op} ${BATCH}x${N}x${N}${op === 'qr' ? ' (|R| compared)' : ''}`,
    metric: { unit: 'ms' },
    quick: op === 'qr' || op === 'solve',
    tolerance: 1e-3,
    noPeer: () => (op === 'qr' ? undefined : `tfjs has no linalg.${op}`),
    init() {
      const a = matrices(81);
      const b = uniform(BATCH * N * 4, -1, 1, 82);
      return {
        tensile(tl, device) {
          const ta = tlFrom(tl, a, shape, device);
          const tb = tlFrom(tl, b, [BATCH, N, 4], device);
          const compute = {
            qr: () => tl.linalg.qr(ta).R.abs(),
            solve: () => tl.linalg.solve(ta, tb),
            inv: () => tl.linalg.inv(ta),
            cholesky: () => tl.linalg.cholesky(ta.matmul(ta.transpose(-1, -2))),
            eigh: () => tl.linalg.eigh(ta.add(ta.transpose(-1, -2))).eigenvalues,
            svd: () => tl.linalg.svd(ta, false).S,
          }[op];
          return tlForward(tl, compute, [ta, tb]);
        },
        peer(ctx) {
          const { tf } = ctx;
          const ta = tf.tensor3d(a, shape as [number, number, number]);
          return tfForward(ctx, () => tf.abs(tf.linalg.qr(ta)[1]), [ta]);
        },
      };
    },
  };
}

export function linalgCases(): Case[] {
  return (['qr', 'solve', 'inv', 'cholesky', 'eigh', 'svd'] as const).map(linalgCase);
}
