import { describe, expect, it } from 'vitest';
import { autograd } from '../src/index.js';
import { withinOp } from '../src/autograd/trace.js';

describe('autograd.isTracing', () => {
  it('is true only while a trace runs, and not inside an op', () => {
    expect(autograd.isTracing()).toBe(false);
    const seen: boolean[] = [];
    const { trace } = autograd.trace(() => {
      seen.push(autograd.isTracing());
      seen.push(withinOp(() => autograd.isTracing()));
      seen.push(autograd.isTracing());
    });
    trace.dispose();
    expect(seen).toEqual([true, false, true]);
    expect(autograd.isTracing()).toBe(false);
  });

  it('is false again after a traced function throws', () => {
    expect(() => autograd.trace(() => { throw new Error('boom'); })).toThrow('boom');
    expect(autograd.isTracing()).toBe(false);
  });
});
