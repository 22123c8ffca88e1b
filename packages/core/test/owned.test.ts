/** `owned`, the one scope every op, backward, customOp and the DataLoader free their temporaries with. */
import { describe, expect, it } from 'vitest';
import { owned } from '../src/index.js';

/** A stand-in for a tensor: all `owned` needs is `dispose()` and `isDisposed`. */
class Handle {
  disposals = 0;
  constructor(readonly name: string) {}
  get isDisposed(): boolean {
    return this.disposals > 0;
  }
  dispose(): void {
    this.disposals++;
  }
}

describe('owned', () => {
  it('disposes every owned temporary when fn returns, and not what it was not given', () => {
    const input = new Handle('input');
    const a = new Handle('a');
    const b = new Handle('b');
    const out = new Handle('out');
    const result = owned((own) => {
      own(a);
      expect(own(b)).toBe(b); // own returns its argument
      return out;
    });
    expect(result).toBe(out);
    expect([a.disposals, b.disposals]).toEqual([1, 1]);
    expect(out.isDisposed).toBe(false);
    expect(input.isDisposed).toBe(false);
  });

  it('disposes every owned temporary when fn throws, and rethrows the same error', () => {
    const a = new Handle('a');
    const b = new Handle('b');
    const error = new Error('add: shapes [2] and [3] cannot be broadcast');
    expect(() =>
      owned((own) => {
        own(a);
        own(b);
        throw error;
      }),
    ).toThrow(error);
    expect([a.disposals, b.disposals]).toEqual([1, 1]);
  });

  it('hands an owned tensor that is returned to the caller', () => {
    const kept = new Handle('kept');
    const temp = new Handle('temp');
    const result = owned((own) => {
      own(temp);
      return own(kept);
    });
    expect(result).toBe(kept);
    expect(kept.isDisposed).toBe(false);
    expect(temp.disposals).toBe(1);
  });

  it('keeps owned tensors found in returned arrays, plain objects and Maps, however nested', () => {
    const [v, i, m, deep, temp] = ['values', 'indices', 'mapped', 'deep', 'temp'].map((n) => new Handle(n));
    const result = owned((own) => {
      [v, i, m, deep, temp].forEach(own);
      return { values: v, rest: [null, 3, { indices: i, nested: [[deep]] }], byName: new Map([['m', m]]) };
    });
    expect(result.values).toBe(v);
    for (const h of [v, i, m, deep]) expect(h.isDisposed).toBe(false);
    expect(temp.disposals).toBe(1);
  });

  it('does not look inside class instances or returned tensors (as tidy does not)', () => {
    const inner = new Handle('inner');
    class Box {
      constructor(readonly held: Handle) {}
    }
    const box = owned((own) => new Box(own(inner)));
    expect(box.held.isDisposed).toBe(true);
  });

  it('nests: an inner scope hands its result to the outer one, which frees it unless returned', () => {
    const a = new Handle('a');
    const b = new Handle('b');
    const outer = owned((own) => {
      const fromInner = own(owned((inner) => inner(a) && inner(b)));
      expect(b.isDisposed).toBe(false);
      expect(a.disposals).toBe(1);
      return fromInner.name;
    });
    expect(outer).toBe('b');
    expect(b.disposals).toBe(1);
  });

  it('refuses an async fn with an internal error, freeing what it owned', async () => {
    const a = new Handle('a');
    let settled: Promise<unknown> | null = null;
    expect(() =>
      owned((own) => {
        own(a);
        settled = Promise.reject(new Error('late'));
        return settled;
      }),
    ).toThrow(/internal error: owned\(fn\) needs a synchronous fn \(it returned a Promise\)/);
    expect(a.disposals).toBe(1);
    await expect(settled).rejects.toThrow('late'); // and the refused promise is no unhandled rejection
  });
});
