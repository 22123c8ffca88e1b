/**
 * Faults of the worker pool: a worker that dies between calls is left out and replaced, so
 * the next call neither hangs nor loses work; its results still match the cpu backend.
 */
import { afterAll, expect, it, vi } from 'vitest';
import { CpuBackend } from '@tensile/backend-cpu';
import type { Backend, Conv2dParams, TensorView } from '@tensile/core';
import { WasmBackend } from '../src/wasm-backend.js';
import { detectRelaxedSimd, loadModule } from '../src/loader.js';
import type { ThreadPool, WorkerLike } from '../src/threads.js';

const relaxed = await detectRelaxedSimd();
const wasm = await WasmBackend.create(await loadModule(relaxed ? 'relaxed' : 'simd'), relaxed ? 'relaxed' : 'simd', { threads: 2 });
const threads = await wasm.startThreads();
afterAll(() => wasm.terminateWorkers());
// The pool is internal; the test reaches it to kill a worker as a crash would.
const pool = (wasm as unknown as { device: { pool: ThreadPool } }).device.pool;
const workers = (pool as unknown as { workers: WorkerLike[] }).workers;

function view(be: Backend, data: Float32Array, shape: number[]): TensorView {
  const buffer = be.alloc(data.length, 'float32');
  be.write(buffer, data);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { buffer, dtype: 'float32', shape, strides, offset: 0 };
}

/** conv2d on `be`, read back: 7.4M multiply-adds, past the 4M at which conv splits across threads. */
async function conv(be: Backend): Promise<number[]> {
  const x = Float32Array.from({ length: 8 * 16 * 20 * 20 }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: 16 * 16 * 9 }, (_, i) => Math.cos(i) / 10);
  const p: Conv2dParams = { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
  const y = view(be, new Float32Array(8 * 16 * 20 * 20), [8, 16, 20, 20]);
  be.conv2d(view(be, x, [8, 16, 20, 20]), view(be, w, [16, 16, 3, 3]), y, p);
  return Array.from(await be.read(y));
}

it.skipIf(threads < 2)('a worker that dies between calls is replaced: the next call finishes, with the same results', async () => {
  const expected = await conv(new CpuBackend());
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const dead = workers[0];
    await dead.terminate(); // resolves once the worker has exited (its 'exit' event ran)
    expect(workers[0]).not.toBe(dead);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/worker thread 1 exited \(exit code \d+\); starting a new one/));
    // Straight away (the new worker still booting) and once it has started: no hang, same numbers.
    const started = Date.now();
    const soon = await conv(wasm);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await wasm.startThreads()).toBe(2);
    const later = await conv(wasm);
    for (const got of [soon, later]) got.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected[i]))));
  } finally {
    warn.mockRestore();
  }
});

if (threads < 2) it.skip(`skipped: worker threads did not start here (${threads} thread)`, () => {});
