// Out-of-range indices on the GPU: the kernels that read indices record the first bad one in
// a device-side error word, and the next read or sync raises it (PyTorch's CUDA device-side
// asserts, without losing the device). The error cases of the conformance suite check the
// message at a read; this file checks sync, the first-error rule, recovery and the ops built
// on gather.
import * as tl from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();
const device = 'webgpu';
const ints = (values: number[]) => tl.tensor(new Int32Array(values), { device });

if (unavailable) it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});

describe.skipIf(unavailable !== null)('webgpu index errors', () => {
  it('sync() raises a bad index recorded by earlier work, once', async () => {
    const x = tl.arange(0, 3, 1, { device });
    const out = x.gather(0, ints([0, 7]));
    await expect(tl.getBackend(device).sync!()).rejects.toThrow(/gather: index 7 is out of bounds for a dim of size 3.*next read or sync/);
    await expect(tl.getBackend(device).sync!()).resolves.toBeUndefined();
    expect(Array.from(await out.data())).toEqual([0, 0]);
    for (const t of [x, out]) t.dispose();
  });

  it('the first bad index is the one raised', async () => {
    const x = tl.zeros([4], { device });
    const a = x.gather(0, ints([9]));
    const b = x.gather(0, ints([-5]));
    await expect(b.data()).rejects.toThrow(/index 9 is out of bounds for a dim of size 4/);
    expect(Array.from(await b.data())).toEqual([0]);
    for (const t of [x, a, b]) t.dispose();
  });

  it('indexSelect and crossEntropy-style picking raise too, and good indices still work', async () => {
    const table = tl.arange(0, 6, 1, { device }).reshape([3, 2]);
    const rows = table.indexSelect(0, ints([2, 3]));
    await expect(rows.data()).rejects.toThrow(/index 3 is out of bounds for a dim of size 3.*indexSelect/);
    const logProbs = tl.zeros([2, 3], { device }).logSoftmax(1);
    const picked = logProbs.gather(1, ints([1, 5]).reshape([2, 1]));
    await expect(picked.sum().data()).rejects.toThrow(/index 5 is out of bounds for a dim of size 3/);
    const good = table.indexSelect(0, ints([2, 0]));
    expect(Array.from(await good.data())).toEqual([4, 5, 0, 1]);
    for (const t of [table, rows, logProbs, picked, good]) t.dispose();
  });

  it('scatterAdd records a bad index as gather does', async () => {
    const x = tl.zeros([3], { device }).requiresGrad_();
    const y = tl.zeros([2], { device }).requiresGrad_();
    const out = x.scatterAdd(0, ints([1, 4]), y);
    await expect(out.data()).rejects.toThrow(/scatterAdd: index 4 is out of bounds for a dim of size 3/);
    for (const t of [x, y, out]) t.dispose();
  });
});
