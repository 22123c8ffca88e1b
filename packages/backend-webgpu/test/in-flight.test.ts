/**
 * What submitted work uses stays reachable until the GPU has run it, and no longer: a loop that
 * never reads a value (it only awaits, as a render loop or a dataset's next batch does) keeps
 * only the submits the GPU has yet to run, where it once kept every one until the next read.
 */
import * as tl from '@tensile/core';
import { expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();
if (unavailable) it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

it.skipIf(unavailable !== null)('a loop that never reads keeps only the submits the GPU has yet to run', async () => {
  const runtime = (tl.getBackend('webgpu') as WebGPUBackend).runtime;
  const x = tl.full([256], 1, { device: 'webgpu' });
  const steps = 300;
  for (let step = 0; step < steps; step++) {
    // Enough dispatches to force a submit (maxBatch) every step.
    tl.tidy(() => {
      let y = x;
      for (let i = 0; i < runtime.maxBatch; i++) y = y.add(1);
      return undefined;
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The software adapter runs behind the loop; once it has caught up, few submits are kept.
  const deadline = Date.now() + 120_000;
  while (runtime.submitsInFlight >= 32 && Date.now() < deadline) await tick();
  expect(runtime.submitsInFlight, `submits kept of the ${steps} made, with no read`).toBeLessThan(32);
  // A read releases everything submitted before it.
  const y = tl.tidy(() => x.add(2).sum());
  expect(await y.item()).toBe(256 * 3);
  expect(runtime.submitsInFlight).toBe(0);
  [x, y].forEach((t) => t.dispose());
});
