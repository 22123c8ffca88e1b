/**
 * A lost GPU device, or one that ran out of memory: every later operation on its tensors
 * raises the failure, and the backend starts again on a new device at the next
 * `tl.ready('webgpu')`.
 */
import * as tl from '@tensile/core';
import { expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();
if (unavailable) it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});

it.skipIf(unavailable !== null)('a lost device fails its tensors with the reason, and ready() starts a new one', async () => {
  const lost = tl.getBackend('webgpu') as WebGPUBackend;
  const x = tl.ones([4], { device: 'webgpu' });
  expect(Array.from(await x.data())).toEqual([1, 1, 1, 1]);
  lost.runtime.device.destroy();
  await lost.runtime.device.lost;
  expect(() => x.add(1)).toThrow(/webgpu backend: the GPU device was lost \(destroyed.*await tl\.setBackend\('webgpu'\)/);
  await expect(x.data()).rejects.toThrow(/device was lost/);
  x.dispose(); // freeing a tensor of the lost device is fine
  expect(() => tl.getBackend('webgpu')).toThrow(/registered but not initialised/);
  const fresh = await tl.ready('webgpu');
  expect(fresh).not.toBe(lost);
  const y = tl.arange(0, 3, 1, { device: 'webgpu' }).add(1);
  expect(Array.from(await y.data())).toEqual([1, 2, 3]);
  y.dispose();
});

it.skipIf(unavailable !== null)('running out of memory fails the next operation, and ready() starts a new device', async () => {
  const failed = (await tl.ready('webgpu')) as WebGPUBackend;
  const x = tl.ones([4], { device: 'webgpu' });
  // What Dawn reports when an allocation fails (a real one would take all of this machine's memory).
  const error = new (globalThis as unknown as { GPUOutOfMemoryError: new (message: string) => Error }).GPUOutOfMemoryError('Failed to allocate 4294967296 bytes');
  const Event = (globalThis as unknown as { GPUUncapturedErrorEvent: new (type: string, init: { error: Error }) => globalThis.Event }).GPUUncapturedErrorEvent;
  failed.runtime.device.dispatchEvent(new Event('uncapturederror', { error }));
  expect(() => x.mul(2)).toThrow(/webgpu backend: the device ran out of memory: Failed to allocate 4294967296 bytes/);
  await failed.runtime.failed;
  x.dispose();
  const fresh = await tl.ready('webgpu');
  expect(fresh).not.toBe(failed);
  const y = tl.full([2], 3, { device: 'webgpu' });
  expect(Array.from(await y.data())).toEqual([3, 3]);
  y.dispose();
});
