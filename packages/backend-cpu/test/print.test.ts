/**
 * Printing and reading rules beyond the PyTorch fixtures (which the conformance suite
 * replays on every backend): the device suffix, backends that cannot read synchronously,
 * disposed tensors, print options, `print()`, and `item()`'s types.
 */
import { inspect } from 'node:util';
import * as tl from '@tensile/core';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { CpuBackend } from '../src/index.js';

/** A cpu backend under another name, optionally without synchronous reads (as webgpu). */
function register(name: string, sync: boolean): void {
  const backend = new CpuBackend() as unknown as { name: string; readSync?: unknown };
  Object.defineProperty(backend, 'name', { value: name });
  if (!sync) {
    const readSync = CpuBackend.prototype.readSync.bind(backend);
    Object.defineProperty(backend, 'read', { value: async (view: tl.TensorView) => readSync(view) });
    Object.defineProperty(backend, 'readSync', { value: undefined });
  }
  tl.registerBackend(backend as unknown as tl.Backend, { priority: -1 });
}
register('other', true);
register('nosync', false);

afterEach(() => tl.setPrintOptions('default'));

describe('toString', () => {
  it("names the device when it is not the default one, as PyTorch does for cuda", async () => {
    await tl.setBackend('cpu');
    expect(String(tl.tensor([1, 2]))).toBe('tensor([1., 2.])');
    expect(String(tl.tensor([1, 2], { device: 'other' }))).toBe("tensor([1., 2.], device='other')");
    await tl.setBackend('other');
    expect(String(tl.tensor([1, 2], { device: 'cpu' }))).toBe("tensor([1., 2.], device='cpu')");
    await tl.setBackend('cpu');
  });

  it('prints ... for the values of a backend that cannot read synchronously, and the values when awaited', async () => {
    const t = tl.tensor([[1, 2, 3]], { device: 'nosync', dtype: 'int32' });
    expect(t.toString()).toBe("tensor(..., device='nosync', shape=[1, 3], dtype=int32)");
    expect(inspect(t)).toBe(t.toString());
    expect(await t.toStringAsync()).toBe("tensor([[1, 2, 3]], device='nosync', dtype=int32)");
    expect(() => t.dataSync()).toThrow("dataSync: backend 'nosync' cannot read synchronously; use await t.data()");
  });

  it('says when a tensor was disposed', () => {
    const t = tl.tensor([true, false]);
    t.dispose();
    expect(t.toString()).toBe('tensor(<disposed>, shape=[2], dtype=bool)');
  });

  it('console.log and the REPL show the values, also inside objects', () => {
    const t = tl.tensor([0.5, -1]);
    expect(inspect({ weight: t })).toBe('{ weight: tensor([ 0.5000, -1.0000]) }');
    expect(`${t}`).toBe('tensor([ 0.5000, -1.0000])');
  });

  it('print() logs what toStringAsync() returns', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await tl.tensor([[1, 2]], { device: 'nosync' }).print();
      expect(log).toHaveBeenCalledWith("tensor([[1., 2.]], device='nosync')");
    } finally {
      log.mockRestore();
    }
  });

  it('setPrintOptions validates, and getPrintOptions reports', () => {
    tl.setPrintOptions({ precision: 2, linewidth: 60 });
    expect(tl.getPrintOptions()).toEqual({ precision: 2, threshold: 1000, edgeitems: 3, linewidth: 60, sciMode: null });
    expect(String(tl.tensor([1 / 3]))).toBe('tensor([0.33])');
    expect(() => tl.setPrintOptions({ precision: -1 })).toThrow('setPrintOptions: precision must be an integer >= 0, got -1');
    expect(() => tl.setPrintOptions({ edgeitems: 0 })).toThrow('setPrintOptions: edgeitems must be an integer >= 1, got 0');
    expect(() => tl.setPrintOptions({ sciMode: 'yes' as unknown as boolean })).toThrow('setPrintOptions: sciMode must be true, false or null, got yes');
    expect(tl.getPrintOptions().precision).toBe(2); // a rejected update changes nothing
    tl.setPrintOptions('default');
    expect(tl.getPrintOptions().precision).toBe(4);
  });

  it('a summary of a large tensor reads only its edges', () => {
    const t = tl.zeros([1000, 1000]);
    const read = vi.spyOn(tl.getBackend('cpu'), 'readSync');
    try {
      expect(t.toString()).toContain('shape=[1000, 1000]');
      expect(read).toHaveBeenCalledTimes(1);
      expect(read.mock.results[0].value).toHaveLength(36);
    } finally {
      read.mockRestore();
    }
  });
});

describe('item types', () => {
  it('item() is a boolean for comparisons and bool(), and number | boolean otherwise', async () => {
    const x = tl.tensor([5]);
    // Plain tensors stay number | boolean: a reduction such as all() is typed Tensor but holds bool.
    expectTypeOf(x.itemSync()).toEqualTypeOf<number | boolean>();
    expectTypeOf(await x.item()).toEqualTypeOf<number | boolean>();
    expectTypeOf(x.isnan().itemSync()).toEqualTypeOf<boolean>();
    expectTypeOf(x.logicalXor(1).itemSync()).toEqualTypeOf<boolean>();
    expectTypeOf(x.gt(4).itemSync()).toEqualTypeOf<boolean>();
    expectTypeOf(await x.eq(5).logicalNot().item()).toEqualTypeOf<boolean>();
    expectTypeOf(x.bool().itemSync()).toEqualTypeOf<boolean>();
    expect(Number(x.itemSync()) > 4).toBe(true);
    expect(x.gt(4).itemSync()).toBe(true);
    expect(await x.eq(5).logicalNot().item()).toBe(false);
  });
});
