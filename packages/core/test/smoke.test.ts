import { describe, expect, it } from 'vitest';
import * as tl from '../src/index.js';

describe('registry without a backend', () => {
  it('explains how to get one', () => {
    expect(() => tl.getBackend('nope')).toThrow(/not registered/);
  });
});
