/**
 * The optional fused attention kernel against a float64 loop: lengths around the tile sizes
 * kernels use, L != S, causal rows, broadcast and sliced masks, fully masked rows.
 */
import type * as tl from '@tensile/core';
import { describe } from 'vitest';
import { randoms } from '../compare.js';
import type { Suite } from '../context.js';
import * as ref from './reference.js';
import { expectNear, kernelTest } from './views.js';

/** [B, L, S, E, Ev]: single elements, odd sizes, lengths past 64-key tiles, a long row. */
const SIZES: [number, number, number, number, number][] = [
  [1, 1, 1, 1, 1], [2, 3, 5, 4, 6], [3, 17, 70, 33, 9], [2, 65, 129, 64, 64], [1, 130, 40, 16, 80], [1, 4, 1100, 8, 8],
];

export function attentionKernelTests(suite: Suite, backend: tl.Backend): void {
  if (!backend.attention) return;
  const test = kernelTest(suite, backend);
  describe('kernels: fused attention', () => {
    for (const [B, L, S, E, Ev] of SIZES) {
      const dims = [B, L, S, E, Ev];
      test(`attention ${B}x${L}x${S}, E ${E}, Ev ${Ev}: plain and causal, out and lse`, async (v) => {
        const q = randoms(B * L * E, L + 1, -2, 2), k = randoms(B * S * E, S + 2, -2, 2), val = randoms(B * S * Ev, Ev + 3);
        const scale = 1 / Math.sqrt(E);
        for (const causal of [false, true]) {
          const out = v.empty([B, L, Ev]), lse = v.empty([B, L]);
          v.backend.attention!(v.make(q, [B, L, E]), v.make(k, [B, S, E]), v.make(val, [B, S, Ev]), null, out, lse, { scale, causal });
          const expected = ref.attention(q, k, val, dims, scale, causal, () => 0);
          expectNear(await v.read(out), expected.out, 2e-5, `out, causal ${causal}`);
          expectNear(await v.read(lse), expected.lse, 2e-5, `lse, causal ${causal}`);
        }
      });
    }

    test('attention with a mask broadcast over heads and a sliced, transposed mask', async (v) => {
      const [B, L, S, E, Ev] = [3, 20, 37, 8, 5];
      const q = randoms(B * L * E, 11), k = randoms(B * S * E, 12), val = randoms(B * S * Ev, 13);
      const bias = randoms(L * S, 14, -3, 3).map((x, i) => (i % 7 === 3 ? -Infinity : x));
      // [L, S] broadcast to every head (stride 0), then the same values stored transposed
      // inside a larger buffer with an offset.
      const perHead = Array.from({ length: B }, () => bias).flat();
      const broadcast = v.make(perHead, [B, L, S], 'float32', { kind: 'strided', strides: [0, S, 1], offset: 0 });
      const stored = v.make(perHead, [B, L, S], 'float32', { kind: 'strided', strides: [0, 1, L + 2], offset: 5 });
      const expected = ref.attention(q, k, val, [B, L, S, E, Ev], 0.3, false, (_, i, j) => bias[i * S + j]);
      for (const [name, mask] of [['broadcast', broadcast], ['transposed', stored]] as const) {
        const out = v.empty([B, L, Ev]), lse = v.empty([B, L]);
        v.backend.attention!(v.make(q, [B, L, E]), v.make(k, [B, S, E]), v.make(val, [B, S, Ev]), mask, out, lse, { scale: 0.3, causal: false });
        expectNear(await v.read(out), expected.out, 2e-5, `out with a ${name} mask`);
        expectNear(await v.read(lse), expected.lse, 2e-5, `lse with a ${name} mask`);
      }
    });

    test('attention rows whose every key is masked give NaN; large scores stay finite', async (v) => {
      const [B, L, S, E, Ev] = [1, 3, 70, 4, 3];
      const q = randoms(L * E, 21, -40, 40), k = randoms(S * E, 22, -40, 40), val = randoms(S * Ev, 23);
      const bias = Array.from({ length: L * S }, (_, n) => (Math.floor(n / S) === 1 ? -Infinity : 0));
      const out = v.empty([B, L, Ev]), lse = v.empty([B, L]);
      v.backend.attention!(v.make(q, [B, L, E]), v.make(k, [B, S, E]), v.make(val, [B, S, Ev]), v.make(bias, [B, L, S]), out, lse, { scale: 1, causal: false });
      const expected = ref.attention(q, k, val, [B, L, S, E, Ev], 1, false, (_, i, j) => bias[i * S + j]);
      expectNear(await v.read(out), expected.out, 2e-5, 'out');
      const lseRead = await v.read(lse);
      expectNear([lseRead[0], lseRead[2]], [expected.lse[0], expected.lse[2]], 2e-5, 'lse of the live rows');
      if (!(Number.isNaN(lseRead[1]) || lseRead[1] === -Infinity)) throw new Error(`lse of the masked row is ${lseRead[1]}, expected -Infinity or NaN`);
    });
  });
}
