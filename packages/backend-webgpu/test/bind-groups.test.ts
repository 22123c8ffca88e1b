/**
 * Bind groups are made per buffer and kept, so a loop over pooled buffers stops making them:
 * made per combination of buffers, the pool's changing order made one on most dispatches, and
 * lavapipe (one memory mapping per descriptor set, freed only after V8 collects the group)
 * ran out of mappings and crashed inside a training loop that never read a value.
 */
import * as tl from '@tensile/core';
import { expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();
if (unavailable) it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});

it.skipIf(unavailable !== null)('a loop that frees its tensors in a changing order makes no bind groups after the first steps', async () => {
  const runtime = (tl.getBackend('webgpu') as WebGPUBackend).runtime;
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const step = (): void => {
    const xs = Array.from({ length: 6 }, (_, i) => tl.full([64], i, { device: 'webgpu' }));
    const ys = tl.tidy(() => xs.map((x, i) => x.mul(xs[(i + 1) % xs.length]!).add(x)));
    const all = [...xs, ...ys];
    // Fisher-Yates: each step hands the pool its buffers back in another order.
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    all.forEach((t) => t.dispose());
  };
  for (let i = 0; i < 20; i++) step();
  const before = runtime.bindGroupsMade;
  for (let i = 0; i < 200; i++) step();
  expect(runtime.bindGroupsMade - before, 'bind groups made in 200 more steps').toBe(0);
  // Reused buffers and their kept groups still compute right.
  const x = tl.full([64], 2, { device: 'webgpu' });
  const y = tl.tidy(() => x.mul(x).add(x).sum());
  expect(await y.item()).toBe(64 * 6);
  [x, y].forEach((t) => t.dispose());
});
