/**
 * Buffer limits: a GPU device is asked for the adapter's largest buffer and binding (WebGPU's
 * defaults hold less than one float32 embedding of a 124M-parameter model), a CPU adapter keeps
 * the defaults; and a tensor that fits the binding limit is not pooled into a class past it.
 */
import * as tl from '@tensile/core';
import { expect, it } from 'vitest';
import { deviceLimits, type WebGPUBackend } from '../src/index.js';
import { bufferBytes } from '../src/runtime.js';
import { webgpuUnavailable } from './ready.js';

it('asks a GPU for its largest buffers, a CPU adapter for the defaults', () => {
  const limits = { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 31 };
  expect(deviceLimits(limits, 'nvidia ada NVIDIA GeForce RTX 4090')).toEqual({ maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 31 });
  expect(deviceLimits(limits, 'mesa llvmpipe (LLVM 19.1.7, 256 bits)')).toEqual({});
  expect(deviceLimits(limits, 'Google SwiftShader')).toEqual({});
});

it('pools a buffer in its power-of-two class unless the class passes the binding limit', () => {
  expect(bufferBytes(100, 2 ** 27)).toBe(128);
  expect(bufferBytes(3, 2 ** 27)).toBe(16);
  // 1.5 GiB under a 2 GiB - 4 limit: the 2 GiB class does not fit, the exact size does.
  expect(bufferBytes(1.5 * 2 ** 30 + 2, 2 ** 31 - 4)).toBe(1.5 * 2 ** 30 + 4);
  expect(bufferBytes(2 ** 30, 2 ** 31 - 4)).toBe(2 ** 30);
});

const unavailable = await webgpuUnavailable();
if (unavailable) it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});

it.skipIf(unavailable !== null)('a tensor just under the binding limit is allocated (not rounded up past it)', async () => {
  const backend = tl.getBackend('webgpu') as WebGPUBackend;
  const limit = backend.runtime.device.limits.maxStorageBufferBindingSize;
  // 3/4 of the limit: its power-of-two size class would be twice that, past the limit.
  const n = Math.floor((limit * 0.75) / 4);
  const x = tl.zeros([n], { device: 'webgpu' });
  const sum = tl.tidy(() => x.add(1).sum());
  expect(await sum.item()).toBe(n);
  expect(() => tl.zeros([limit / 4 + 1], { device: 'webgpu' })).toThrow(/binds at most \d+ bytes per buffer/);
  [x, sum].forEach((t) => t.dispose());
});
